// Reads models.yaml into a validated Config. Every problem is reported with file:line:column;
// a file with any error yields no Config at all (the caller keeps what it had).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "router/config/config.hpp"

namespace switchyard::config {

struct Diagnostic {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem is not tied to a place
  int column = 0;  // 1-based
  std::string message;
  std::string to_string() const;  // "file:line:column: message"
};

struct LoadResult {
  std::optional<Config> config;      // set only when errors is empty
  std::vector<Diagnostic> errors;    // refuse to start / refuse the reload
  std::vector<Diagnostic> warnings;  // logged, not fatal
};

// Looks up an environment variable; tests pass a map instead of the process environment.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
EnvLookup process_environment();

// `executable_dir` is where switchyard-worker is looked for when `worker_binary` is not set.
LoadResult load_config_file(const std::string& path, const EnvLookup& env,
                            const std::string& executable_dir);
LoadResult load_config_string(std::string_view yaml, const std::string& file_name,
                              const EnvLookup& env, const std::string& executable_dir);

}  // namespace switchyard::config
