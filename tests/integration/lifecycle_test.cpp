// Worker lifecycle under the supervisor (S1, S3, S4, S5, S7, S9): crashes and hung health checks
// restart only the model concerned, a crash loop ends in `failed` until an operator re-arms it,
// slow loads and operator restarts are waited for, and an operator's stop kills the whole tree
// and sticks.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

bool contains(const json& text, std::string_view part) {
  return text.is_string() && text.get<std::string>().find(part) != std::string::npos;
}

TEST(LifecycleTest, KilledWorkerIsRestartedWhileTheOtherKeepsItsPid) {
  TestRouter router(model_yaml("a") + model_yaml("b"));
  const int a_pid = router.wait_ready("a")["pid"];
  const int b_pid = router.wait_ready("b")["pid"];

  ASSERT_EQ(::kill(a_pid, SIGKILL), 0);
  const json a = router.wait_model(
      "a", [&](const json& s) { return s["state"] == "ready" && s["pid"] != a_pid; }, "restarted");
  EXPECT_EQ(a["restarts"], 1);
  EXPECT_TRUE(contains(a["last_exit"], "SIGKILL")) << a;
  EXPECT_TRUE(wait_until([&] { return !process_exists(a_pid); }, 5s)) << "not reaped";

  const json b = router.model_status("b").value();
  EXPECT_EQ(b["pid"], b_pid);
  EXPECT_EQ(b["restarts"], 0);
  EXPECT_EQ(b["state"], "ready");

  const HttpResponse response = router.chat("a");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["pid"], a["pid"]);
  EXPECT_EQ(router.chat("b").json()["pid"], b_pid);
}

// S1: during the wait before the next start, operators see `restarting`, with the exit that
// caused it. The backoff is long so that the state cannot be missed between two polls.
TEST(LifecycleTest, KilledWorkerShowsRestartingDuringItsBackoff) {
  TestRouter router(model_yaml("a", {}, "restart: {backoff_initial: 20s, backoff_max: 20s}"));
  const int pid = router.wait_ready("a")["pid"];

  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  const json restarting = router.wait_state("a", "restarting", 5s);
  EXPECT_EQ(restarting["restarts"], 1);
  EXPECT_TRUE(contains(restarting["last_exit"], "SIGKILL")) << restarting;
}

TEST(LifecycleTest, HungHealthCheckGetsTheWorkerRestarted) {
  TempDir dir;
  const auto hang_file = dir.path() / "hang";
  TestRouter router(model_yaml("m", {"--hang-health-file", hang_file.string()},
                               "health: {timeout: 300ms, failure_threshold: 2}") +
                    model_yaml("other"));
  const int first_pid = router.wait_ready("m")["pid"];
  const int other_pid = router.wait_ready("other")["pid"];

  dir.write("hang", "");
  // Two failed probes in a row, then SIGTERM and a new worker.
  const json restarted = router.wait_model(
      "m", [&](const json& s) { return s["restarts"] == 1 && s["pid"] != first_pid; },
      "restarted after its health checks hung");
  EXPECT_TRUE(contains(restarted["last_error"], "health")) << restarted;
  EXPECT_TRUE(wait_until([&] { return !process_alive(first_pid); }, 5s));

  // The new worker hangs too while the file exists; once it is gone the model is served again.
  std::filesystem::remove(hang_file);
  const json ready = router.wait_ready("m");
  EXPECT_NE(ready["pid"], first_pid);
  const HttpResponse response = router.chat("m");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["pid"], ready["pid"]);
  EXPECT_EQ(router.model_status("other").value()["pid"], other_pid);
}

