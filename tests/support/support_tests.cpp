// Checks the test tools themselves against fake_worker (and a shell stand-in for the router),
// so that an integration failure points at the router, not at the harness.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>

#include "tests/support/support.hpp"

namespace switchyard::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// fake_worker on a free port, returned once it says it listens.
class FakeWorker {
 public:
  explicit FakeWorker(const std::vector<std::string>& flags)
      : port_(free_port()), process_(argv(flags), dir_.path() / "worker.log") {
    const bool listening =
        wait_until([&] { return log_text().find(" listening on ") != std::string::npos; }, 10s);
    if (!listening) throw std::runtime_error("fake_worker did not start:\n" + log_text());
  }

  std::uint16_t port() const { return port_; }
  ChildProcess& process() { return process_; }
  std::string log_text() const { return process_.log_text(); }
  nlohmann::json stats() const { return http_request(port_, "GET", "/stats").json(); }

 private:
  std::vector<std::string> argv(const std::vector<std::string>& flags) const {
    std::vector<std::string> args{fake_worker_path().string(), "--host", "127.0.0.1", "--port",
                                  std::to_string(port_)};
    args.insert(args.end(), flags.begin(), flags.end());
    return args;
  }

  TempDir dir_;
  std::uint16_t port_;
  ChildProcess process_;
};

std::int64_t micros(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
}

TEST(FakeWorkerTest, HealthTurnsOkAfterLoadDelay) {
  const auto started = Clock::now();
  FakeWorker worker({"--load-delay", "1500"});

  const HttpResponse loading = http_request(worker.port(), "GET", "/health");
  EXPECT_EQ(loading.status, 503);
  EXPECT_EQ(loading.json()["status"], "loading");

  ASSERT_TRUE(
      wait_until([&] { return http_request(worker.port(), "GET", "/health").status == 200; }, 10s));
  EXPECT_GE(Clock::now() - started, 1500ms);
  EXPECT_EQ(http_request(worker.port(), "GET", "/health").json()["status"], "ok");
}

TEST(FakeWorkerTest, EchoesPostRequest) {
  FakeWorker worker({"--name", "echo"});
  const std::string body = R"({"model":"m1","messages":[]})";
  const HttpResponse response =
      http_request(worker.port(), "POST", "/v1/chat/completions?trace=1", body,
                   {{"Authorization", "Bearer k"}, {"X-Request-Id", "rid-1"}, {"X-Custom", "v"}});

  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  const auto echo = response.json();
  EXPECT_EQ(echo["worker"], "echo");
  EXPECT_EQ(echo["pid"], worker.process().pid());
  EXPECT_EQ(echo["method"], "POST");
  EXPECT_EQ(echo["path"], "/v1/chat/completions?trace=1");
  EXPECT_EQ(echo["model"], "m1");
  EXPECT_EQ(echo["body_bytes"], body.size());
  EXPECT_EQ(echo["authorization"], "Bearer k");
  EXPECT_EQ(echo["x_request_id"], "rid-1");
  EXPECT_EQ(echo["headers"]["x-custom"], "v");

  const auto bare = http_request(worker.port(), "POST", "/v1/embeddings", "not json").json();
  EXPECT_TRUE(bare["authorization"].is_null());
  EXPECT_TRUE(bare["model"].is_null());
  EXPECT_EQ(worker.stats()["requests"], 2);
}

TEST(FakeWorkerTest, SseEventsArriveSpacedByInterval) {
  FakeWorker worker({"--sse-events", "5", "--sse-interval", "150"});
  SseStream stream(worker.port(), "POST", "/v1/chat/completions", R"({"stream":true})");
  ASSERT_EQ(stream.status(), 200);
  EXPECT_EQ(stream.headers().find("content-type")->second, "text/event-stream");

  std::vector<SseEvent> events;
  while (auto event = stream.next_event(5s)) events.push_back(std::move(*event));
  EXPECT_EQ(stream.end(), StreamEnd::complete);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events.back().data, "[DONE]");
  for (std::size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(nlohmann::json::parse(events[i].data)["seq"], i);
    if (i > 0) {
      EXPECT_GE(events[i].received - events[i - 1].received, 75ms) << "event " << i;
    }
  }
  // Streamed, not buffered: the first event was in hand long before the worker wrote the last.
  const std::int64_t last_written_us = nlohmann::json::parse(events[4].data)["t_us"];
  EXPECT_LT(micros(events[0].received), last_written_us - 400'000);
}

