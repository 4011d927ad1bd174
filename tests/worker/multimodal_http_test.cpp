// Black box: the real switchyard-worker with the tiny model and its tiny projectors takes image
// parts (LLaVA-style tiny-mmproj.gguf) and audio parts (Qwen2-Audio-style tiny-audio-mmproj.gguf)
// in chat messages.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "test_http_client.hpp"
#include "test_media.hpp"
#include "worker_process.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

json image_part(const std::string& url) {
  return {{"type", "image_url"}, {"image_url", {{"url", url}}}};
}

json text_part(const std::string& text) { return {{"type", "text"}, {"text", text}}; }

json chat(json content, int max_tokens = 4, bool stream = false) {
  json body = {{"messages", {{{"role", "user"}, {"content", std::move(content)}}}},
               {"max_tokens", max_tokens},
               {"seed", 1}};
  if (stream) {
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
  }
  return body;
}

class VisionHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    worker_ = new WorkerProcess({{"mmproj", SWITCHYARD_TINY_MMPROJ},
                                 {"ctx_size", "256"},
                                 {"parallel", "2"},
                                 {"threads", "1"}});
    png_ = new std::string(data_url("image/png", pattern_png(48, 40)));
  }
  static void TearDownTestSuite() {
    delete worker_;
    delete png_;
  }
  static HttpResponse post(const json& body) {
    return http_call(worker_->port(), "POST", "/v1/chat/completions", body.dump());
  }
  static std::int64_t prompt_tokens(const json& content) {
    const auto response = post(chat(content, 1));
    EXPECT_EQ(response.status, 200) << response.body;
    return response.json()["usage"]["prompt_tokens"].get<std::int64_t>();
  }
  static WorkerProcess* worker_;
  static std::string* png_;
};
WorkerProcess* VisionHttp::worker_ = nullptr;
std::string* VisionHttp::png_ = nullptr;

TEST_F(VisionHttp, ChatWithAnImage) {
  const auto response = post(chat({text_part("What is in this picture?"), image_part(*png_)}, 5));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 5);
}

TEST_F(VisionHttp, TakesTheImageFormatsLeptonicaReads) {
  const std::string png = pattern_png(36, 30);
  for (const char* format : {"jpeg", "webp", "gif", "tiff", "bmp"}) {
    const auto response =
        post(chat(json::array({image_part(data_url("image/x", convert_image(png, format)))}), 2));
    EXPECT_EQ(response.status, 200) << format << ": " << response.body;
  }
}

TEST_F(VisionHttp, UsageCountsImageTokens) {
  const std::int64_t text_only = prompt_tokens(json::array({text_part("Describe it")}));
  const std::int64_t one =
      prompt_tokens(json::array({text_part("Describe it"), image_part(*png_)}));
  const std::int64_t two =
      prompt_tokens(json::array({text_part("Describe it"), image_part(*png_), image_part(*png_)}));
  // The tiny projector makes (32 / 8)^2 = 16 tokens of an image.
  EXPECT_GE(one, text_only + 16);
  EXPECT_GE(two, one + 16);
}

TEST_F(VisionHttp, StreamsWithAnImage) {
  StreamingCall call(worker_->port(), "/v1/chat/completions",
                     chat({image_part(*png_), text_part("and this?")}, 4, true).dump());
  ASSERT_EQ(call.status(), 200) << call.body_so_far();
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  EXPECT_EQ(json::parse(events.front())["choices"][0]["delta"]["role"], "assistant");
  const json usage = json::parse(events[events.size() - 2]);
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
  EXPECT_GT(usage["usage"]["prompt_tokens"], 16);
}

TEST_F(VisionHttp, TwoImagesInOneMessageAndImagesAcrossMessages) {
  json body = chat({text_part("Compare"), image_part(*png_), text_part("with"),
                    image_part(data_url("image/png", pattern_png(20, 64)))});
  body["messages"].push_back({{"role", "assistant"}, {"content", "ok"}});
  body["messages"].push_back({{"role", "user"}, {"content", {image_part(*png_)}}});
  const auto response = post(body);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_GE(response.json()["usage"]["prompt_tokens"], 3 * 16);
}

TEST_F(VisionHttp, ImagesThatOverflowTheContextAre400s) {
  json parts = json::array();
  for (int i = 0; i < 17; ++i) parts.push_back(image_part(*png_));  // 17 x 16 > ctx_size 256
  const auto response = post(chat(parts));
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.json()["error"]["code"], "context_length_exceeded");
}

TEST_F(VisionHttp, ParallelImageRequests) {
  std::vector<int> statuses(4, 0);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    threads.emplace_back([&, i] {
      statuses[i] =
          post(chat({text_part("Picture " + std::to_string(i)), image_part(*png_)}, 6)).status;
    });
  }
  for (auto& t : threads) t.join();
  for (const int status : statuses) EXPECT_EQ(status, 200);
}

TEST_F(VisionHttp, BadImagesAre400sAndTheWorkerKeepsServing) {
  const json audio = {{"type", "input_audio"},
                      {"input_audio", {{"data", "UklGRg=="}, {"format", "wav"}}}};
  const std::vector<std::pair<json, std::string>> cases = {
      {json::array({image_part("http://example.com/cat.png")}), "does not fetch URLs"},
      {json::array({image_part("data:image/png;base64,iVBORw0K!!!!")}), "invalid base64"},
      {json::array({image_part(data_url("image/png", "GIF? no: plain text bytes"))}),
       "is not an image"},
      {json::array({audio}), "has no audio encoder"},
  };
  for (const auto& [content, message] : cases) {
    const auto response = post(chat(content));
    EXPECT_EQ(response.status, 400) << content.dump().substr(0, 200);
    EXPECT_THAT(response.body, HasSubstr(message));
  }
  const auto after = post(chat({text_part("still there?"), image_part(*png_)}));
  EXPECT_EQ(after.status, 200) << worker_->log();
}

