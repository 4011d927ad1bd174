// Fallbacks (a model's `fallbacks:`, LiteLLM's): a request its model cannot take, where the
// router would answer with its own 502, 503 or 504, goes to the first model of the list that
// can, renamed for it, before anything reaches the client. The client hears of the first
// model's failure only when no fallback could take the request; a worker's own answer, an error
// included, is never handed on.
#include <gtest/gtest.h>

#include <future>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

bool metrics_have(const TestRouter& router, std::string_view line) {
  return admin_get(router.admin_port(), "/metrics").body.find(line) != std::string::npos;
}

TEST(FallbackTest, AStoppedModelsRequestsGoToItsFallbackRenamedForIt) {
  TestRouter router(model_yaml("big", {}, "fallbacks: [small-alias]") +
                    model_yaml("small", {}, "aliases: [small-alias]"));
  router.wait_ready("big");
  router.wait_ready("small");
  EXPECT_EQ(router.chat("big").json()["worker"], "big") << "its own worker while it is up";

  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/big/stop").status, 202);
  router.wait_state("big", "stopped");
  const HttpResponse answer = router.chat("big");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["worker"], "small");
  EXPECT_EQ(answer.json()["model"], "small") << "the worker is asked for its own model";

  const HttpResponse streamed = router.chat("big", json{{"stream", true}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.body.find(R"("worker":"small")"), std::string::npos) << streamed.body;
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos) << streamed.body;
  EXPECT_TRUE(metrics_have(router, "switchyard_model_fallbacks_total{model=\"big\"} 2\n"));
  EXPECT_TRUE(
      metrics_have(router, "switchyard_model_requests_total{model=\"big\",code=\"2xx\"} 3"));
}

TEST(FallbackTest, AWorkerThatFailsToAnswerHandsTheRequestOn) {
  TempDir dir;
  const std::uint16_t port = free_port();
  ChildProcess server({fake_worker_path().string(), "--host", "127.0.0.1", "--port",
                       std::to_string(port), "--name", "remote", "--drop-requests"},
                      dir.path() / "remote.log");
  TestRouter router("  remote:\n    url: http://127.0.0.1:" + std::to_string(port) +
                    "\n    fallbacks: [local]\n" + model_yaml("local"));
  router.wait_ready("local");
  router.wait_state("remote", "ready");

  const HttpResponse answer = router.chat("remote");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["worker"], "local");
  EXPECT_EQ(router.model_status("remote").value()["failed_requests_in_a_row"], 1)
      << "the remote's failure still counts against it";
}

TEST(FallbackTest, ABusyModelHandsOnWhatItCannotTakeInTime) {
  TestRouter router(
      model_yaml("m", {}, "max_in_flight: 1\nqueue_timeout: 300ms\nfallbacks: [spare]") +
      model_yaml("spare"));
  router.wait_ready("m");
  router.wait_ready("spare");
  auto slow = std::async(std::launch::async, [&] {
    return router.chat("m", json{{"delay_ms", 1500}});
  });
  router.wait_model(
      "m", [](const json& s) { return s["requests_in_flight"] == 1; }, "the slow request sent");
  const HttpResponse answer = router.chat("m");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["worker"], "spare");
  EXPECT_EQ(slow.get().json()["worker"], "m");
}

TEST(FallbackTest, AFallbackLackingTheRequestsInputsIsPassedOver) {
  TestRouter router(model_yaml("vision", {}, "inputs: [text, image]\nfallbacks: [plain, eyes]") +
                    model_yaml("plain") + model_yaml("eyes", {}, "inputs: [text, image]"));
  for (const char* name : {"vision", "plain", "eyes"}) router.wait_ready(name);
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/vision/stop").status, 202);
  router.wait_state("vision", "stopped");

  const json image_part = {{"type", "image_url"},
                           {"image_url", {{"url", "data:image/png;base64,AAAA"}}}};
  const json with_image = {
      {"messages", json::array({{{"role", "user"}, {"content", json::array({image_part})}}})}};
  const HttpResponse seen = router.chat("vision", with_image);
  ASSERT_EQ(seen.status, 200) << seen.body;
  EXPECT_EQ(seen.json()["worker"], "eyes");
  EXPECT_EQ(router.chat("vision").json()["worker"], "plain") << "text alone: the first one";
}

TEST(FallbackTest, TheClientGetsTheAskedModelsErrorWhenNoFallbackCanTakeIt) {
  TestRouter router(model_yaml("a", {}, "fallbacks: [b]") + model_yaml("b") +
                    model_yaml("broken", {"--fail-status", "500"},
                               "fallbacks: [b]\nhealth: {max_failed_requests: 0}"));
  for (const char* name : {"a", "b", "broken"}) router.wait_ready(name);
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(
        admin_post(router.admin_port(), "/admin/models/" + std::string(name) + "/stop").status,
        202);
    router.wait_state(name, "stopped");
  }
  const HttpResponse refused = router.chat("a");
  ASSERT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_stopped");
  EXPECT_NE(refused.json()["error"]["message"].get<std::string>().find("'a'"), std::string::npos)
      << refused.body;

  // The worker's own error is its answer, not the router's: it is not handed on.
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/b/start").status, 202);
  router.wait_ready("b");
  EXPECT_EQ(router.chat("broken").status, 500);
  // Nor is a request the model refuses as not for it.
  EXPECT_EQ(router.post("/v1/images/generations", "a", json{{"prompt", "x"}}).status, 400);
  EXPECT_EQ(router.worker_stats("b")["requests"], 0);
}

}  // namespace
}  // namespace switchyard::test
