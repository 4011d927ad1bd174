// Through the router: an OCR model (engine tesseract, `inputs: [image]` as issue 5 writes it:
// text is implied), a vision model (engine llama with the tiny projector, `inputs: [text, image]`)
// and a text-only model (engine llama, default inputs), all started by the real router as real
// switchyard-worker processes. Image parts reach the models that take them, and their answers come
// back, streamed or not; the router refuses an image for the text-only model; bad images are the
// workers' 400s, after which they keep serving.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "tests/integration/router_harness.hpp"
#include "tests/worker/test_media.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSentence = "Sphinx of black quartz, judge my vow.";
// The tiny projector makes (32 / 8)^2 = 16 tokens of any image.
constexpr int kImageTokens = 16;

std::string models_yaml() {
  const std::string tiny = yaml_quote(SWITCHYARD_TINY_MODEL);
  return "  ocr:\n"
         "    engine: tesseract\n"
         "    model: " +
         yaml_quote(SWITCHYARD_TESSDATA_ENG) +
         "\n"
         "    inputs: [image]\n"
         "  vision:\n"
         "    engine: llama\n"
         "    model: " +
         tiny +
         "\n"
         "    args: {mmproj: " +
         yaml_quote(SWITCHYARD_TINY_MMPROJ) +
         ", ctx_size: 256, threads: 1}\n"
         "    inputs: [text, image]\n"
         "  plain:\n"
         "    engine: llama\n"
         "    model: " +
         tiny +
         "\n"
         "    args: {ctx_size: 128, threads: 1}\n";
}

json text_part(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

json image_part(const std::string& url) {
  return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

json png_part(const std::string& png) { return image_part(data_url("image/png", png)); }

json user_message(json parts) {
  return json::array({{{"role", "user"}, {"content", std::move(parts)}}});
}

json image_message(const std::string& png, const std::string& text) {
  return user_message(json::array({text_part(text), png_part(png)}));
}

class Multimodal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    router_ =
        new TestRouter(models_yaml(), "worker_binary: " + yaml_quote(SWITCHYARD_WORKER_BIN) + "\n");
  }
  static void TearDownTestSuite() { delete router_; }
  // prompt_tokens of a one-token vision chat with these parts.
  static std::int64_t prompt_tokens(const json& parts) {
    const auto response =
        router_->chat("vision", {{"messages", user_message(parts)}, {"max_tokens", 1}});
    EXPECT_EQ(response.status, 200) << response.body;
    return response.status == 200 ? response.json()["usage"]["prompt_tokens"].get<std::int64_t>()
                                  : -1;
  }
  static TestRouter* router_;
};
TestRouter* Multimodal::router_ = nullptr;

