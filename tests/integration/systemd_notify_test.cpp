// The router under a stand-in for systemd: NOTIFY_SOCKET names a unix datagram socket this test
// has bound, so every sd_notify() message lands here. READY=1 comes once the listeners are
// bound, STATUS= counts ready and failed models, WATCHDOG=1 is sent only when WATCHDOG_USEC
// asks for it, and a file that cannot be served sends nothing and starts nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <system_error>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

// Receives what the router sends to $NOTIFY_SOCKET, one datagram per sd_notify() call.
class NotifySocket {
 public:
  explicit NotifySocket(std::filesystem::path path) : path_(std::move(path)) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path_.c_str(), sizeof(address.sun_path) - 1);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      throw std::system_error(errno, std::generic_category(), "bind " + path_.string());
    }
  }
  ~NotifySocket() { ::close(fd_); }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const std::vector<std::string>& received() const { return received_; }
  // Everything that arrives within `timeout` of the last message.
  const std::vector<std::string>& drain(std::chrono::milliseconds timeout) {
    while (receive(timeout)) {
    }
    return received_;
  }

  // The index in received() of the first message from `from` on that contains `part`, waiting
  // for more as needed; throws with everything received when none came within kLongWait.
  std::size_t wait_for(std::string_view part, std::size_t from = 0) {
    const auto deadline = std::chrono::steady_clock::now() + kLongWait;
    for (std::size_t next = from;; ++next) {
      while (next >= received_.size()) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0 || !receive(left)) {
          std::string seen;
          for (const auto& message : received_) seen += "\n  " + message;
          throw std::runtime_error("no notify message with '" + std::string(part) +
                                   "'; received:" + seen);
        }
      }
      if (received_[next].find(part) != std::string::npos) return next;
    }
  }

 private:
  bool receive(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) return false;
    received_.emplace_back(buffer, static_cast<std::size_t>(n));
    return true;
  }

  std::filesystem::path path_;
  int fd_ = -1;
  std::vector<std::string> received_;
};

// Sets an environment variable for the processes started while it lives (they inherit the
// test's environment).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    ::setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() { ::unsetenv(name_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
};

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// One model that serves and one that fails at once.
std::string models() {
  return model_yaml("ok") +
         "  broken:\n    command: [\"/bin/sh\", \"-c\", \"exit 1\"]\n"
         "    restart: {policy: never}\n";
}

// Started by hand rather than through TestRouter, which waits for router.json before the test
// could look at the first notify message.
class NotifiedRouter {
 public:
  explicit NotifiedRouter(const TempDir& dir)
      : runtime_dir_(dir.path() / "run"),
        config_(dir.write("router.yaml", router_config(runtime_dir_, models()))),
        process_({router_binary_path().string(), "--config", config_.string()},
                 dir.path() / "router.log") {}
  ~NotifiedRouter() {
    if (::testing::Test::HasFailure()) std::cerr << "router log:\n" << process_.log_text();
  }

  pid_t pid() const { return process_.pid(); }
  json state() const {
    return json::parse(read_text(runtime_dir_ / "router.json"), nullptr, false);
  }

 private:
  std::filesystem::path runtime_dir_;
  std::filesystem::path config_;
  ChildProcess process_;
};

TEST(SystemdNotifyTest, ReadyOnceListenersAreBoundThenStatusCountsModels) {
  TempDir dir;
  NotifySocket notify(dir.path() / "notify");
  const ScopedEnv env("NOTIFY_SOCKET", notify.path().string());
  const NotifiedRouter router(dir);

  notify.wait_for("READY=1");
  // Only sent once both listeners are bound: the ports the router recorded answer at once.
  const json state = router.state();
  ASSERT_TRUE(state.is_object()) << "no router.json when READY=1 came";
  EXPECT_EQ(state["pid"], router.pid());
  EXPECT_EQ(http_request(state["admin_port"].get<std::uint16_t>(), "GET", "/health").status, 200);
  EXPECT_EQ(http_request(state["listen_port"].get<std::uint16_t>(), "GET", "/v1/models").status,
            200);

  const std::size_t status = notify.wait_for("STATUS=1 ready, 1 failed");
  EXPECT_THAT(notify.received()[status], HasSubstr("of 2 models"));
  EXPECT_THAT(notify.received(), Not(Contains(HasSubstr("WATCHDOG=1"))))
      << "no watchdog was asked for";
}

TEST(SystemdNotifyTest, WatchdogIsPingedWhenWatchdogUsecIsSet) {
  TempDir dir;
  NotifySocket notify(dir.path() / "notify");
  const ScopedEnv socket_env("NOTIFY_SOCKET", notify.path().string());
  const ScopedEnv watchdog_env("WATCHDOG_USEC", "1000000");  // a ping every 500 ms
  const NotifiedRouter router(dir);

  notify.wait_for("READY=1");
  // From the event loop, over and over: not a single ping.
  const std::size_t first = notify.wait_for("WATCHDOG=1");
  const std::size_t second = notify.wait_for("WATCHDOG=1", first + 1);
  EXPECT_EQ(notify.received()[second], "WATCHDOG=1");
}

// S12: a file that cannot be served stops the start: exit 1 naming file and line, no READY=1
// for systemd (which then reports the start as failed), no worker spawned, no router.json.
TEST(SystemdNotifyTest, BadConfigAtStartExitsOneWithoutReadyOrSpawning) {
  TempDir dir;
  const auto spawned = dir.path() / "spawned";
  const std::string marker_model = "  marker:\n    command: [\"/bin/sh\", \"-c\", " +
                                   yaml_quote("touch " + spawned.string() + "; exec sleep 30") +
                                   "]\n";
  const std::pair<std::string, std::string> cases[] = {
      {"broken YAML", marker_model + "  other: [1, 2\n"},
      {"unknown type", marker_model + "  v:\n    type: video\n    command: [\"/bin/true\"]\n"},
      {"duplicate name", marker_model + model_yaml("twice") + model_yaml("twice")},
      {"missing binary", marker_model + "  gone:\n    command: [\"/nonexistent/worker\"]\n"},
  };
  for (const auto& [what, models] : cases) {
    SCOPED_TRACE(what);
    NotifySocket notify(dir.path() / ("notify-" + std::to_string(&what - &cases[0].first)));
    const ScopedEnv env("NOTIFY_SOCKET", notify.path().string());
    const auto runtime_dir = dir.path() / "run";
    const auto file = dir.write("bad.yaml", router_config(runtime_dir, models));
    const RouterExit exit = run_router_to_exit({"--config", file.string()});
    EXPECT_EQ(exit.code, 1) << exit.output;
    EXPECT_THAT(exit.output, HasSubstr(file.string() + ":"));
    EXPECT_THAT(notify.drain(std::chrono::milliseconds(200)), Not(Contains(HasSubstr("READY=1"))));
    EXPECT_FALSE(std::filesystem::exists(spawned)) << "a worker was spawned";
    EXPECT_FALSE(std::filesystem::exists(runtime_dir / "router.json"));
  }
}

}  // namespace
}  // namespace switchyard::test
