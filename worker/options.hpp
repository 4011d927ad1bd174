// switchyard-worker's command line:
//   switchyard-worker --engine NAME --model PATH --host H --port P [--arg key=value ...]
//                     [--log-level info]
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::worker {

struct WorkerOptions {
  std::string engine;
  std::string model;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::map<std::string, std::string> args;
  std::string log_level = "info";
};

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Pure; throws UsageError. A repeated --arg key is an error, as is a missing --engine, --model or
// --port.
WorkerOptions parse_cli(const std::vector<std::string>& argv);

extern const char* const kUsage;

}  // namespace switchyard::worker
