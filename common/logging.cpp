#include "common/logging.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <string>

namespace switchyard {

void setup_logging(std::string_view program, std::string_view level) {
  auto logger = spdlog::stderr_logger_mt(std::string(program));
  // journald stamps its own time; a terminal wants one.
  logger->set_pattern(isatty(STDERR_FILENO) ? "%Y-%m-%d %H:%M:%S.%e %^%l%$ %v" : "%l %v");
  const auto parsed = spdlog::level::from_str(std::string(level));
  logger->set_level(parsed == spdlog::level::off && level != "off" ? spdlog::level::info : parsed);
  logger->flush_on(spdlog::level::trace);
  spdlog::set_default_logger(logger);
}

}  // namespace switchyard
