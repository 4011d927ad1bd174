// `url:` models: a server the router did not start (a fake_worker this test runs itself) is
// health-checked and routed to below its base path, and never spawned. While it is gone the
// model is not ready (requests wait queue_timeout, then 503) but never `failed`, whatever the
// restart policy says; once a server answers on that port again the model is ready again.
#include <gtest/gtest.h>
#include <signal.h>

#include <memory>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

constexpr std::string_view kBasePath = "/base";

// A fake_worker serving below kBasePath on `port`; returns once it answers its health check.
std::unique_ptr<ChildProcess> start_server(const TempDir& dir, std::uint16_t port,
                                           std::string_view log_name,
                                           const std::vector<std::string>& flags = {}) {
  std::vector<std::string> argv{fake_worker_path().string(), "--host", "127.0.0.1", "--port",
                                std::to_string(port),        "--name", "remote",    "--base-path",
                                std::string(kBasePath)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto server = std::make_unique<ChildProcess>(argv, dir.path() / log_name);
  const bool up = wait_until(
      [&] {
        try {
          return http_request(port, "GET", std::string(kBasePath) + "/health").status == 200;
        } catch (const std::runtime_error&) {
          return false;  // not listening yet
        }
      },
      kLongWait);
  if (!up) throw std::runtime_error("the remote server did not start:\n" + server->log_text());
  return server;
}

TEST(RemoteModelTest, IsRoutedBelowItsBasePathAndComesBackAfterItsServerWasGone) {
  TempDir dir;
  const std::uint16_t port = free_port();
  auto server = start_server(dir, port, "first.log");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + std::string(kBasePath);
  // A restart policy that would give up at the first failure: it does not apply to url models.
  TestRouter router("  remote:\n    url: " + url +
                    "\n    queue_timeout: 1s\n    restart: {max_restarts: 0}\n" +
                    model_yaml("local"));

  const json ready = router.wait_state("remote", "ready");
  EXPECT_EQ(ready["source"], "url:" + url);
  EXPECT_EQ(ready["port"], port);
  EXPECT_EQ(ready["type"], "text");
  EXPECT_TRUE(ready["pid"].is_null()) << ready;
  EXPECT_TRUE(router.worker_logs("remote").empty()) << "a url model is never spawned";

  const HttpResponse served = router.chat("remote");
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.json()["pid"], server->pid());
  EXPECT_EQ(served.json()["path"], std::string(kBasePath) + "/v1/chat/completions");

  server->send_signal(SIGKILL);
  ASSERT_TRUE(server->wait_exit(kLongWait).has_value());
  router.wait_state("remote", "unhealthy");
  const HttpResponse refused = router.chat("remote");
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_not_ready") << "answered after queue_timeout";
  EXPECT_TRUE(refused.header("Retry-After").has_value());
  // Still probed, never given up on (backoff_max is 500 ms: a restart loop would show by now).
  EXPECT_FALSE(wait_until(
      [&] { return router.model_status("remote").value()["state"] != "unhealthy"; }, 1500ms));
  EXPECT_EQ(router.model_status("remote").value()["restarts"], 0);
  EXPECT_EQ(router.chat("local").status, 200) << "the other model is not affected";

  server = start_server(dir, port, "second.log");
  router.wait_state("remote", "ready");
  const HttpResponse again = router.chat("remote");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.json()["pid"], server->pid());
  EXPECT_EQ(router.model_status("remote").value()["restarts"], 0);
}

// The url model `remote` on the server at `port`, taken out after two failed requests in a row.
std::string failing_remote_yaml(std::uint16_t port, std::string_view ejection_time) {
  return "  remote:\n    url: http://127.0.0.1:" + std::to_string(port) + std::string(kBasePath) +
         "\n    health: {max_failed_requests: 2, ejection_time: " + std::string(ejection_time) +
         "}\n";
}

// Two requests to `remote`, each failed with `status` for the client; returns the model's admin
// status once they have taken it out of service.
json fail_twice_until_ejected(TestRouter& router, int status) {
  router.wait_state("remote", "ready");
  EXPECT_EQ(router.chat("remote").status, status);
  EXPECT_EQ(router.model_status("remote").value()["failed_requests_in_a_row"], 1);
  EXPECT_EQ(router.chat("remote").status, status);
  return router.wait_model(
      "remote", [](const json& s) { return s["ejected"] == true; }, "ejected");
}

// P1: a server whose health endpoint answers while every request fails is taken out after
// health.max_failed_requests server errors in a row: its requests are refused at once, not
// after queue_timeout, and after ejection_time it is probed back in.
TEST(RemoteModelTest, ServerFailingEveryRequestIsLeftOutThenProbedBack) {
  TempDir dir;
  const std::uint16_t port = free_port();
  auto server = start_server(dir, port, "failing.log", {"--fail-status", "500"});
  TestRouter router(failing_remote_yaml(port, "3s"));
  const json out = fail_twice_until_ejected(router, 500);
  EXPECT_EQ(out["state"], "unhealthy");
  EXPECT_EQ(out["ejections"], 1);
  EXPECT_TRUE(out["last_error"].get<std::string>().find("2 requests in a row failed") !=
              std::string::npos)
      << out;

  // Refused at once: a request that waited for the model would end in model_not_ready.
  const HttpResponse refused = router.chat("remote");
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_ejected");
  EXPECT_TRUE(refused.header("Retry-After").has_value());
  const std::string stats = std::string(kBasePath) + "/stats";
  EXPECT_EQ(http_request(port, "GET", stats).json()["requests"], 2) << "reached the server";

  const json back = router.wait_state("remote", "ready");
  EXPECT_EQ(back["ejected"], false);
  EXPECT_EQ(back["ejections"], 1);
  EXPECT_EQ(back["restarts"], 0);
  EXPECT_EQ(router.chat("remote").status, 500) << "probed back in, and routed to";
}

// P1 again, for a server that answers its health checks and drops every request unanswered: the
// router's own 502s count as failures.
TEST(RemoteModelTest, ServerDroppingEveryRequestIsLeftOutAfterTheRoutersOwn502s) {
  TempDir dir;
  const std::uint16_t port = free_port();
  auto server = start_server(dir, port, "dropping.log", {"--drop-requests"});
  TestRouter router(failing_remote_yaml(port, "30s"));
  fail_twice_until_ejected(router, 502);
  const HttpResponse refused = router.chat("remote");
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_ejected");
}

}  // namespace
}  // namespace switchyard::test