// S5: a frozen worker (SIGSTOP) fails its probes, is stopped and restarted; the SIGCONT sent
// with SIGTERM lets it exit on SIGTERM rather than wait for SIGKILL, and it is reaped.
TEST(LifecycleTest, StoppedWorkerIsRestartedAndReaped) {
  TestRouter router(model_yaml("m") + model_yaml("other"));
  const int pid = router.wait_ready("m")["pid"];
  const int other_pid = router.wait_ready("other")["pid"];
  ASSERT_EQ(::kill(pid, SIGSTOP), 0);

  const json back = router.wait_model(
      "m", [&](const json& s) { return s["state"] == "ready" && s["pid"] != pid; },
      "restarted after freezing");
  EXPECT_EQ(back["restarts"], 1);
  EXPECT_FALSE(process_exists(pid)) << "the frozen worker was not reaped";
  ASSERT_TRUE(back["last_exit"].is_string()) << back;
  EXPECT_FALSE(contains(back["last_exit"], "SIGKILL"))
      << back << ": SIGTERM alone did not reach the stopped worker";
  EXPECT_EQ(router.chat("m").status, 200);
  EXPECT_EQ(router.model_status("other").value()["pid"], other_pid);
}

TEST(LifecycleTest, CrashLoopEndsInFailedAnd503UntilAnOperatorRestartsIt) {
  TempDir dir;
  const auto crash_file = dir.write("crash", "");
  // While the file exists the worker exits 1 at once; the wrapper execs, so the pid is the
  // worker's.
  const std::string fake = fake_worker_path().string();
  const std::string script = "if [ -e " + crash_file.string() + " ]; then exec " + fake +
                             " --host ${HOST} --port ${PORT} --name loop --exit-after 0 1; "
                             "else exec " +
                             fake + " --host ${HOST} --port ${PORT} --name loop; fi";
  const std::string loop = "  loop:\n    command: [\"/bin/sh\", \"-c\", " + yaml_quote(script) +
                           "]\n    restart: {max_restarts: 2, window: 60s}\n";
  TestRouter router(loop + model_yaml("ok"));

  const json failed = router.wait_state("loop", "failed");
  EXPECT_EQ(failed["restarts"], 2);
  EXPECT_TRUE(failed["pid"].is_null()) << failed;
  EXPECT_TRUE(contains(failed["last_error"], "giving up")) << failed;

  // 503 at once (queue_timeout is 10 s), naming the model; the other model is unaffected.
  const auto sent = Clock::now();
  const HttpResponse refused = router.chat("loop");
  EXPECT_LT(Clock::now() - sent, 2s);
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(refused.header("Retry-After").has_value());
  const json error = refused.json()["error"];
  EXPECT_TRUE(contains(error["message"], "'loop'")) << error;
  // The reason stays on the admin listener: it can hold paths and the worker's own output.
  EXPECT_FALSE(contains(error["message"], "giving up")) << error;
  EXPECT_FALSE(contains(error["message"], "exited")) << error;
  EXPECT_EQ(error["code"], "model_failed");
  EXPECT_EQ(router.chat("ok").status, 200);
  // Failed means not respawned.
  EXPECT_FALSE(
      wait_until([&] { return router.model_status("loop").value()["state"] != "failed"; }, 1s));

  std::filesystem::remove(crash_file);
  const HttpResponse restart = admin_post(router.admin_port(), "/admin/models/loop/restart");
  EXPECT_EQ(restart.status, 202) << restart.body;
  router.wait_ready("loop");
  const HttpResponse served = router.chat("loop");
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.json()["worker"], "loop");
}

// P1 for a worker the router runs: its health endpoint answers, every request fails; after
// health.max_failed_requests server errors in a row it is restarted, and the other model keeps
// its worker. Answers that are not server errors, and 503 (busy), break the run.
TEST(LifecycleTest, WorkerFailingEveryRequestIsRestartedThoughItsHealthAnswers) {
  TestRouter router(model_yaml("m", {"--fail-status", "500"}, "health: {max_failed_requests: 3}") +
                    model_yaml("ok"));
  const json ready = router.wait_ready("m");
  const int pid = ready["pid"];
  const int other_pid = router.wait_ready("ok")["pid"];

  EXPECT_EQ(router.chat("m").status, 500);
  EXPECT_EQ(router.chat("m").status, 500);
  EXPECT_EQ(router.model_status("m").value()["failed_requests_in_a_row"], 2);
  EXPECT_EQ(router.chat("m").status, 500);
  const json restarted = router.wait_model(
      "m", [&](const json& s) { return s["state"] == "ready" && s["pid"] != pid; },
      "restarted by the failed requests");
  EXPECT_EQ(restarted["restarts"], 1);
  EXPECT_EQ(restarted["ejections"], 1);
  EXPECT_EQ(restarted["failed_requests_in_a_row"], 0);
  EXPECT_EQ(router.model_status("ok").value()["pid"], other_pid);
  EXPECT_EQ(router.model_status("ok").value()["restarts"], 0);
}

