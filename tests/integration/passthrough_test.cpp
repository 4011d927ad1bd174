// /upstream/{model}/{path}: a model's own server reached past the OpenAI API (llama-server's web
// UI, /slots, /metrics), as llama-swap offers it. The request goes to that model's worker as it
// came, under the same keys, limits and waits as any other; the path cannot climb out of it.
#include <gtest/gtest.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

TEST(PassthroughTest, RequestReachesTheModelsOwnServerAtTheRestOfThePath) {
  TestRouter router(model_yaml("chat", {}, "aliases: [gpt-test]") +
                    model_yaml("lazy", {}, "on_demand: true"));
  router.wait_ready("chat");

  // Any path and method; here the fake worker's own /stats, which the API does not route.
  const HttpResponse stats = http_request(router.port(), "GET", "/upstream/chat/stats");
  ASSERT_EQ(stats.status, 200) << stats.body;
  EXPECT_TRUE(stats.json().contains("health_requests")) << stats.body;

  // The query goes along, less the credentials a client may have put in it.
  const HttpResponse echoed =
      http_request(router.port(), "POST", "/upstream/gpt-test/v1/completions?n=2&api_key=secret",
                   R"({"prompt":"hi"})", {{"Content-Type", "application/json"}});
  ASSERT_EQ(echoed.status, 200) << echoed.body;
  EXPECT_EQ(echoed.json()["worker"], "chat");
  EXPECT_EQ(echoed.json()["path"], "/v1/completions?n=2");
  EXPECT_EQ(echoed.json()["model"], nullptr) << "the body is not read for a model";

  // A model down until asked for is started by it, like by an API request.
  const HttpResponse started = http_request(router.port(), "GET", "/upstream/lazy/stats");
  EXPECT_EQ(started.status, 200) << started.body;
  EXPECT_EQ(router.model_status("lazy").value()["state"], "ready");
}

TEST(PassthroughTest, UnknownModelIs404AndAClimbingPathIs400) {
  TestRouter router(model_yaml("chat"));
  router.wait_ready("chat");
  const HttpResponse unknown = http_request(router.port(), "GET", "/upstream/nope/stats");
  EXPECT_EQ(unknown.status, 404) << unknown.body;
  EXPECT_EQ(unknown.json()["error"]["code"], "model_not_found");

  // Paths the fake worker would count as API requests, had they reached it.
  for (const char* target :
       {"/upstream/chat/v1/../v1/completions", "/upstream/chat/v1/%2e%2e/v1/completions"}) {
    const HttpResponse refused = http_request(router.port(), "POST", target, "{}");
    EXPECT_EQ(refused.status, 400) << target << " " << refused.body;
    EXPECT_EQ(refused.json()["error"]["code"], "invalid_upstream_path");
  }
  EXPECT_EQ(router.worker_stats("chat")["requests"], 0) << "nothing reached the worker";
}

TEST(PassthroughTest, NeedsAnApiKeyLikeTheApi) {
  TestRouter router(model_yaml("chat"), "api_keys: [k-1]\n");
  router.wait_ready("chat");
  EXPECT_EQ(http_request(router.port(), "GET", "/upstream/chat/stats").status, 401);
  EXPECT_EQ(http_request(router.port(), "GET", "/upstream/chat/stats", "",
                         {{"Authorization", "Bearer k-1"}})
                .status,
            200);
}

}  // namespace
}  // namespace switchyard::test
