// Command-line flags of fake_worker, the scriptable stand-in for switchyard-worker that the
// integration tests start through the router. Each flag switches on one misbehaviour.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace switchyard::fake {

struct FakeWorkerOptions {
  std::string host;
  std::uint16_t port = 0;
  std::string name = "fake";
  std::chrono::milliseconds load_delay{0};
  std::string health_path = "/health";
  std::string base_path;  // "/prefix": serve only below it, like a server behind a url: model
  std::optional<std::chrono::milliseconds> hang_health_after;
  std::optional<std::filesystem::path> hang_health_file;
  bool crash_on_request = false;
  bool drop_requests = false;  // close API connections unanswered, while health answers 200
  std::optional<std::chrono::milliseconds> exit_after;
  int exit_code = 0;
  bool ignore_sigterm = false;
  bool fork_grandchild = false;
  int sse_events = 5;
  std::chrono::milliseconds sse_interval{100};
  std::optional<unsigned> fail_status;
};

// Throws std::invalid_argument naming the offending flag.
FakeWorkerOptions parse_options(int argc, char** argv);

extern const char* const kUsage;

}  // namespace switchyard::fake
