// The supervisor's state machine driven through its one seam, the Launcher, with a fake whose
// spawn always fails. The io_context is only polled, never run: backoff delays are hours long, so
// no timer fires during a test and every step is caused by the test itself.
#include "router/supervisor/supervisor.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <system_error>
#include <vector>

#include "tests/unit/supervisor/start_shutdown.hpp"

namespace switchyard::supervisor {
namespace {

namespace asio = boost::asio;
using std::chrono::hours;
using ::testing::ElementsAre;

class FailingLauncher : public Launcher {
 public:
  asio::awaitable<std::unique_ptr<WorkerProcess>> spawn(SpawnSpec spec, LineSink) override {
    specs.push_back(std::move(spec));
    throw std::system_error(std::make_error_code(std::errc::no_such_file_or_directory),
                            "cannot execute");
    co_return nullptr;
  }
  std::vector<SpawnSpec> specs;
};

config::ModelConfig model(config::RestartPolicy policy = config::RestartPolicy::always) {
  config::ModelConfig m;
  m.name = "llm";
  m.source = config::Source::engine;
  m.engine = "llama";
  m.model_path = "/models/llm.gguf";
  m.restart.policy = policy;
  m.restart.backoff_initial = hours(1);
  m.restart.backoff_max = hours(2);
  m.restart.max_restarts = 3;
  m.restart.window = hours(10);
  return m;
}

class SupervisorTest : public ::testing::Test {
 protected:
  ~SupervisorTest() override {
    if (supervisor_) shutdown();
  }

  Supervisor& make(config::ModelConfig config) {
    supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), std::move(config),
                                               "/usr/bin/switchyard-worker", launcher_, ports_);
    poll();
    return *supervisor_;
  }

  // Runs what is ready, without waiting for any timer. The io_context stops itself whenever it
  // runs out of work, hence the restart.
  void poll() {
    io_.restart();
    io_.poll();
  }

  // Runs Supervisor::shutdown() to completion on the polled executor; false if it hangs.
  bool shutdown_completes(Supervisor& s) {
    bool done = false;
    start_shutdown(io_, s, done);
    poll();
    return done;
  }

  void shutdown() {
    EXPECT_TRUE(shutdown_completes(*supervisor_));
    EXPECT_EQ(supervisor_->state(), ModelState::stopped);
    supervisor_.reset();
    poll();
  }

  asio::io_context io_;
  FailingLauncher launcher_;
  PortAllocator ports_;
  std::unique_ptr<Supervisor> supervisor_;
};

TEST(ModelStateToString, EveryState) {
  EXPECT_EQ(to_string(ModelState::stopped), "stopped");
  EXPECT_EQ(to_string(ModelState::starting), "starting");
  EXPECT_EQ(to_string(ModelState::ready), "ready");
  EXPECT_EQ(to_string(ModelState::unhealthy), "unhealthy");
  EXPECT_EQ(to_string(ModelState::restarting), "restarting");
  EXPECT_EQ(to_string(ModelState::failed), "failed");
  EXPECT_EQ(to_string(ModelState::stopping), "stopping");
}

TEST(PortAllocator, NeverHandsOutAHeldPortTwice) {
  PortAllocator ports;
  std::vector<std::uint16_t> seen;
  for (int i = 0; i < 20; ++i) {
    const auto port = ports.allocate();
    EXPECT_NE(port, 0);
    EXPECT_EQ(std::count(seen.begin(), seen.end(), port), 0) << port;
    seen.push_back(port);
  }
}

TEST_F(SupervisorTest, NothingHappensBeforeTheExecutorRuns) {
  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), model(), "w", launcher_, ports_);
  EXPECT_EQ(supervisor_->state(), ModelState::stopped);
  // Stopped only until its first start: requests wait for it rather than being refused.
  EXPECT_TRUE(supervisor_->wants_running());
  EXPECT_TRUE(launcher_.specs.empty());
}

TEST_F(SupervisorTest, FailedSpawnGoesToRestarting) {
  Supervisor& s = make(model());
  EXPECT_EQ(s.state(), ModelState::restarting);
  ASSERT_EQ(launcher_.specs.size(), 1u);
  EXPECT_EQ(launcher_.specs[0].model_name, "llm");
  EXPECT_EQ(launcher_.specs[0].argv.front(), "/usr/bin/switchyard-worker");
  const ModelSnapshot snapshot = s.snapshot();
  EXPECT_EQ(snapshot.state, ModelState::restarting);
  EXPECT_EQ(snapshot.restarts, 1);
  EXPECT_EQ(snapshot.pid, 0);
  EXPECT_TRUE(snapshot.last_error.has_value());
  EXPECT_EQ(s.generation(), 0u);  // nothing was ever spawned
}

TEST_F(SupervisorTest, StopDuringBackoffStopsWithoutAnotherSpawn) {
  Supervisor& s = make(model());
  EXPECT_TRUE(s.wants_running());
  s.stop();
  EXPECT_FALSE(s.wants_running()) << "known at once, before the stop is carried out";
  poll();
  EXPECT_EQ(s.state(), ModelState::stopped);
  EXPECT_FALSE(s.wants_running());
  EXPECT_EQ(launcher_.specs.size(), 1u);
  EXPECT_EQ(s.snapshot().port, 0);
}

