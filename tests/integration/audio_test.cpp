// Through the router: a text-to-speech model (engine flite) and a speech-to-text model (engine
// pocketsphinx), both real switchyard-worker processes started by the real router. Speech made
// by the one is transcribed by the other, both through the router's audio routes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kBoundary = "switchyard-router-audio";

std::string models_yaml() {
  // flite's voices are compiled in: its `model:` only has to exist.
  return "  text-to-speech:\n"
         "    type: audio\n"
         "    engine: flite\n"
         "    model: " +
         yaml_quote(SWITCHYARD_BINARY_DIR) +
         "\n"
         "    args: {voice: slt}\n"
         "  speech-to-text:\n"
         "    type: audio\n"
         "    engine: pocketsphinx\n"
         "    model: /usr/share/pocketsphinx/model/en-us\n";
}

std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += std::string("--") + kBoundary + "\r\nContent-Disposition: form-data; name=\"" + name +
            "\"" + (name == "file" ? "; filename=\"speech.wav\"" : "") + "\r\n\r\n" + value +
            "\r\n";
  }
  return body + "--" + kBoundary + "--\r\n";
}

std::string lower_words(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c)) || c == ' ') {
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

class RouterAudio : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    router_ =
        new TestRouter(models_yaml(), "worker_binary: " + yaml_quote(SWITCHYARD_WORKER_BIN) + "\n");
  }
  static void TearDownTestSuite() { delete router_; }
  static HttpResponse transcribe(const std::vector<std::pair<std::string, std::string>>& fields,
                                 const std::string& path = "/v1/audio/transcriptions") {
    return http_request(router_->port(), "POST", path, form(fields),
                        {{"Content-Type", std::string("multipart/form-data; boundary=") + kBoundary}},
                        std::chrono::seconds(60));
  }
  static TestRouter* router_;
};
TestRouter* RouterAudio::router_ = nullptr;

TEST_F(RouterAudio, SpeechRoundTripsThroughTheRouter) {
  const std::string sentence = "The weather is nice today and the sun is shining.";
  const auto speech = router_->post("/v1/audio/speech", "text-to-speech",
                                    {{"input", sentence}, {"response_format", "wav"}}, {},
                                    std::chrono::seconds(60));
  ASSERT_EQ(speech.status, 200) << speech.body;
  EXPECT_EQ(speech.header("content-type"), "audio/wav");
  EXPECT_EQ(speech.body.substr(0, 4), "RIFF");

  const auto text = transcribe({{"model", "speech-to-text"}, {"file", speech.body}});
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(lower_words(text.json()["text"]), lower_words(sentence));

  const auto srt = transcribe(
      {{"model", "speech-to-text"}, {"file", speech.body}, {"response_format", "srt"}});
  ASSERT_EQ(srt.status, 200) << srt.body;
  EXPECT_THAT(srt.body, HasSubstr(" --> "));
}

TEST_F(RouterAudio, StreamsAndRefusalsPassThrough) {
  SseStream stream(router_->port(), "POST", "/v1/audio/speech",
                   json({{"model", "text-to-speech"},
                         {"input", "One. Two."},
                         {"stream_format", "sse"},
                         {"response_format", "pcm"}})
                       .dump(),
                   {}, std::chrono::seconds(60));
  ASSERT_EQ(stream.status(), 200) << stream.body();
  std::vector<std::string> types;
  while (auto event = stream.next_event(std::chrono::seconds(30))) {
    types.push_back(json::parse(event->data)["type"]);
  }
  ASSERT_GE(types.size(), 2u);
  EXPECT_EQ(types.front(), "speech.audio.delta");
  EXPECT_EQ(types.back(), "speech.audio.done");

  const auto unknown_voice = router_->post("/v1/audio/speech", "text-to-speech",
                                           {{"input", "Hi."}, {"voice", "robot"}});
  EXPECT_EQ(unknown_voice.status, 400);
  EXPECT_THAT(unknown_voice.body, HasSubstr("slt, kal16, awb, rms"));
  const auto not_audio = transcribe({{"model", "speech-to-text"}, {"file", "plain text here"}});
  EXPECT_EQ(not_audio.status, 400);
  EXPECT_THAT(not_audio.body, HasSubstr("not audio"));
  const auto translation =
      transcribe({{"model", "speech-to-text"}, {"file", "x"}}, "/v1/audio/translations");
  EXPECT_EQ(translation.status, 400);
  EXPECT_THAT(translation.body, HasSubstr("pocketsphinx"));
}

}  // namespace
}  // namespace switchyard::test
