// H8 (rate): rate_limit counts the requests of each API key, or of each client address when
// the router has no keys; a key may have a rate of its own. A client over its rate gets 429 with
// Retry-After before its request goes anywhere; other clients are not affected; a reload applies a
// new limit at once.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

const Headers kFirst{{"Authorization", "Bearer first-key"}};
const Headers kSecond{{"Authorization", "Bearer second-key"}};
const Headers kStrict{{"Authorization", "Bearer strict-key"}};
const Headers kTrusted{{"Authorization", "Bearer trusted-key"}};

void expect_429(const HttpResponse& response, std::string_view what) {
  EXPECT_EQ(response.status, 429) << what << ": " << response.body;
  if (response.status != 429) return;
  EXPECT_EQ(response.json()["error"]["code"], "rate_limit_exceeded") << what;
  EXPECT_EQ(response.json()["error"]["type"], "rate_limit_error") << what;
  // One a minute: the next one is most of a minute away.
  const int retry_after = std::stoi(response.header("Retry-After").value_or("0"));
  EXPECT_GT(retry_after, 30) << what;
  EXPECT_LE(retry_after, 60) << what;
  EXPECT_EQ(response.body.find("first-key"), std::string::npos) << "the key is in the body";
}

TEST(RateLimitTest, EachKeyHasItsRateAndAClientOverItGets429WithRetryAfter) {
  TestRouter router(model_yaml("m"),
                    "api_keys:\n"
                    "  - first-key\n"
                    "  - second-key\n"
                    "  - {key: strict-key, rate_limit: {requests_per_minute: 1, burst: 1}}\n"
                    "  - {key: trusted-key, rate_limit: {requests_per_minute: 0}}\n"
                    "rate_limit: {requests_per_minute: 1, burst: 2}\n");
  router.wait_ready("m");
  EXPECT_EQ(router.chat("m", {}, kFirst).status, 200);
  EXPECT_EQ(router.chat("m", {}, kFirst).status, 200);
  expect_429(router.chat("m", {}, kFirst), "third request of the first key");
  expect_429(router.chat("m", {}, kFirst), "refused requests are not counted, nor forgiven");
  EXPECT_EQ(router.worker_stats("m")["requests"], 2) << "a refused request reached the worker";

  EXPECT_EQ(router.chat("m", {}, kSecond).status, 200) << "another key has its own rate";
  // Keys with a rate of their own: a stricter one, and one without a limit.
  EXPECT_EQ(router.chat("m", {}, kStrict).status, 200);
  expect_429(router.chat("m", {}, kStrict), "second request of the strict key");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(router.chat("m", {}, kTrusted).status, 200) << i;
  const std::string metrics = admin_get(router.admin_port(), "/metrics").body;
  EXPECT_NE(metrics.find("\nswitchyard_rate_limited_requests_total 3\n"), std::string::npos)
      << metrics;
  // A wrong key is a 401 whatever the rates, and liveness is never counted.
  EXPECT_EQ(router.chat("m", {}, {{"Authorization", "Bearer nope"}}).status, 401);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(http_request(router.port(), "GET", "/healthz").status, 200);

  // Without keys the client address is counted; the new limit applies at the reload.
  router.rewrite_config(model_yaml("m"), "rate_limit: {requests_per_minute: 1, burst: 1}\n");
  router.process().send_signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return router.chat("m").status != 401; }, kLongWait));
  expect_429(router.chat("m"), "second request from the address");

  router.rewrite_config(model_yaml("m"));
  router.process().send_signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return router.chat("m").status == 200; }, kLongWait));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(router.chat("m").status, 200) << "no limit once removed";
}

}  // namespace
}  // namespace switchyard::test
