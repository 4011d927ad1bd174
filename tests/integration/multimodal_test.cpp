// Through the router: an OCR model (engine tesseract) and a vision model (engine llama with the
// tiny projector), both with inputs [text, image], started by the real router as real
// switchyard-worker processes; image parts reach them and their answers come back, streamed or
// not. (The router requires `text` in every chat model's inputs.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/integration/router_harness.hpp"
#include "tests/worker/test_media.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSentence = "Sphinx of black quartz, judge my vow.";

std::string models_yaml() {
  return "  ocr:\n"
         "    engine: tesseract\n"
         "    model: " +
         yaml_quote(SWITCHYARD_TESSDATA_ENG) +
         "\n"
         "    inputs: [text, image]\n"
         "  vision:\n"
         "    engine: llama\n"
         "    model: " +
         yaml_quote(SWITCHYARD_TINY_MODEL) +
         "\n"
         "    args: {mmproj: " +
         yaml_quote(SWITCHYARD_TINY_MMPROJ) +
         ", ctx_size: 256, threads: 1}\n"
         "    inputs: [text, image]\n";
}

json image_message(const std::string& png, const std::string& text) {
  return json::array(
      {{{"role", "user"},
        {"content", json::array({{{"type", "text"}, {"text", text}},
                                 {{"type", "image_url"},
                                  {"image_url", {{"url", data_url("image/png", png)}}}}})}}});
}

class Multimodal : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    router_ =
        new TestRouter(models_yaml(), "worker_binary: " + yaml_quote(SWITCHYARD_WORKER_BIN) + "\n");
  }
  static void TearDownTestSuite() { delete router_; }
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

TEST_F(Multimodal, VisionModelAnswersAndStreams) {
  const auto whole = router_->chat(
      "vision",
      {{"messages", image_message(pattern_png(40, 40), "What is it?")}, {"max_tokens", 3}});
  ASSERT_EQ(whole.status, 200) << whole.body;
  EXPECT_GT(json::parse(whole.body)["usage"]["prompt_tokens"], 16);

  const auto streamed =
      router_->chat("vision", {{"messages", image_message(pattern_png(40, 40), "And now?")},
                               {"max_tokens", 3},
                               {"stream", true}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_THAT(streamed.body, HasSubstr("chat.completion.chunk"));
  EXPECT_THAT(streamed.body, HasSubstr("data: [DONE]"));
}

TEST_F(Multimodal, WorkerRefusalsPassThrough) {
  const auto http_url = router_->chat(
      "vision",
      {{"messages",
        json::array(
            {{{"role", "user"},
              {"content", json::array({{{"type", "image_url"},
                                        {"image_url", {{"url", "https://x/y.png"}}}}})}}})}});
  EXPECT_EQ(http_url.status, 400);
  EXPECT_THAT(http_url.body, HasSubstr("does not fetch URLs"));
  const auto no_image =
      router_->chat("ocr", {{"messages", json::array({{{"role", "user"}, {"content", "hello"}}})}});
  EXPECT_EQ(no_image.status, 400);
}

}  // namespace
}  // namespace switchyard::test
