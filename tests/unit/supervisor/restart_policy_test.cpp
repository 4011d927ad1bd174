#include "router/supervisor/restart_policy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

namespace switchyard::supervisor {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr double kNoJitter = 1.0;  // scale 1.0: the nominal delay exactly

// Fake time: the restart policy never reads a clock itself.
Clock::time_point at(int second) { return Clock::time_point{} + seconds(second); }

config::RestartConfig policy(config::RestartPolicy kind = config::RestartPolicy::always) {
  config::RestartConfig p;
  p.policy = kind;
  p.backoff_initial = seconds(1);
  p.backoff_max = seconds(60);
  p.reset_after = seconds(600);
  p.max_restarts = 5;
  p.window = seconds(60);
  return p;
}

constexpr EndKind kFailures[] = {EndKind::failed_exit, EndKind::unhealthy, EndKind::startup_timeout,
                                 EndKind::spawn_failed};

// ---------------------------------------------------------------------------------------------
// to_string

TEST(EndKindToString, EveryKindHasItsOwnText) {
  EXPECT_EQ(to_string(EndKind::clean_exit), "exited cleanly");
  EXPECT_EQ(to_string(EndKind::failed_exit), "exited with failure");
  EXPECT_EQ(to_string(EndKind::unhealthy), "failed its health checks");
  EXPECT_EQ(to_string(EndKind::startup_timeout), "did not become healthy within startup_timeout");
  EXPECT_EQ(to_string(EndKind::spawn_failed), "could not be started");
}

// ---------------------------------------------------------------------------------------------
// backoff_delay

TEST(BackoffDelay, DoublesFromInitialUntilTheCap) {
  const auto p = policy();
  EXPECT_EQ(backoff_delay(p, 0, kNoJitter), seconds(1));
  EXPECT_EQ(backoff_delay(p, 1, kNoJitter), seconds(2));
  EXPECT_EQ(backoff_delay(p, 2, kNoJitter), seconds(4));
  EXPECT_EQ(backoff_delay(p, 3, kNoJitter), seconds(8));
  EXPECT_EQ(backoff_delay(p, 4, kNoJitter), seconds(16));
  EXPECT_EQ(backoff_delay(p, 5, kNoJitter), seconds(32));
  EXPECT_EQ(backoff_delay(p, 6, kNoJitter), seconds(60));  // 64 s capped
  EXPECT_EQ(backoff_delay(p, 7, kNoJitter), seconds(60));
}

TEST(BackoffDelay, HugeAttemptStaysAtTheCapWithoutOverflow) {
  auto p = policy();
  p.backoff_max = hours(24);
  EXPECT_EQ(backoff_delay(p, 1000, kNoJitter), hours(24));
  EXPECT_EQ(backoff_delay(p, std::numeric_limits<int>::max(), kNoJitter), hours(24));
}

TEST(BackoffDelay, NegativeAttemptMeansTheInitialDelay) {
  EXPECT_EQ(backoff_delay(policy(), -3, kNoJitter), seconds(1));
}

TEST(BackoffDelay, CapBelowInitialIsRaisedToInitial) {
  auto p = policy();
  p.backoff_initial = seconds(5);
  p.backoff_max = seconds(2);
  EXPECT_EQ(backoff_delay(p, 0, kNoJitter), seconds(5));
  EXPECT_EQ(backoff_delay(p, 3, kNoJitter), seconds(5));
}

TEST(BackoffDelay, ZeroInitialIsTreatedAsOneMillisecond) {
  auto p = policy();
  p.backoff_initial = milliseconds(0);
  p.backoff_max = milliseconds(100);
  EXPECT_EQ(backoff_delay(p, 0, kNoJitter), milliseconds(1));
  EXPECT_EQ(backoff_delay(p, 3, kNoJitter), milliseconds(8));
  EXPECT_EQ(backoff_delay(p, 10, kNoJitter), milliseconds(100));
}

TEST(BackoffDelay, CapThatIsNotAPowerOfTwoMultipleIsHitExactly) {
  auto p = policy();
  p.backoff_initial = milliseconds(300);
  p.backoff_max = milliseconds(1000);
  EXPECT_EQ(backoff_delay(p, 1, kNoJitter), milliseconds(600));
  EXPECT_EQ(backoff_delay(p, 2, kNoJitter), milliseconds(1000));  // 1200 capped
}

TEST(BackoffDelay, JitterScalesBetweenEightyAndOneHundredPercent) {
  const auto p = policy();
  EXPECT_EQ(backoff_delay(p, 0, 0.0), milliseconds(800));
  EXPECT_EQ(backoff_delay(p, 0, 0.5), milliseconds(900));
  EXPECT_EQ(backoff_delay(p, 0, 1.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(p, 3, 0.0), milliseconds(6400));
}

TEST(BackoffDelay, JitterNeverLeavesTheRangeOrExceedsTheCap) {
  const auto p = policy();
  for (int attempt = 0; attempt < 12; ++attempt) {
    const auto nominal = backoff_delay(p, attempt, kNoJitter);
    for (double jitter = 0.0; jitter < 1.0; jitter += 0.0625) {
      const auto delay = backoff_delay(p, attempt, jitter);
      EXPECT_GE(delay.count(), nominal.count() * 8 / 10) << attempt << " " << jitter;
      EXPECT_LE(delay, nominal) << attempt << " " << jitter;
      EXPECT_LE(delay, p.backoff_max) << attempt << " " << jitter;
    }
  }
}

TEST(BackoffDelay, JitterOutsideZeroToOneIsClamped) {
  const auto p = policy();
  EXPECT_EQ(backoff_delay(p, 0, -5.0), milliseconds(800));
  EXPECT_EQ(backoff_delay(p, 0, 7.0), milliseconds(1000));
  EXPECT_EQ(backoff_delay(p, 10, 7.0), seconds(60));
}

// ---------------------------------------------------------------------------------------------
// decide_restart: the policies

TEST(DecideRestart, AlwaysRestartsACleanExitAfterTheInitialDelay) {
  RestartHistory history;
  const auto d =
      decide_restart(policy(), EndKind::clean_exit, milliseconds(0), history, at(0), kNoJitter);
  EXPECT_TRUE(d.restart);
  EXPECT_FALSE(d.give_up);
  EXPECT_EQ(d.delay, seconds(1));
  EXPECT_THAT(history.restarts, SizeIs(1));
  EXPECT_EQ(history.consecutive_failures, 0);  // a clean exit is not a failure
  EXPECT_FALSE(d.reason.empty());
}

TEST(DecideRestart, AlwaysRestartsEveryKindOfFailure) {
  for (const EndKind end : kFailures) {
    RestartHistory history;
    const auto d = decide_restart(policy(), end, milliseconds(0), history, at(0), kNoJitter);
    EXPECT_TRUE(d.restart) << to_string(end);
    EXPECT_FALSE(d.give_up) << to_string(end);
    EXPECT_EQ(d.delay, seconds(1)) << to_string(end);
    EXPECT_EQ(history.consecutive_failures, 1) << to_string(end);
    EXPECT_THAT(history.restarts, SizeIs(1)) << to_string(end);
  }
}

TEST(DecideRestart, OnFailureLeavesACleanExitStoppedWithoutGivingUp) {
  RestartHistory history;
  const auto d = decide_restart(policy(config::RestartPolicy::on_failure), EndKind::clean_exit,
                                milliseconds(0), history, at(0), kNoJitter);
  EXPECT_FALSE(d.restart);
  EXPECT_FALSE(d.give_up);
  EXPECT_EQ(d.delay, milliseconds(0));
  EXPECT_THAT(history.restarts, IsEmpty());
  EXPECT_FALSE(d.reason.empty());
}

TEST(DecideRestart, OnFailureRestartsFailures) {
  for (const EndKind end : kFailures) {
    RestartHistory history;
    const auto d = decide_restart(policy(config::RestartPolicy::on_failure), end, milliseconds(0),
                                  history, at(0), kNoJitter);
    EXPECT_TRUE(d.restart) << to_string(end);
    EXPECT_FALSE(d.give_up) << to_string(end);
    EXPECT_EQ(d.delay, seconds(1)) << to_string(end);
  }
}

TEST(DecideRestart, NeverRestartsAndGivesUpOnlyOnFailure) {
  const auto p = policy(config::RestartPolicy::never);
  RestartHistory history;
  const auto clean =
      decide_restart(p, EndKind::clean_exit, milliseconds(0), history, at(0), kNoJitter);
  EXPECT_FALSE(clean.restart);
  EXPECT_FALSE(clean.give_up);
  EXPECT_FALSE(clean.reason.empty());
  for (const EndKind end : kFailures) {
    const auto d = decide_restart(p, end, milliseconds(0), history, at(0), kNoJitter);
    EXPECT_FALSE(d.restart) << to_string(end);
    EXPECT_TRUE(d.give_up) << to_string(end);
  }
  EXPECT_THAT(history.restarts, IsEmpty());
  EXPECT_EQ(history.consecutive_failures, 0);
}

// ---------------------------------------------------------------------------------------------
// decide_restart: backoff

TEST(DecideRestart, ConsecutiveFailuresDoubleTheDelayUpToTheCap) {
  auto p = policy();
  p.max_restarts = 100;
  p.window = seconds(1);  // keep the give-up limit out of the way
  RestartHistory history;
  const seconds expected[] = {seconds(1),  seconds(2),  seconds(4),  seconds(8),
                              seconds(16), seconds(32), seconds(60), seconds(60)};
  int t = 0;
  for (const auto want : expected) {
    const auto d =
        decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(t), kNoJitter);
    ASSERT_TRUE(d.restart);
    EXPECT_EQ(d.delay, want);
    t += 10;
  }
  EXPECT_EQ(history.consecutive_failures, 8);
}

TEST(DecideRestart, CleanExitUnderAlwaysUsesTheInitialDelayEvenAfterFailures) {
  RestartHistory history;
  history.consecutive_failures = 4;
  const auto d =
      decide_restart(policy(), EndKind::clean_exit, milliseconds(0), history, at(0), kNoJitter);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay, seconds(1));
  EXPECT_EQ(history.consecutive_failures, 4);
}