TEST(LifecycleTest, BusyAnswersAndClientErrorsAreNotCountedAsFailures) {
  // A threshold never reached here, so that the count itself shows what was counted.
  TestRouter router(
      model_yaml("busy", {"--fail-status", "503"}, "health: {max_failed_requests: 100}") +
      model_yaml("picky", {"--fail-status", "400"}, "health: {max_failed_requests: 100}") +
      model_yaml("broken", {"--fail-status", "500"}, "health: {max_failed_requests: 100}"));
  for (const char* name : {"busy", "picky", "broken"}) router.wait_ready(name);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(router.chat("busy").status, 503);
    EXPECT_EQ(router.chat("picky").status, 400);
    EXPECT_EQ(router.chat("broken").status, 500);
  }
  EXPECT_EQ(router.model_status("busy").value()["failed_requests_in_a_row"], 0);
  EXPECT_EQ(router.model_status("picky").value()["failed_requests_in_a_row"], 0);
  EXPECT_EQ(router.model_status("broken").value()["failed_requests_in_a_row"], 4);
}

TEST(LifecycleTest, SlowStartIsNotKilledAndRequestsWaitForIt) {
  const auto started = Clock::now();
  TestRouter router(model_yaml("slow", {"--load-delay", "1500"}, "health: {startup_timeout: 5s}"));
  const json loading = router.wait_model(
      "slow", [](const json& s) { return s["pid"].is_number(); }, "spawned");
  const int pid = loading["pid"];

  // Sent while the worker still loads: it waits for the model rather than failing.
  const HttpResponse response = router.chat("slow");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_GE(Clock::now() - started, 1500ms);
  EXPECT_EQ(response.json()["pid"], pid);

  const json status = router.model_status("slow").value();
  EXPECT_EQ(status["state"], "ready");
  EXPECT_EQ(status["pid"], pid);
  EXPECT_EQ(status["restarts"], 0);
}

TEST(LifecycleTest, RequestDuringAnOperatorRestartWaitsForTheNewWorker) {
  // The old worker ignores SIGTERM, so the restart spends its stop_timeout in `stopping`; the
  // new one then loads for a while.
  TestRouter router(
      model_yaml("m", {"--ignore-sigterm", "--load-delay", "300"}, "stop_timeout: 3s"));
  const int old_pid = router.wait_ready("m")["pid"];

  const HttpResponse restart = admin_post(router.admin_port(), "/admin/models/m/restart");
  ASSERT_EQ(restart.status, 202) << restart.body;
  router.wait_state("m", "stopping");
  // Not refused like a stopped model's: it waits for the new worker (queue_timeout is 10 s).
  const HttpResponse response = router.chat("m");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_NE(response.json()["pid"], old_pid);
  EXPECT_EQ(response.json()["pid"], router.model_status("m").value()["pid"]);
  EXPECT_FALSE(process_exists(old_pid));
}

TEST(LifecycleTest, NotHealthyWithinStartupTimeoutIsRestarted) {
  TestRouter router(model_yaml("stuck", {"--load-delay", "600000"},
                               "health: {startup_timeout: 1s, timeout: 300ms}"));
  const int first_pid = router.wait_model(
      "stuck", [](const json& s) { return s["pid"].is_number(); }, "spawned")["pid"];
  const json status = router.wait_model(
      "stuck", [](const json& s) { return s["restarts"] >= 1; }, "restarted");
  EXPECT_TRUE(contains(status["last_error"], "startup_timeout")) << status;
  EXPECT_TRUE(wait_until([&] { return !process_alive(first_pid); }, 5s));
}

