#include "worker/options.hpp"

#include <charconv>

namespace switchyard::worker {

const char* const kUsage =
    "usage: switchyard-worker --engine NAME --model PATH --host HOST --port PORT\n"
    "                         [--arg key=value ...] [--log-level trace|debug|info|warn|error]\n";

WorkerOptions parse_cli(const std::vector<std::string>& argv) {
  WorkerOptions options;
  bool have_port = false;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    const std::string& flag = argv[i];
    if (i + 1 >= argv.size()) throw UsageError("missing value for " + flag);
    const std::string& value = argv[++i];
    if (flag == "--engine") {
      options.engine = value;
    } else if (flag == "--model") {
      options.model = value;
    } else if (flag == "--host") {
      options.host = value;
    } else if (flag == "--port") {
      unsigned port = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
      if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
        throw UsageError("bad --port '" + value + "'");
      }
      options.port = static_cast<std::uint16_t>(port);
      have_port = true;
    } else if (flag == "--arg") {
      const auto eq = value.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw UsageError("--arg wants key=value, got '" + value + "'");
      }
      const std::string key = value.substr(0, eq);
      if (!options.args.emplace(key, value.substr(eq + 1)).second) {
        throw UsageError("--arg " + key + " given twice");
      }
    } else if (flag == "--log-level") {
      options.log_level = value;
    } else {
      throw UsageError("unknown option " + flag);
    }
  }
  if (options.engine.empty()) throw UsageError("--engine is required");
  if (options.model.empty()) throw UsageError("--model is required");
  if (!have_port) throw UsageError("--port is required");
  return options;
}

}  // namespace switchyard::worker