TEST(VisionCancel, CancelledStreamFreesItsSlot) {
  // One slot: the follow-up request can only be served once the cancelled stream's slot is free.
  // The cancelled stream asks for kLongStream tokens (ignore_eos: no early end): about 45 s of
  // generation on the project's machine, against a bound of 10 s (roomy for a loaded CI machine) for a
  // follow-up that takes about 0.1 s, so a slot that is not freed makes the follow-up late.
  constexpr int kLongStream = 8000;
  WorkerProcess worker({{"mmproj", SWITCHYARD_TINY_MMPROJ},
                        {"ctx_size", std::to_string(kLongStream + 256)},
                        {"parallel", "1"},
                        {"threads", "1"}});
  const std::string png = data_url("image/png", pattern_png(48, 40));
  {
    json request = chat({image_part(png)}, kLongStream, true);
    request["ignore_eos"] = true;
    StreamingCall call(worker.port(), "/v1/chat/completions", request.dump());
    ASSERT_EQ(call.status(), 200);
    ASSERT_TRUE(call.next_event());  // role
    ASSERT_TRUE(call.next_event());  // a generated token: the stream holds the slot
    call.abandon();
  }
  const auto start = std::chrono::steady_clock::now();
  const auto response = http_call(worker.port(), "POST", "/v1/chat/completions",
                                  chat({image_part(png)}, 3).dump(), std::chrono::seconds(120));
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10)) << worker.log();
}

json audio_part(const std::string& bytes, const std::string& format = "wav") {
  return {{"type", "input_audio"},
          {"input_audio", {{"data", base64_encode(bytes)}, {"format", format}}}};
}

class AudioHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Audio becomes 750 tokens per 30 s window (Whisper-style encoder).
    worker_ = new WorkerProcess(
        {{"mmproj", SWITCHYARD_TINY_AUDIO_MMPROJ}, {"ctx_size", "1024"}, {"threads", "1"}});
  }
  static void TearDownTestSuite() { delete worker_; }
  static HttpResponse post(const json& body) {
    return http_call(worker_->port(), "POST", "/v1/chat/completions", body.dump());
  }
  static WorkerProcess* worker_;
};
WorkerProcess* AudioHttp::worker_ = nullptr;

TEST_F(AudioHttp, ChatWithAudioCountsItsTokens) {
  const auto text_only = post(chat({text_part("Transcribe this")}, 2));
  ASSERT_EQ(text_only.status, 200) << text_only.body;
  const auto response = post(chat({text_part("Transcribe this"), audio_part(tone_wav(1.0))}, 3));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  EXPECT_EQ(body["usage"]["completion_tokens"], 3);
  EXPECT_GE(body["usage"]["prompt_tokens"],
            text_only.json()["usage"]["prompt_tokens"].get<int>() + 100);
}

TEST_F(AudioHttp, StreamsWithAudioAt8kHz) {
  StreamingCall call(worker_->port(), "/v1/chat/completions",
                     chat({audio_part(tone_wav(0.5, 8000))}, 3, true).dump());
  ASSERT_EQ(call.status(), 200) << call.body_so_far();
  const auto events = call.rest();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST_F(AudioHttp, BadAudioAndImagesAre400s) {
  const auto not_audio = post(chat({audio_part("definitely not a wav file")}));
  EXPECT_EQ(not_audio.status, 400);
  EXPECT_THAT(not_audio.body, HasSubstr("is not audio this server can decode"));
  const auto png_as_audio = post(chat({audio_part(pattern_png(8, 8))}));
  EXPECT_EQ(png_as_audio.status, 400);
  const auto format = post(chat({audio_part(tone_wav(0.1), "ogg")}));
  EXPECT_EQ(format.status, 400);
  EXPECT_THAT(format.body, HasSubstr("expected wav, mp3 or flac"));
  const auto image = post(chat({image_part(data_url("image/png", pattern_png(8, 8)))}));
  EXPECT_EQ(image.status, 400);
  EXPECT_THAT(image.body, HasSubstr("has no vision encoder"));
  EXPECT_EQ(post(chat({audio_part(tone_wav(0.2))}, 2)).status, 200) << worker_->log();
}

TEST(VisionWithoutProjector, ImagePartsAre400sNamingTheProjector) {
  WorkerProcess worker({{"ctx_size", "128"}, {"threads", "1"}});
  const auto response = http_call(
      worker.port(), "POST", "/v1/chat/completions",
      chat({text_part("hi"), image_part(data_url("image/png", pattern_png(8, 8)))}).dump());
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(response.body, HasSubstr("has no multimodal projector"));
  EXPECT_EQ(response.json()["error"]["param"], "messages[0].content[1]");
  const auto text =
      http_call(worker.port(), "POST", "/v1/chat/completions", chat({text_part("hi")}).dump());
  EXPECT_EQ(text.status, 200);
}

TEST(VisionProjector, AMissingProjectorFailsTheLoad) {
  EXPECT_THROW(WorkerProcess({{"mmproj", "/nonexistent/mmproj.gguf"}}), std::runtime_error);
}

}  // namespace
}  // namespace switchyard::test
