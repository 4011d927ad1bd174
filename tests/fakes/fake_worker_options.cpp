#include "tests/fakes/fake_worker_options.hpp"

#include <charconv>
#include <stdexcept>
#include <string_view>

namespace switchyard::fake {
namespace {

class ArgReader {
 public:
  ArgReader(int argc, char** argv) : argc_(argc), argv_(argv) {}

  bool done() const { return next_ >= argc_; }
  std::string_view flag() { return argv_[next_++]; }

  std::string text(std::string_view flag) {
    if (done()) throw std::invalid_argument(std::string(flag) + " needs a value");
    return argv_[next_++];
  }

  long long number(std::string_view flag, long long min, long long max) {
    const std::string value = text(flag);
    long long parsed = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), parsed);
    if (ec != std::errc{} || end != value.data() + value.size() || parsed < min || parsed > max) {
      throw std::invalid_argument(std::string(flag) + ": bad value '" + value + "'");
    }
    return parsed;
  }

  std::chrono::milliseconds millis(std::string_view flag) {
    return std::chrono::milliseconds(number(flag, 0, 1LL << 40));
  }

 private:
  int argc_;
  char** argv_;
  int next_ = 1;
};

}  // namespace

const char* const kUsage =
    "usage: fake_worker --host H --port P [--name NAME] [--load-delay MS] [--health-path PATH]\n"
    "  [--base-path PATH] [--hang-health-after MS] [--hang-health-file PATH] [--crash-on-request]\n"
    "  [--drop-requests]\n"
    "  [--exit-after MS CODE] [--ignore-sigterm] [--fork-grandchild]\n"
    "  [--sse-events N] [--sse-interval MS] [--fail-status CODE]\n";

FakeWorkerOptions parse_options(int argc, char** argv) {
  FakeWorkerOptions options;
  bool have_port = false;
  ArgReader args(argc, argv);
  while (!args.done()) {
    const std::string_view flag = args.flag();
    if (flag == "--host") {
      options.host = args.text(flag);
    } else if (flag == "--port") {
      options.port = static_cast<std::uint16_t>(args.number(flag, 0, 65535));
      have_port = true;
    } else if (flag == "--name") {
      options.name = args.text(flag);
    } else if (flag == "--load-delay") {
      options.load_delay = args.millis(flag);
    } else if (flag == "--health-path") {
      options.health_path = args.text(flag);
    } else if (flag == "--base-path") {
      options.base_path = args.text(flag);
    } else if (flag == "--hang-health-after") {
      options.hang_health_after = args.millis(flag);
    } else if (flag == "--hang-health-file") {
      options.hang_health_file = args.text(flag);
    } else if (flag == "--crash-on-request") {
      options.crash_on_request = true;
    } else if (flag == "--drop-requests") {
      options.drop_requests = true;
    } else if (flag == "--exit-after") {
      options.exit_after = args.millis(flag);
      options.exit_code = static_cast<int>(args.number(flag, 0, 255));
    } else if (flag == "--ignore-sigterm") {
      options.ignore_sigterm = true;
    } else if (flag == "--fork-grandchild") {
      options.fork_grandchild = true;
    } else if (flag == "--sse-events") {
      options.sse_events = static_cast<int>(args.number(flag, 0, 1'000'000));
    } else if (flag == "--sse-interval") {
      options.sse_interval = args.millis(flag);
    } else if (flag == "--fail-status") {
      options.fail_status = static_cast<unsigned>(args.number(flag, 100, 599));
    } else {
      throw std::invalid_argument("unknown flag " + std::string(flag));
    }
  }
  if (options.host.empty() || !have_port) {
    throw std::invalid_argument("--host and --port are required");
  }
  return options;
}

}  // namespace switchyard::fake