TEST_F(Multimodal, OcrModelReadsTheImage) {
  const auto response =
      router_->chat("ocr", {{"messages", image_message(render_text_png(kSentence), "Read this")}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body["choices"][0]["message"]["content"], kSentence);
  EXPECT_EQ(body["usage"]["completion_tokens"], 7);
}

TEST_F(Multimodal, InputsListTextAsImplied) {
  const auto models = http_request(router_->port(), "GET", "/v1/models");
  ASSERT_EQ(models.status, 200) << models.body;
  std::map<std::string, json> inputs;
  const json list = models.json();
  for (const json& model : list["data"]) {
    inputs[model["id"].get<std::string>()] = model["inputs"];
  }
  EXPECT_EQ(inputs["ocr"], json({"text", "image"}));
  EXPECT_EQ(inputs["vision"], json({"text", "image"}));
  EXPECT_EQ(inputs["plain"], json({"text"})) << models.body;
}

TEST_F(Multimodal, VisionModelAnswersAndStreams) {
  const auto whole = router_->chat(
      "vision",
      {{"messages", image_message(pattern_png(40, 40), "What is it?")}, {"max_tokens", 3}});
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_EQ(json::parse(whole.body)["usage"]["completion_tokens"], 3);

  const auto streamed =
      router_->chat("vision", {{"messages", image_message(pattern_png(40, 40), "And now?")},
                               {"max_tokens", 3},
                               {"stream", true}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_THAT(streamed.body, HasSubstr("chat.completion.chunk"));
  EXPECT_THAT(streamed.body, HasSubstr("data: [DONE]"));
}

TEST_F(Multimodal, UsageCountsImageTokens) {
  const std::int64_t text_only = prompt_tokens(json::array({text_part("Describe it")}));
  const std::int64_t with_image =
      prompt_tokens(json::array({text_part("Describe it"), png_part(pattern_png(40, 40))}));
  ASSERT_GT(text_only, 0);
  // The same request but for the image: the image adds its tokens (and its marker's newline).
  EXPECT_GE(with_image, text_only + kImageTokens);
}

TEST_F(Multimodal, TwoImagesInOneMessage) {
  const std::int64_t one = prompt_tokens(
      json::array({text_part("Compare"), png_part(pattern_png(40, 40)), text_part("with")}));
  const auto response = router_->chat(
      "vision",
      {{"messages", user_message(json::array({text_part("Compare"), png_part(pattern_png(40, 40)),
                                              text_part("with"), png_part(pattern_png(20, 64))}))},
       {"max_tokens", 2}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  EXPECT_EQ(body["usage"]["completion_tokens"], 2);
  EXPECT_GE(body["usage"]["prompt_tokens"].get<std::int64_t>(), one + kImageTokens);
}

TEST_F(Multimodal, AModelWithoutImageInputRefusesImages) {
  const auto refused =
      router_->chat("plain", {{"messages", image_message(pattern_png(8, 8), "What is it?")}});
  EXPECT_EQ(refused.status, 400) << refused.body;
  EXPECT_THAT(refused.body, HasSubstr("model 'plain' does not accept image input"));
  EXPECT_THAT(refused.body, HasSubstr("unsupported_input"));
  const auto text = router_->chat(
      "plain", {{"messages", user_message(json::array({text_part("hello")}))}, {"max_tokens", 2}});
  EXPECT_EQ(text.status, 200) << text.body;
}

TEST_F(Multimodal, BadImagesAre400sAndTheModelsKeepServing) {
  for (const std::string model : {"vision", "ocr"}) {
    const auto corrupt = router_->chat(
        model, {{"messages",
                 user_message(json::array({image_part("data:image/png;base64,iVBORw0K!!!!")}))}});
    EXPECT_EQ(corrupt.status, 400) << model << ": " << corrupt.body;
    EXPECT_THAT(corrupt.body, HasSubstr("invalid base64")) << model;
    const auto not_image = router_->chat(
        model, {{"messages", user_message(json::array({png_part("GIF? no: plain text bytes")}))}});
    EXPECT_EQ(not_image.status, 400) << model << ": " << not_image.body;
    EXPECT_THAT(not_image.body, HasSubstr("is not an image")) << model;
  }
  EXPECT_EQ(router_
                ->chat("vision", {{"messages", image_message(pattern_png(40, 40), "Still?")},
                                  {"max_tokens", 2}})
                .status,
            200);
  const auto read =
      router_->chat("ocr", {{"messages", image_message(render_text_png(kSentence), "Again")}});
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.json()["choices"][0]["message"]["content"], kSentence);
}

TEST_F(Multimodal, WorkerRefusalsPassThrough) {
  const auto http_url = router_->chat(
      "vision", {{"messages", user_message(json::array({image_part("https://x/y.png")}))}});
  EXPECT_EQ(http_url.status, 400);
  EXPECT_THAT(http_url.body, HasSubstr("does not fetch URLs"));
  const auto no_image =
      router_->chat("ocr", {{"messages", json::array({{{"role", "user"}, {"content", "hello"}}})}});
  EXPECT_EQ(no_image.status, 400);
}

}  // namespace
}  // namespace switchyard::test
