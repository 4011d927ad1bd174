// When a ready model stops being ready: its worker exits (the state must change before the reap,
// which may take a while), or its remote server goes away (probed until it is back, never given
// up on).
#include "tests/unit/supervisor/scripted_worker.hpp"

namespace switchyard::supervisor {
namespace {

TEST_F(SupervisorServingTest, LeavesReadyAsSoonAsTheWorkerExitsBeforeItIsReaped) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  ASSERT_EQ(s.snapshot().pid, ScriptedLauncher::kPid);

  launcher_.exited.open();
  // Requests that see this state wait for the next worker instead of meeting a dead port.
  EXPECT_TRUE(run_until([&] { return s.state() != ModelState::ready; }));
  EXPECT_EQ(s.state(), ModelState::unhealthy);
  EXPECT_TRUE(s.wants_running());
  EXPECT_EQ(s.snapshot().pid, ScriptedLauncher::kPid) << "not reaped yet";
  EXPECT_FALSE(launcher_.stopped);

  launcher_.reaped.open();
  EXPECT_TRUE(reaches(s, ModelState::restarting));
  EXPECT_TRUE(launcher_.stopped) << "stop() clears what the worker left behind";
  const ModelSnapshot snapshot = s.snapshot();
  EXPECT_EQ(snapshot.pid, 0);
  EXPECT_EQ(snapshot.restarts, 1);
  EXPECT_EQ(snapshot.last_exit, "exit code 1");
  EXPECT_EQ(launcher_.spawns, 1);
}

// Probes every 20 ms; a restart policy that would give up at the first failure.
config::ModelConfig remote_model(std::uint16_t port) {
  config::ModelConfig m;
  m.name = "remote";
  m.source = config::Source::url;
  m.url = "http://127.0.0.1:" + std::to_string(port);
  m.health.interval = milliseconds(20);
  m.health.timeout = milliseconds(500);
  m.health.failure_threshold = 2;
  m.health.startup_timeout = milliseconds(200);
  m.restart.max_restarts = 0;
  return m;
}

TEST_F(SupervisorServingTest, RemoteServerIsProbedUntilItIsBackAndNeverFails) {
  launcher_.health.open(0);
  const std::uint16_t port = launcher_.health.port();
  Supervisor& s = make(remote_model(port));
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(s.snapshot().port, port);
  const std::uint64_t first_generation = s.generation();

  launcher_.health.status = bhttp::status::service_unavailable;
  ASSERT_TRUE(reaches(s, ModelState::unhealthy));
  EXPECT_TRUE(s.last_error().has_value());
  EXPECT_TRUE(s.wants_running()) << "requests wait for it";
  // Not given up on: still probed, and still unhealthy (a given-up model is probed no more).
  const int probes = launcher_.health.probes;
  EXPECT_TRUE(run_until([&] { return launcher_.health.probes >= probes + 5; }));
  EXPECT_EQ(s.state(), ModelState::unhealthy);

  launcher_.health.status = bhttp::status::ok;
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_GT(s.generation(), first_generation) << "connections to the old server are not reused";
  EXPECT_FALSE(s.last_error().has_value());
  const ModelSnapshot snapshot = s.snapshot();
  EXPECT_EQ(snapshot.restarts, 0);
  EXPECT_EQ(snapshot.pid, 0);
  EXPECT_EQ(launcher_.spawns, 0) << "a url model is never spawned";
}

TEST_F(SupervisorServingTest, RemoteServerDownFromTheStartGoesUnhealthyNotFailed) {
  launcher_.health.open(0);
  const std::uint16_t port = launcher_.health.port();
  launcher_.health.close();
  Supervisor& s = make(remote_model(port));
  ASSERT_TRUE(reaches(s, ModelState::unhealthy));  // after startup_timeout
  EXPECT_TRUE(s.last_error().has_value());

  launcher_.health.open(port);
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(s.snapshot().restarts, 0);
}

}  // namespace
}  // namespace switchyard::supervisor
