// Which member of a full swap group gives way, and when none should yet.
#include "router/supervisor/swap_policy.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace switchyard::supervisor {
namespace {

using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

const Clock::time_point t0{};

LoadedMember idle(int last_used_s) {
  return {.may_go = true, .last_used = t0 + seconds(last_used_s)};
}

TEST(SwapPolicy, NoneGoesWhileThereIsRoom) {
  const std::vector<LoadedMember> loaded{idle(1)};
  EXPECT_EQ(member_to_unload(loaded, 2, 1), std::nullopt);
  EXPECT_EQ(member_to_unload({}, 1, 1), std::nullopt);
}

TEST(SwapPolicy, FullGroupUnloadsTheLeastRecentlyUsed) {
  const std::vector<LoadedMember> loaded{idle(5), idle(2), idle(9)};
  EXPECT_EQ(member_to_unload(loaded, 3, 1), 1u);
}

TEST(SwapPolicy, CrashedMemberGoesBeforeAnIdleOne) {
  std::vector<LoadedMember> loaded{idle(1), idle(7)};
  loaded[1].crashed = true;
  EXPECT_EQ(member_to_unload(loaded, 2, 1), 1u);
}

// Loading, or ready with requests not yet sent to it: unloading it would answer nobody.
TEST(SwapPolicy, MemberThatMayNotGoIsPassedOverAndNoneIsChosenIfAllAre) {
  std::vector<LoadedMember> loaded{idle(1), idle(3)};
  loaded[0].may_go = false;
  EXPECT_EQ(member_to_unload(loaded, 2, 1), 1u);
  loaded[1].may_go = false;
  EXPECT_EQ(member_to_unload(loaded, 2, 1), std::nullopt);
}

TEST(SwapPolicy, MemberAlreadyLeavingMakesTheRoomForOneWantingModel) {
  std::vector<LoadedMember> loaded{idle(1), idle(3)};
  loaded[0].leaving = true;
  EXPECT_EQ(member_to_unload(loaded, 2, 1), std::nullopt) << "one place is on its way";
  EXPECT_EQ(member_to_unload(loaded, 2, 2), 1u) << "two models want one each";
}

TEST(SwapPolicy, LoweredMaxLoadedUnloadsOneAtATimeDownToTheLimit) {
  std::vector<LoadedMember> loaded{idle(4), idle(2), idle(6)};
  EXPECT_EQ(member_to_unload(loaded, 1, 1), 1u);
  loaded[1].leaving = true;
  EXPECT_EQ(member_to_unload(loaded, 1, 1), 0u);
  loaded[0].leaving = true;
  EXPECT_EQ(member_to_unload(loaded, 1, 1), 2u);
  loaded[2].leaving = true;
  EXPECT_EQ(member_to_unload(loaded, 1, 1), std::nullopt);
}

}  // namespace
}  // namespace switchyard::supervisor
