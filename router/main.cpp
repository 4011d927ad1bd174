// switchyard: argv -> config -> App::run(). Exit codes: 0 clean stop or valid config,
// 1 invalid config or start-up failure, 2 bad command line.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>
#include <string_view>

#include "common/logging.hpp"
#include "router/app.hpp"
#include "router/config/loader.hpp"

namespace {

constexpr std::string_view kUsage = R"(usage: switchyard --config FILE [--log-level LEVEL]
       switchyard --check-config FILE
       switchyard --version | --help

  --config FILE        run the router on FILE (models.yaml)
  --check-config FILE  validate FILE, print every problem, exit 0 if valid and 1 if not
  --log-level LEVEL    trace, debug, info (default), warn or error
  --version            print the version and exit
  --help               print this help and exit
)";

std::string executable_dir() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : self.parent_path().string();
}

}  // namespace

int main(int argc, char** argv) {
  std::string config_path;
  bool check_only = false;
  std::string log_level = "info";
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg == "--version") {
      std::cout << "switchyard " << SWITCHYARD_VERSION << "\n";
      return 0;
    }
    if ((arg == "--config" || arg == "--check-config") && has_value) {
      check_only = arg == "--check-config";
      config_path = argv[++i];
    } else if (arg == "--log-level" && has_value) {
      log_level = argv[++i];
    } else {
      std::cerr << "switchyard: unknown or incomplete argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }
  if (config_path.empty()) {
    std::cerr << kUsage;
    return 2;
  }

  switchyard::setup_logging("switchyard", log_level);
  using namespace switchyard::config;
  const LoadResult loaded =
      load_config_file(config_path, process_environment(), executable_dir());
  for (const auto& warning : loaded.warnings) {
    std::cerr << "warning: " << warning.to_string() << "\n";
  }
  for (const auto& error : loaded.errors) std::cerr << "error: " << error.to_string() << "\n";
  if (!loaded.config) return 1;
  if (check_only) {
    std::cout << config_path << ": OK (" << loaded.config->models.size() << " models)\n";
    return 0;
  }
  switchyard::App app(*loaded.config, executable_dir());
  return app.run();
}
