// A model's `params` (LocalAI's model parameters, llama-swap's filters): the worker gets the
// client's body with the model's defaults filled in, its overrides set and its stripped fields
// gone; a fallback gets the client's body with its own params, never the first model's. A reload
// that changes only such per-request settings keeps the worker.
#include <gtest/gtest.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

constexpr std::string_view kTunedParams = R"(params:
  defaults: {temperature: 0.7, max_tokens: 64}
  overrides: {top_k: 40}
  strip: [user]
)";

TEST(RequestParamsTest, TheWorkerGetsTheModelsParamsOnTheClientsBody) {
  TestRouter router(model_yaml("tuned", {}, kTunedParams) + model_yaml("plain"));
  router.wait_ready("tuned");
  router.wait_ready("plain");

  const json client = {{"temperature", 1.5}, {"top_k", 1}, {"user", "u-17"}};
  const HttpResponse answer = router.chat("tuned", client);
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["body"],
            json({{"model", "tuned"}, {"temperature", 1.5}, {"max_tokens", 64}, {"top_k", 40}}))
      << "the client's temperature stands, its top_k is overridden, its user stripped";

  const HttpResponse streamed = router.chat("tuned", json{{"stream", true}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_NE(streamed.body.find("data: [DONE]"), std::string::npos) << streamed.body;

  const HttpResponse plain = router.chat("plain", client);
  ASSERT_EQ(plain.status, 200) << plain.body;
  json as_sent = client;
  as_sent["model"] = "plain";
  EXPECT_EQ(plain.json()["body"], as_sent) << "a model without params gets the body as it came";
}

TEST(RequestParamsTest, AFallbackGetsTheClientsBodyWithItsOwnParams) {
  TestRouter router(
      model_yaml("big", {}, "fallbacks: [small]\nparams: {overrides: {max_tokens: 8}}") +
      model_yaml("small", {}, "params: {defaults: {temperature: 0.1, n: 1}}"));
  router.wait_ready("big");
  router.wait_ready("small");
  EXPECT_EQ(router.chat("big", json{{"temperature", 2}}).json()["body"],
            json({{"model", "big"}, {"temperature", 2}, {"max_tokens", 8}}));

  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/big/stop").status, 202);
  router.wait_state("big", "stopped");
  const HttpResponse answer = router.chat("big", json{{"temperature", 2}});
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["worker"], "small");
  EXPECT_EQ(answer.json()["body"], json({{"model", "small"}, {"temperature", 2}, {"n", 1}}))
      << "not big's max_tokens; small's default only where the client set nothing";
}

TEST(RequestParamsTest, AnUploadGetsTheModelsFormFields) {
  TestRouter router(model_yaml("aud", {}, R"(type: audio
upstream_model: Systran/faster-whisper-small
params:
  defaults: {language: en, temperature: 0}
  overrides: {response_format: verbose_json, "timestamp_granularities[]": [word, segment]}
)"));
  router.wait_ready("aud");
  const std::string body = multipart({{"model", "aud"}, {"temperature", "0.4"}}, "RIFF");
  const HttpResponse answer =
      http_request(router.port(), "POST", "/v1/audio/transcriptions", body, multipart_headers());
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(
      answer.json()["form_fields"],
      json({"model=Systran/faster-whisper-small", "temperature=0.4", "response_format=verbose_json",
            "timestamp_granularities[]=word", "timestamp_granularities[]=segment", "language=en"}));
}

TEST(RequestParamsTest, AReloadThatRetunesAModelKeepsItsWorker) {
  TestRouter router(model_yaml("tuned", {}, "aliases: [old-name]\nparams: {defaults: {n: 1}}"));
  const int pid = router.wait_ready("tuned")["pid"];

  router.rewrite_config(model_yaml("tuned", {}, "aliases: [new-name]\nparams: {defaults: {n: 2}}"));
  const HttpResponse reload = admin_post(router.admin_port(), "/admin/reload");
  ASSERT_EQ(reload.status, 200) << reload.body;
  EXPECT_EQ(reload.json()["updated"], json({"tuned"}));
  EXPECT_EQ(reload.json()["changed"], json::array());

  const HttpResponse answer = router.chat("new-name");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(answer.json()["body"], json({{"model", "new-name"}, {"n", 2}}));
  EXPECT_EQ(answer.json()["pid"], pid) << "the same worker";
  EXPECT_EQ(router.chat("old-name").status, 404);
  const json status = router.model_status("tuned").value();
  EXPECT_EQ(status["pid"], pid);
  EXPECT_EQ(status["aliases"], json({"new-name"}));
  EXPECT_EQ(
      status["params"],
      json({{"defaults", {{"n", 2}}}, {"overrides", json::object()}, {"strip", json::array()}}))
      << "the admin shows what requests get now";
}

}  // namespace
}  // namespace switchyard::test
