#include "router/http/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace switchyard::http {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = RateLimiter::Clock;

const Clock::time_point kStart{seconds(1000)};

TEST(RateLimiter, NoLimitLetsEverythingThroughAndTracksNobody) {
  RateLimiter limiter;
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(limiter.take("k", {}, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.tracked(), 0u);
}

TEST(RateLimiter, TheBurstGoesAtOnceThenOneRequestPerInterval) {
  RateLimiter limiter;
  const config::RateLimit limit{60, 3};  // one a second, three at once
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.take("k", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.take("k", limit, kStart), seconds(1));
  EXPECT_EQ(limiter.take("k", limit, kStart + milliseconds(400)), milliseconds(600));
  EXPECT_EQ(limiter.take("k", limit, kStart + seconds(1)), Clock::duration::zero());
  EXPECT_EQ(limiter.take("k", limit, kStart + seconds(1)), seconds(1));
  // Steady at the rate: never refused.
  for (int i = 2; i < 100; ++i) {
    EXPECT_EQ(limiter.take("k", limit, kStart + seconds(i)), Clock::duration::zero()) << i;
  }
}

TEST(RateLimiter, RefusedRequestsAreNotCounted) {
  RateLimiter limiter;
  const config::RateLimit limit{60, 1};
  EXPECT_EQ(limiter.take("k", limit, kStart), Clock::duration::zero());
  for (int i = 0; i < 50; ++i) EXPECT_GT(limiter.take("k", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.take("k", limit, kStart + seconds(1)), Clock::duration::zero());
}

TEST(RateLimiter, TheBurstDefaultsToAMinutesWorth) {
  RateLimiter limiter;
  const config::RateLimit limit{10, 0};
  for (int i = 0; i < 10; ++i) EXPECT_EQ(limiter.take("k", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.take("k", limit, kStart), seconds(6));
}

TEST(RateLimiter, EachClientHasItsOwnBucket) {
  RateLimiter limiter;
  const config::RateLimit limit{60, 1};
  EXPECT_EQ(limiter.take("a", limit, kStart), Clock::duration::zero());
  EXPECT_GT(limiter.take("a", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.take("b", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.tracked(), 2u);
}

TEST(RateLimiter, QuietClientsAreForgottenWhenTheTableIsFull) {
  RateLimiter limiter(3);
  const config::RateLimit limit{60, 2};
  EXPECT_EQ(limiter.take("quiet", limit, kStart), Clock::duration::zero());
  EXPECT_EQ(limiter.take("busy-1", limit, kStart + seconds(5)), Clock::duration::zero());
  EXPECT_EQ(limiter.take("busy-1", limit, kStart + seconds(5)), Clock::duration::zero());
  EXPECT_EQ(limiter.take("busy-2", limit, kStart + seconds(5)), Clock::duration::zero());
  EXPECT_EQ(limiter.tracked(), 3u);
  // "quiet" has its whole burst back: it goes, and busy-1 keeps its count.
  EXPECT_EQ(limiter.take("new", limit, kStart + seconds(5)), Clock::duration::zero());
  EXPECT_EQ(limiter.tracked(), 3u);
  EXPECT_GT(limiter.take("busy-1", limit, kStart + seconds(5)), Clock::duration::zero());
  // Nobody quiet: one of the others makes room, and the table never grows past its size.
  EXPECT_EQ(limiter.take("another", limit, kStart + seconds(5)), Clock::duration::zero());
  EXPECT_EQ(limiter.tracked(), 3u);
}

}  // namespace
}  // namespace switchyard::http
