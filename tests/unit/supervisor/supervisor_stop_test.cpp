// How a worker is stopped without losing requests: an on-demand model waits for its first
// request; an idle, unloaded or stopped worker answers the requests in flight first (up to the
// drain timeout); a swap group member gives way only once its waiting requests were sent.
#include <optional>

#include "tests/unit/supervisor/scripted_worker.hpp"

namespace switchyard::supervisor {
namespace {

TEST_F(SupervisorServingTest, OnDemandModelStaysStoppedUntilARequestStartsIt) {
  config::ModelConfig model = spawned_model();
  model.on_demand = true;
  Supervisor& s = make(model);
  io_.poll();
  EXPECT_EQ(s.state(), ModelState::stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_FALSE(s.wants_running()) << "nothing starts it by itself";
  EXPECT_TRUE(s.snapshot().starts_on_request);
  EXPECT_EQ(launcher_.spawns, 0);

  s.start();  // what the first request for it does
  s.start();  // and the next, while it loads: still one worker
  EXPECT_FALSE(s.starts_on_request());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 1);

  // An operator's stop lasts: requests no longer start it.
  s.stop();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_FALSE(s.starts_on_request());
}

TEST_F(SupervisorServingTest, IdleWorkerIsUnloadedAndTheNextRequestStartsItAgain) {
  config::ModelConfig model = spawned_model();
  model.unload_after = milliseconds(50);
  Supervisor& s = make(model);
  ASSERT_TRUE(reaches(s, ModelState::ready));

  // A request in flight, however long, keeps the worker.
  s.request_started();
  io_.run_for(milliseconds(300));
  EXPECT_EQ(s.state(), ModelState::ready);
  EXPECT_FALSE(launcher_.stopped);

  // unload_after from the end of the last request, then stopped and reaped.
  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_EQ(s.snapshot().pid, 0);
  EXPECT_EQ(s.snapshot().restarts, 0) << "an unload is not a restart";
  EXPECT_EQ(s.snapshot().unloads, 1);

  s.start();
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 2);
}

TEST_F(SupervisorServingTest, UnloadLetsTheRequestsInFlightFinishFirst) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();

  s.unload();
  EXPECT_EQ(s.state(), ModelState::stopping) << "no new request may go to it";
  io_.run_for(milliseconds(200));
  EXPECT_FALSE(launcher_.stopped) << "stopped under a request in flight";

  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_EQ(s.snapshot().unloads, 1);
}

TEST_F(SupervisorServingTest, UnloadStopsTheWorkerAtTheDrainTimeoutAllTheSame) {
  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), spawned_model(), "worker",
                                             launcher_, ports_, nullptr, milliseconds(50));
  Supervisor& s = *supervisor_;
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();  // and never finished
  s.unload();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  s.request_finished();
}

// An operator's stop lasts like before, but the requests in flight are answered first: no new
// request is sent to the worker (nor waits for it) while they finish.
TEST_F(SupervisorServingTest, StopLetsTheRequestsInFlightFinishAndRefusesNewOnes) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();

  s.stop();
  EXPECT_EQ(s.state(), ModelState::stopping);
  EXPECT_FALSE(s.wants_running()) << "new requests are refused, not kept waiting";
  EXPECT_FALSE(s.starts_on_request());
  io_.run_for(milliseconds(200));
  EXPECT_FALSE(launcher_.stopped) << "stopped under a request in flight";

  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  EXPECT_EQ(s.snapshot().unloads, 0) << "a stop is not an unload";
  EXPECT_FALSE(s.starts_on_request());
}

TEST_F(SupervisorServingTest, StopDuringAnUnloadMakesItLast) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();
  s.unload();
  s.stop();
  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_FALSE(s.starts_on_request()) << "the operator's stop wins";
  EXPECT_EQ(s.snapshot().unloads, 0);
}

// A member of a full swap group gives way only once the requests that waited for it have been
// sent to it: unloaded before, it would have loaded for nobody, and two members asked for in
// turn could unload each other for ever. Its worker is reaped before the other one spawns.
TEST_F(SupervisorServingTest, SwapGroupMemberGivesWayOnceItsWaitingRequestsAreSent) {
  auto group = std::make_shared<SwapGroup>("gpu", 1);
  config::ModelConfig member = spawned_model();
  member.on_demand = true;  // what the config implies for a member
  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), member, "worker", launcher_,
                                             ports_, nullptr, hours(1), group);
  Supervisor& a = *supervisor_;
  EXPECT_TRUE(a.starts_on_request());
  std::optional<Supervisor::Waiting> waiting_for_a(std::in_place, &a);
  a.start();
  ASSERT_TRUE(reaches(a, ModelState::ready));

  config::ModelConfig other = member;
  other.name = "other";
  Supervisor b(io_.get_executor(), other, "worker", launcher_, ports_, nullptr, hours(1), group);
  b.start();
  io_.run_for(milliseconds(200));
  EXPECT_EQ(a.state(), ModelState::ready) << "unloaded before its waiting request was sent";
  EXPECT_EQ(b.state(), ModelState::starting);

  a.request_started();    // the waiting request is sent,
  waiting_for_a.reset();  // and waits no more
  ASSERT_TRUE(reaches(a, ModelState::stopping));
  io_.run_for(milliseconds(200));
  EXPECT_EQ(launcher_.spawns, 1) << "the other spawned while the first had its worker";

  a.request_finished();
  ASSERT_TRUE(reaches(b, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 2);
  EXPECT_EQ(a.state(), ModelState::stopped);
  EXPECT_TRUE(a.starts_on_request());
  EXPECT_EQ(a.snapshot().unloads, 1);
  EXPECT_EQ(b.snapshot().group, "gpu");
  EXPECT_TRUE(shuts_down(b));
}

}  // namespace
}  // namespace switchyard::supervisor