TEST(DecideRestart, JitteredDelayStaysWithinEightyToHundredPercentAndUnderTheCap) {
  auto p = policy();
  p.max_restarts = 1000;
  for (int failures = 0; failures < 10; ++failures) {
    const auto nominal = backoff_delay(p, failures, kNoJitter);
    for (double jitter : {0.0, 0.1, 0.33, 0.5, 0.77, 0.999}) {
      RestartHistory history;
      history.consecutive_failures = failures;
      const auto d =
          decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(0), jitter);
      ASSERT_TRUE(d.restart);
      EXPECT_GE(d.delay.count(), nominal.count() * 8 / 10);
      EXPECT_LE(d.delay, nominal);
      EXPECT_LE(d.delay, p.backoff_max);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// decide_restart: giving up

TEST(DecideRestart, GivesUpOnceMaxRestartsHappenedWithinTheWindow) {
  auto p = policy();
  p.max_restarts = 3;
  p.window = seconds(60);
  RestartHistory history;
  for (int i = 0; i < 3; ++i) {
    const auto d =
        decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(i * 10), kNoJitter);
    EXPECT_TRUE(d.restart) << i;
    EXPECT_FALSE(d.give_up) << i;
  }
  const auto d =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(30), kNoJitter);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(d.give_up);
  EXPECT_EQ(d.delay, milliseconds(0));
  EXPECT_FALSE(d.reason.empty());
  EXPECT_THAT(history.restarts, SizeIs(3));  // a refused restart is not recorded
}