TEST(FakeWorkerTest, DisconnectMidStreamCountsAsAborted) {
  FakeWorker worker({"--sse-events", "100", "--sse-interval", "50"});
  SseStream stream(worker.port(), "POST", "/v1/completions", R"({"stream":true})");
  ASSERT_TRUE(stream.next_event());
  ASSERT_TRUE(stream.next_event());
  stream.close();
  EXPECT_FALSE(stream.next_event());
  EXPECT_EQ(stream.end(), StreamEnd::closed_by_client);

  EXPECT_TRUE(wait_until([&] { return worker.stats()["aborted"] == 1; }, 5s));
  EXPECT_EQ(worker.stats()["open_connections"], 1);  // the /stats request's own
}

TEST(FakeWorkerTest, ClientLeavingDelayedRequestCountsAsAborted) {
  FakeWorker worker({});
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n"
      R"({"delay_ms":5000})";
  bool server_closed = true;
  EXPECT_EQ(raw_exchange(worker.port(), request, 300ms, &server_closed), "");
  EXPECT_FALSE(server_closed);
  EXPECT_TRUE(wait_until([&] { return worker.stats()["aborted"] == 1; }, 3s));
}

TEST(FakeWorkerTest, RawExchangeSeesServerClose) {
  FakeWorker worker({});
  bool server_closed = false;
  const std::string reply =
      raw_exchange(worker.port(), "GET /stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 5s,
                   &server_closed);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(server_closed);
}

TEST(FakeWorkerTest, ForkedGrandchildEscapesTheSession) {
  FakeWorker worker({"--fork-grandchild"});
  std::smatch match;
  const std::string log = worker.log_text();
  ASSERT_TRUE(std::regex_search(log, match, std::regex("grandchild pid ([0-9]+)"))) << log;
  const pid_t grandchild = std::stoi(match[1]);
  struct KillOnExit {
    pid_t pid;
    ~KillOnExit() { ::kill(pid, SIGKILL); }
  } const cleanup{grandchild};

  EXPECT_TRUE(process_alive(grandchild));
  EXPECT_EQ(::getsid(grandchild), grandchild);
  EXPECT_NE(::getsid(grandchild), ::getsid(worker.process().pid()));
  ::kill(grandchild, SIGKILL);
  EXPECT_TRUE(wait_until([&] { return !process_alive(grandchild); }, 5s));
}

TEST(ChildProcessTest, ReportsExitCodesAndSignals) {
  FakeWorker exiting({"--exit-after", "0", "7"});
  const auto exited = exiting.process().wait_exit(5s);
  ASSERT_TRUE(exited);
  EXPECT_TRUE(WIFEXITED(*exited) && WEXITSTATUS(*exited) == 7);

  FakeWorker polite({});
  polite.process().send_signal(SIGTERM);
  const auto stopped = polite.process().wait_exit(5s);
  ASSERT_TRUE(stopped);
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0);

  FakeWorker stubborn({"--ignore-sigterm"});
  stubborn.process().terminate(300ms);
  const auto killed = stubborn.process().wait_exit(0ms);
  ASSERT_TRUE(killed);
  EXPECT_TRUE(WIFSIGNALED(*killed) && WTERMSIG(*killed) == SIGKILL);
}

// A shell stand-in for the router: writes router.json the way the router does, then waits.
constexpr std::string_view kStandInRouter = R"(#!/bin/sh
dir=$(sed -n 's/^runtime_dir: //p' "$2")
echo "stand-in router, config $2"
printf '{"pid": %d, "listen_port": 1234, "admin_port": 5678}' $$ > "$dir/router.json.tmp"
mv "$dir/router.json.tmp" "$dir/router.json"
exec sleep 600
)";

TEST(RouterProcessTest, StartsFromConfigAndReadsRouterJson) {
  TempDir dir;
  const auto binary = dir.write("router.sh", kStandInRouter);
  std::filesystem::permissions(binary, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  RouterProcess router(binary, router_config_prelude(dir.path()) + "models: {}\n", dir.path());
  EXPECT_EQ(router.port(), 1234);
  EXPECT_EQ(router.admin_port(), 5678);
  EXPECT_TRUE(process_alive(router.pid()));
  EXPECT_NE(router.log_text().find("stand-in router"), std::string::npos);

  router.send_signal(SIGTERM);
  const auto status = router.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGTERM);
}

TEST(RouterProcessTest, ThrowsWithLogWhenRouterExits) {
  TempDir dir;
  const auto binary = dir.write("router.sh", "#!/bin/sh\necho bad config >&2\nexit 3\n");
  std::filesystem::permissions(binary, std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  try {
    RouterProcess router(binary, router_config_prelude(dir.path()), dir.path(), 5s);
    FAIL() << "router did not fail";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("bad config"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace switchyard::test
