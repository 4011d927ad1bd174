// Black box: the real switchyard-worker with --engine tesseract on a loopback port reads text
// rendered into PNG images (tests/worker/test_images) back through /v1/chat/completions.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "test_http_client.hpp"
#include "test_media.hpp"
#include "worker_process.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSentence = "The quick brown fox jumps over the lazy dog.";

json image_part(const std::string& url) {
  return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

json ocr_request(json parts, bool stream = false) {
  json body = {{"messages", {{{"role", "user"}, {"content", std::move(parts)}}}}};
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

class OcrHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    worker_ = new WorkerProcess("tesseract", {{"parallel", "2"}}, SWITCHYARD_TESSDATA_ENG);
    sentence_url_ = new std::string(data_url("image/png", render_text_png(kSentence)));
  }
  static void TearDownTestSuite() {
    delete worker_;
    delete sentence_url_;
  }
  static HttpResponse chat(const json& body) {
    return http_call(worker_->port(), "POST", "/v1/chat/completions", body.dump());
  }
  static WorkerProcess* worker_;
  static std::string* sentence_url_;
};
WorkerProcess* OcrHttp::worker_ = nullptr;
std::string* OcrHttp::sentence_url_ = nullptr;

TEST_F(OcrHttp, ModelListNamesTheEngine) {
  const auto models = http_call(worker_->port(), "GET", "/v1/models");
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(models.json()["data"][0]["id"], "eng");  // the model file's stem
}

TEST_F(OcrHttp, ReadsARenderedSentenceExactly) {
  const auto response = chat(ocr_request(
      {{{"type", "text"}, {"text", "What does this say?"}}, image_part(*sentence_url_)}));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["model"], "eng");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["message"]["content"], kSentence);
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(body["usage"]["completion_tokens"], 9);  // words
  EXPECT_EQ(body["usage"]["prompt_tokens"], 5);      // 4 words and 1 image
  EXPECT_EQ(body["usage"]["total_tokens"], 14);
}

TEST_F(OcrHttp, StreamsWordByWord) {
  StreamingCall call(worker_->port(), "/v1/chat/completions",
                     ocr_request({image_part(*sentence_url_)}, true).dump());
  ASSERT_EQ(call.status(), 200) << call.body_so_far();
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_EQ(events.size(), 1u + 9u + 1u + 1u + 1u);  // role, words, finish, usage, [DONE]
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(json::parse(events.front())["choices"][0]["delta"]["role"], "assistant");
  std::string text;
  for (std::size_t i = 1; i <= 9; ++i) {
    const json chunk = json::parse(events[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_TRUE(chunk["choices"][0]["finish_reason"].is_null());
    text += chunk["choices"][0]["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, kSentence);
  EXPECT_EQ(json::parse(events[10])["choices"][0]["finish_reason"], "stop");
  const json usage = json::parse(events[11]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 9);
}

TEST_F(OcrHttp, ReadsSeveralImagesInOrder) {
  const std::string second = data_url("image/png", render_text_png("Pack my box with five dozen"));
  const auto response = chat(ocr_request({image_part(*sentence_url_), image_part(second)}));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["choices"][0]["message"]["content"],
            std::string(kSentence) + "\n\nPack my box with five dozen");
}

TEST_F(OcrHttp, ReadsJpegWebpGifTiffAndBmp) {
  const std::string png = render_text_png(kSentence);
  for (const char* format : {"jpeg", "webp", "gif", "tiff", "bmp"}) {
    const std::string url = data_url(std::string("image/") + format, convert_image(png, format));
    const auto response = chat(ocr_request({image_part(url)}));
    ASSERT_EQ(response.status, 200) << format << ": " << response.body;
    EXPECT_EQ(response.json()["choices"][0]["message"]["content"], kSentence) << format;
  }
}

TEST_F(OcrHttp, MaxTokensCutsWords) {
  json body = ocr_request({image_part(*sentence_url_)});
  body["max_tokens"] = 3;
  const auto response = chat(body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.json()["choices"][0]["message"]["content"], "The quick brown ");
  EXPECT_EQ(response.json()["choices"][0]["finish_reason"], "length");
}

TEST_F(OcrHttp, BadInputsAre400sAndTheWorkerKeepsServing) {
  const json audio = {{"type", "input_audio"},
                      {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}};
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array({image_part("http://example.com/cat.png")}), "does not fetch URLs"},
      {json::array({image_part("https://example.com/cat.png")}), "does not fetch URLs"},
      {json::array({image_part("data:image/png;base64,iVBORw0KGgo*&^%")}), "invalid base64"},
      {json::array({image_part(data_url("image/png", "this is not an image at all"))}),
       "is not an image"},
      {json::array({image_part(data_url("image/png", render_text_png("cut").substr(0, 60)))}),
       "could not be decoded"},
      {json::array({json{{"type", "text"}, {"text", "no image here"}}}),
       "send at least one image_url part"},
      {json::array({image_part(*sentence_url_), audio}), "reads images only"},
  };
  for (const auto& [parts, message] : cases) {
    const auto response = chat(ocr_request(parts));
    EXPECT_EQ(response.status, 400) << parts.dump().substr(0, 200);
    EXPECT_THAT(response.body, HasSubstr(message));
    EXPECT_EQ(response.json()["error"]["type"], "invalid_request_error");
  }
  const auto after = chat(ocr_request({image_part(*sentence_url_)}));
  ASSERT_EQ(after.status, 200) << worker_->log();
  EXPECT_EQ(after.json()["choices"][0]["message"]["content"], kSentence);
}

TEST_F(OcrHttp, ParallelRequestsBothAnswer) {
  std::vector<std::thread> threads;
  std::vector<std::string> answers(3);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto response = chat(ocr_request({image_part(*sentence_url_)}));
      if (response.status == 200) {
        answers[i] = response.json()["choices"][0]["message"]["content"];
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& answer : answers) EXPECT_EQ(answer, kSentence);
}

TEST(OcrEngine, UnknownLanguageFailsTheLoad) {
  EXPECT_THROW(WorkerProcess("tesseract", {{"languages", "xx_nope"}}, SWITCHYARD_TESSDATA_ENG),
               std::runtime_error);
}

}  // namespace
}  // namespace switchyard::test