TEST(DecideRestart, CleanExitsCountTowardsTheLimitUnderAlways) {
  auto p = policy();
  p.max_restarts = 2;
  RestartHistory history;
  EXPECT_TRUE(
      decide_restart(p, EndKind::clean_exit, milliseconds(0), history, at(0), kNoJitter).restart);
  EXPECT_TRUE(
      decide_restart(p, EndKind::clean_exit, milliseconds(0), history, at(1), kNoJitter).restart);
  const auto d = decide_restart(p, EndKind::clean_exit, milliseconds(0), history, at(2), kNoJitter);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(d.give_up);
}

TEST(DecideRestart, ZeroMaxRestartsGivesUpAtTheFirstFailure) {
  auto p = policy();
  p.max_restarts = 0;
  RestartHistory history;
  const auto d =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(0), kNoJitter);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(d.give_up);
}

TEST(DecideRestart, RestartsOutsideTheWindowDoNotCount) {
  auto p = policy();
  p.max_restarts = 3;
  p.window = seconds(60);
  RestartHistory history;
  history.restarts = {at(0), at(10), at(20)};
  history.consecutive_failures = 3;
  // At t=70 the restart at t=0 and t=10 are more than 60 s old; only t=20 remains.
  const auto d =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(70), kNoJitter);
  EXPECT_TRUE(d.restart);
  EXPECT_FALSE(d.give_up);
  EXPECT_THAT(history.restarts, ::testing::ElementsAre(at(20), at(70)));
}

