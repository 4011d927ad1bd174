// Stopping the router (S6, S8): SIGTERM drains open streams before stopping the workers and
// exits 0; SIGKILL takes the workers with it (PDEATHSIG), and the next router on the same
// runtime_dir kills what escaped (a setsid grandchild).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

bool refuses_connections(std::uint16_t port) {
  try {
    RawConnection probe(port);
    return false;
  } catch (const std::system_error&) {
    return true;
  }
}

pid_t wait_grandchild(const TestRouter& router, std::string_view model) {
  pid_t pid = 0;
  const bool printed = wait_until(
      [&] {
        try {
          pid = router.grandchild_pid(model);
          return true;
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      kLongWait);
  if (!printed) throw std::runtime_error("no grandchild pid in the logs of " + std::string(model));
  return pid;
}

TEST(ShutdownTest, SigtermLetsAnOpenStreamFinishThenStopsWorkersAndExitsZero) {
  TestRouter router(
      model_yaml("m", {"--sse-events", "6", "--sse-interval", "300"}) + model_yaml("other"),
      "limits: {drain_timeout: 20s}\n");
  const int m_pid = router.wait_ready("m")["pid"];
  const int other_pid = router.wait_ready("other")["pid"];

  SseStream stream(router.port(), "POST", "/v1/chat/completions", R"({"model":"m","stream":true})");
  ASSERT_EQ(stream.status(), 200) << stream.body();
  std::vector<SseEvent> events;
  auto first = stream.next_event();
  ASSERT_TRUE(first);
  events.push_back(*first);

  router.process().send_signal(SIGTERM);
  // New connections are refused at once, on both listeners, while the stream goes on.
  EXPECT_TRUE(wait_until([&] { return refuses_connections(router.port()); }, 5s));
  EXPECT_TRUE(wait_until([&] { return refuses_connections(router.admin_port()); }, 5s));

  while (auto event = stream.next_event()) events.push_back(*event);
  EXPECT_EQ(stream.end(), StreamEnd::complete);
  ASSERT_EQ(events.size(), 7u) << stream.body();
  EXPECT_EQ(events.back().data, "[DONE]");

  const auto status = router.process().wait_exit(kLongWait);
  ASSERT_TRUE(status.has_value()) << "router still running after the stream ended";
  ASSERT_TRUE(WIFEXITED(*status)) << "status " << *status;
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  EXPECT_TRUE(wait_until([&] { return !process_alive(m_pid) && !process_alive(other_pid); }, 5s))
      << "workers outlived the router";
}

TEST(ShutdownTest, SigtermRightAfterStartupIsAGracefulStop) {
  // router.json is written before the workers spawn: the router must already handle SIGTERM
  // by then (it used to die of the signal's default action).
  TestRouter router(model_yaml("a") + model_yaml("b") + model_yaml("c") + model_yaml("d"));
  router.process().send_signal(SIGTERM);
  const auto status = router.process().wait_exit(kLongWait);
  ASSERT_TRUE(status.has_value()) << "router still running";
  ASSERT_TRUE(WIFEXITED(*status)) << "killed by signal " << WTERMSIG(*status);
  EXPECT_EQ(WEXITSTATUS(*status), 0);
  // Every worker it spawned was stopped and its record removed.
  EXPECT_TRUE(std::filesystem::is_empty(router.runtime_dir() / "workers"));
}

TEST(ShutdownTest, SigkilledRouterLeavesNoWorkerAndTheNextStartKillsTheGrandchild) {
  TestRouter first(model_yaml("a") + model_yaml("gc", {"--fork-grandchild"}));
  const int a_pid = first.wait_ready("a")["pid"];
  const int gc_pid = first.wait_ready("gc")["pid"];
  const pid_t grandchild = wait_grandchild(first, "gc");
  ASSERT_TRUE(process_alive(grandchild));

  first.process().send_signal(SIGKILL);
  ASSERT_TRUE(first.process().wait_exit(kLongWait).has_value());
  // PR_SET_PDEATHSIG: the workers die with the router, however it died.
  EXPECT_TRUE(wait_until([&] { return !process_alive(a_pid) && !process_alive(gc_pid); }, 10s))
      << "a worker outlived the SIGKILLed router";
  // What left the worker's process group and session is still there...
  EXPECT_TRUE(process_alive(grandchild));

  // ...until the next router on the same runtime_dir starts and cleans up.
  TestRouter second(first.runtime_dir(), model_yaml("a"), {}, {});
  EXPECT_TRUE(wait_until([&] { return !process_alive(grandchild); }, 10s))
      << "the next router left the escaped grandchild " << grandchild << " running";
  const int new_pid = second.wait_ready("a")["pid"];
  EXPECT_NE(new_pid, a_pid);
  const HttpResponse response = second.chat("a");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["pid"], new_pid);
}

}  // namespace
}  // namespace switchyard::test