TEST(LifecycleTest, ModelNotReadyWithinQueueTimeoutIs503WithRetryAfter) {
  TestRouter router(model_yaml("slow", {"--load-delay", "600000"},
                               "health: {startup_timeout: 600s}\nqueue_timeout: 500ms"));
  const auto sent = Clock::now();
  const HttpResponse response = router.chat("slow");
  const auto waited = Clock::now() - sent;
  ASSERT_EQ(response.status, 503) << response.body;
  EXPECT_GE(waited, 450ms);
  EXPECT_LT(waited, 5s);
  const auto retry_after = response.header("Retry-After");
  ASSERT_TRUE(retry_after.has_value());
  EXPECT_GT(std::stoi(*retry_after), 0);
  const json error = response.json()["error"];
  EXPECT_EQ(error["code"], "model_not_ready");
  EXPECT_TRUE(contains(error["message"], "'slow'")) << error;
  // Waiting requests do not count against the worker: it is still the first one, loading.
  EXPECT_EQ(router.model_status("slow").value()["restarts"], 0);
}

TEST(LifecycleTest, OperatorStopKillsTheEscapedGrandchildAndStaysStopped) {
  TestRouter router(model_yaml("gc", {"--fork-grandchild"}));
  const int pid = router.wait_ready("gc")["pid"];
  pid_t grandchild = 0;
  ASSERT_TRUE(wait_until(
      [&] {
        try {
          grandchild = router.grandchild_pid("gc");
          return true;
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      10s));
  ASSERT_TRUE(process_alive(grandchild));

  const HttpResponse stop = admin_post(router.admin_port(), "/admin/models/gc/stop");
  ASSERT_EQ(stop.status, 202) << stop.body;
  EXPECT_EQ(stop.json()["action"], "stop");
  const json stopped = router.wait_state("gc", "stopped");
  EXPECT_TRUE(stopped["pid"].is_null()) << stopped;
  EXPECT_TRUE(wait_until([&] { return !process_alive(pid); }, 5s));
  EXPECT_TRUE(wait_until([&] { return !process_alive(grandchild); }, 5s))
      << "the setsid grandchild survived the stop";

  const auto sent = Clock::now();
  const HttpResponse refused = router.chat("gc");
  EXPECT_LT(Clock::now() - sent, 2s);
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_stopped");
  EXPECT_TRUE(contains(refused.json()["error"]["message"], "'gc'"));

  // An operator's stop is never undone by the restart policy (backoff_max is 500 ms).
  EXPECT_FALSE(
      wait_until([&] { return router.model_status("gc").value()["state"] != "stopped"; }, 1500ms));
  EXPECT_EQ(router.model_status("gc").value()["restarts"], 0);

  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/gc/start").status, 202);
  const int restarted = router.wait_ready("gc")["pid"];
  EXPECT_NE(restarted, pid);
  EXPECT_EQ(router.chat("gc").status, 200);
}

TEST(LifecycleTest, WorkerIgnoringSigtermIsKilledAfterStopTimeoutAndReaped) {
  TestRouter router(model_yaml("stubborn", {"--ignore-sigterm"}, "stop_timeout: 500ms"));
  const int pid = router.wait_ready("stubborn")["pid"];

  const auto asked = Clock::now();
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/stubborn/stop").status, 202);
  const json stopped = router.wait_state("stubborn", "stopped");
  EXPECT_GE(Clock::now() - asked, 450ms) << "killed before its stop_timeout";
  EXPECT_TRUE(contains(stopped["last_exit"], "SIGKILL")) << stopped;
  // Reaped, not left as a zombie.
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, 5s));
}

}  // namespace
}  // namespace switchyard::test
