// max_in_flight's slots go in arrival order: a slot that frees goes to the request that has
// waited longest, never to one that arrives just then or happens to wake first; a request that
// gives up passes its place on.
#include "tests/unit/supervisor/scripted_worker.hpp"

namespace switchyard::supervisor {
namespace {

using SlotTurn = Supervisor::SlotTurn;

// The handler holds its model by shared_ptr; the fixture owns this one.
std::shared_ptr<Supervisor> borrowed(Supervisor& s) { return {std::shared_ptr<void>(), &s}; }

config::ModelConfig limited_model(int max_in_flight) {
  config::ModelConfig model = spawned_model();
  model.max_in_flight = max_in_flight;
  return model;
}

TEST_F(SupervisorServingTest, AFreedSlotGoesToTheFirstInLineNotToALaterRequest) {
  Supervisor& s = make(limited_model(1));
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_TRUE(s.may_send());
  s.request_started();  // A
  EXPECT_FALSE(s.may_send()) << "the one slot is taken";

  auto first = std::make_unique<SlotTurn>();  // B, then C, find it taken and queue
  SlotTurn second;
  first->join(borrowed(s));
  second.join(borrowed(s));
  first->join(borrowed(s));  // B waking up again keeps its place
  EXPECT_EQ(s.snapshot().queued, 2);
  EXPECT_FALSE(s.may_send(first.get()));

  s.request_finished();  // A ends
  EXPECT_FALSE(s.may_send()) << "a request arriving now would overtake the line";
  EXPECT_FALSE(s.may_send(&second)) << "C would overtake B";
  EXPECT_TRUE(s.may_send(first.get()));

  first.reset();  // B is sent
  s.request_started();
  EXPECT_EQ(s.snapshot().queued, 1);
  EXPECT_FALSE(s.may_send(&second));
  s.request_finished();
  EXPECT_TRUE(s.may_send(&second));
}

TEST_F(SupervisorServingTest, ARequestThatGivesUpPassesItsPlaceOnAndWakesTheNext) {
  Supervisor& s = make(limited_model(2));
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();
  s.request_started();
  auto first = std::make_unique<SlotTurn>();
  SlotTurn second;
  first->join(borrowed(s));
  second.join(borrowed(s));

  s.request_finished();
  bool woken = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await s.state_changed().wait_until(std::chrono::steady_clock::time_point::max());
        woken = true;
      },
      asio::detached);
  io_.poll();
  ASSERT_FALSE(woken);

  first.reset();  // B timed out, or its client left
  EXPECT_TRUE(run_until([&] { return woken; })) << "C was not told its turn had come";
  EXPECT_TRUE(s.may_send(&second));
  EXPECT_EQ(s.snapshot().queued, 1);
}

TEST_F(SupervisorServingTest, TheLineHoldsItsOrderWhileTheWorkerLoads) {
  config::ModelConfig model = limited_model(1);
  model.on_demand = true;
  Supervisor& s = make(model);
  SlotTurn first;
  SlotTurn second;
  first.join(borrowed(s));
  second.join(borrowed(s));
  EXPECT_FALSE(s.may_send(&first)) << "not ready yet";

  s.start();
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_TRUE(s.may_send(&first));
  EXPECT_FALSE(s.may_send(&second));
}

TEST_F(SupervisorServingTest, ARequestMovedToAReloadedModelLeavesTheOldLine) {
  config::ModelConfig model = limited_model(1);
  model.on_demand = true;  // neither spawns: the two share the scripted launcher
  Supervisor& old_model = make(model);
  Supervisor reloaded(io_.get_executor(), model, "worker", launcher_, ports_);
  {
    SlotTurn turn;
    turn.join(borrowed(old_model));
    turn.join(borrowed(reloaded));
    EXPECT_EQ(old_model.snapshot().queued, 0);
    EXPECT_EQ(reloaded.snapshot().queued, 1);
  }
  EXPECT_EQ(reloaded.snapshot().queued, 0);
  EXPECT_TRUE(shuts_down(reloaded));
}

TEST_F(SupervisorServingTest, WithoutALimitNothingQueues) {
  Supervisor& s = make(limited_model(0));
  ASSERT_TRUE(reaches(s, ModelState::ready));
  for (int i = 0; i < 100; ++i) s.request_started();
  SlotTurn turn;
  turn.join(borrowed(s));
  EXPECT_EQ(s.snapshot().queued, 0);
  EXPECT_TRUE(s.may_send());
  for (int i = 0; i < 100; ++i) s.request_finished();
}

}  // namespace
}  // namespace switchyard::supervisor