TEST_F(SupervisorTest, StartAfterStopSpawnsAgain) {
  Supervisor& s = make(model());
  s.stop();
  poll();
  s.start();
  EXPECT_TRUE(s.wants_running());
  poll();
  EXPECT_EQ(s.state(), ModelState::restarting);
  EXPECT_TRUE(s.wants_running());
  EXPECT_EQ(launcher_.specs.size(), 2u);
  EXPECT_EQ(s.snapshot().restarts, 2);
}

TEST_F(SupervisorTest, RestartDuringBackoffSpawnsAtOnce) {
  Supervisor& s = make(model());
  s.restart();
  poll();
  EXPECT_EQ(launcher_.specs.size(), 2u);
  EXPECT_EQ(s.state(), ModelState::restarting);
}

TEST_F(SupervisorTest, GivesUpAfterMaxRestartsWithinTheWindow) {
  auto config = model();
  config.restart.max_restarts = 2;
  Supervisor& s = make(config);  // spawn 1 fails: restart 1
  s.restart();                   // skip the backoff
  poll();                    // spawn 2 fails: restart 2
  EXPECT_EQ(s.state(), ModelState::restarting);
  s.restart();
  poll();  // spawn 3 fails: 2 restarts in the window, give up
  EXPECT_EQ(s.state(), ModelState::failed);
  EXPECT_EQ(launcher_.specs.size(), 3u);
  EXPECT_TRUE(s.last_error().has_value());

  // restart() re-arms a failed model with a clean history.
  s.restart();
  poll();
  EXPECT_EQ(s.state(), ModelState::restarting);
  EXPECT_EQ(launcher_.specs.size(), 4u);
}

TEST_F(SupervisorTest, NeverPolicyFailsAtOnce) {
  Supervisor& s = make(model(config::RestartPolicy::never));
  EXPECT_EQ(s.state(), ModelState::failed);
  EXPECT_FALSE(s.wants_running());
  EXPECT_EQ(launcher_.specs.size(), 1u);
  EXPECT_EQ(s.snapshot().restarts, 0);
  EXPECT_EQ(s.snapshot().port, 0);
}

TEST_F(SupervisorTest, StartOnAFailedModelTriesAgain) {
  Supervisor& s = make(model(config::RestartPolicy::never));
  s.start();
  EXPECT_TRUE(s.wants_running());
  poll();
  EXPECT_EQ(s.state(), ModelState::failed);
  EXPECT_EQ(launcher_.specs.size(), 2u);
}

TEST_F(SupervisorTest, ShutdownIsFinal) {
  Supervisor& s = make(model());
  ASSERT_TRUE(shutdown_completes(s));
  EXPECT_EQ(s.state(), ModelState::stopped);
  s.start();
  s.restart();
  poll();
  EXPECT_EQ(s.state(), ModelState::stopped);
  EXPECT_FALSE(s.wants_running());
  EXPECT_EQ(launcher_.specs.size(), 1u);
}

TEST_F(SupervisorTest, ShutdownOfAStoppedModelCompletes) {
  Supervisor& s = make(model());
  s.stop();
  poll();
  ASSERT_EQ(s.state(), ModelState::stopped);
  EXPECT_TRUE(shutdown_completes(s));
}

TEST_F(SupervisorTest, ShutdownOfAFailedModelCompletes) {
  Supervisor& s = make(model(config::RestartPolicy::never));
  ASSERT_EQ(s.state(), ModelState::failed);
  EXPECT_TRUE(shutdown_completes(s));
  EXPECT_EQ(s.state(), ModelState::stopped);
}

TEST_F(SupervisorTest, ASecondShutdownCompletesAtOnce) {
  Supervisor& s = make(model());
  ASSERT_TRUE(shutdown_completes(s));
  EXPECT_TRUE(shutdown_completes(s));
}

TEST_F(SupervisorTest, ReplacingAStoppedModelStartsTheNewOne) {
  // A reload that changes a model hands the old supervisor over as the predecessor: the new one
  // waits for the old one to shut down before it spawns.
  auto old_one = std::make_shared<Supervisor>(io_.get_executor(), model(), "w", launcher_, ports_);
  poll();
  old_one->stop();
  poll();
  ASSERT_EQ(old_one->state(), ModelState::stopped);
  ASSERT_EQ(launcher_.specs.size(), 1u);

  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), model(), "w", launcher_, ports_,
                                             old_one, hours(1));
  poll();
  EXPECT_EQ(launcher_.specs.size(), 2u);
  EXPECT_EQ(supervisor_->state(), ModelState::restarting);
}

TEST_F(SupervisorTest, StateChangesWakeWaiters) {
  Supervisor& s = make(model());
  std::vector<ModelState> seen;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await s.state_changed().wait_until(std::chrono::steady_clock::time_point::max());
        seen.push_back(s.state());
      },
      asio::detached);
  poll();
  EXPECT_TRUE(seen.empty());
  s.stop();
  poll();
  EXPECT_THAT(seen, ElementsAre(ModelState::stopped));
}

TEST_F(SupervisorTest, InFlightCountsAndDrains) {
  Supervisor& s = make(model());
  s.request_started();
  s.request_started();
  EXPECT_EQ(s.in_flight(), 2);
  EXPECT_EQ(s.snapshot().in_flight, 2);
  bool drained = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await s.wait_drained(std::chrono::steady_clock::now() + hours(1));
        drained = true;
      },
      asio::detached);
  poll();
  s.request_finished();
  poll();
  EXPECT_FALSE(drained);
  s.request_finished();
  poll();
  EXPECT_TRUE(drained);
  EXPECT_EQ(s.in_flight(), 0);
}

}  // namespace
}  // namespace switchyard::supervisor