TEST(DecideRestart, ARestartExactlyOneWindowAgoHasExpired) {
  auto p = policy();
  p.max_restarts = 1;
  p.window = seconds(60);
  RestartHistory history;
  history.restarts = {at(0)};
  const auto inside =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(59), kNoJitter);
  EXPECT_TRUE(inside.give_up);
  const auto boundary =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(60), kNoJitter);
  EXPECT_TRUE(boundary.restart);
  EXPECT_FALSE(boundary.give_up);
}

TEST(DecideRestart, ExpiredRestartsDoNotResetTheBackoffExponent) {
  auto p = policy();
  RestartHistory history;
  history.restarts = {at(0)};
  history.consecutive_failures = 3;
  const auto d =
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(1000), kNoJitter);
  EXPECT_TRUE(d.restart);
  EXPECT_EQ(d.delay, seconds(8));
}

TEST(DecideRestart, GivingUpStillHappensOnceTheWindowFillsAgain) {
  auto p = policy();
  p.max_restarts = 2;
  p.window = seconds(10);
  RestartHistory history;
  int t = 0;
  // Restarts 6 s apart: the oldest one keeps dropping out of the 10 s window.
  EXPECT_TRUE(
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(t), kNoJitter).restart);
  t += 6;
  EXPECT_TRUE(
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(t), kNoJitter).restart);
  t += 6;  // t=12: the restart at 0 expired, the one at 6 remains
  EXPECT_TRUE(
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(t), kNoJitter).restart);
  t += 1;  // t=13: restarts at 6 and 12 are within the window
  EXPECT_TRUE(
      decide_restart(p, EndKind::failed_exit, milliseconds(0), history, at(t), kNoJitter).give_up);
}

// ---------------------------------------------------------------------------------------------
// decide_restart: a healthy run resets the history

TEST(DecideRestart, HealthyForResetAfterClearsHistoryAndBackoff) {
  auto p = policy();
  p.max_restarts = 3;
  RestartHistory history;
  history.restarts = {at(0), at(1), at(2)};
  history.consecutive_failures = 5;
  const auto d = decide_restart(p, EndKind::failed_exit, p.reset_after, history, at(3), kNoJitter);
  EXPECT_TRUE(d.restart);
  EXPECT_FALSE(d.give_up);
  EXPECT_EQ(d.delay, seconds(1));  // exponent back to zero
  EXPECT_THAT(history.restarts, ::testing::ElementsAre(at(3)));
  EXPECT_EQ(history.consecutive_failures, 1);
}

TEST(DecideRestart, HealthyForJustUnderResetAfterKeepsHistory) {
  auto p = policy();
  p.max_restarts = 3;
  RestartHistory history;
  history.restarts = {at(0), at(1), at(2)};
  history.consecutive_failures = 5;
  const auto d = decide_restart(p, EndKind::failed_exit, p.reset_after - milliseconds(1), history,
                                at(3), kNoJitter);
  EXPECT_FALSE(d.restart);
  EXPECT_TRUE(d.give_up);
  EXPECT_EQ(history.consecutive_failures, 5);
}

TEST(DecideRestart, ResetAlsoAppliesWhenThePolicyDoesNotRestart) {
  RestartHistory history;
  history.restarts = {at(0)};
  history.consecutive_failures = 2;
  const auto p = policy(config::RestartPolicy::never);
  decide_restart(p, EndKind::failed_exit, p.reset_after + seconds(1), history, at(5), kNoJitter);
  EXPECT_THAT(history.restarts, IsEmpty());
  EXPECT_EQ(history.consecutive_failures, 0);
}

}  // namespace
}  // namespace switchyard::supervisor
