// Through the router: a text-to-speech model (engine flite) and a speech-to-text model (engine
// pocketsphinx), both real switchyard-worker processes started by the real router. Speech made
// by the one is transcribed by the other, both through the router's audio routes: issue 4's
// round trip, five known sentences with a word error rate of at most 10%.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/integration/router_harness.hpp"
#include "tests/support/word_error_rate.hpp"

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
  // Speech for `text` from the text-to-speech model, as WAV.
  static std::string speak(const std::string& text) {
    const auto speech =
        router_->post("/v1/audio/speech", "text-to-speech",
                      {{"input", text}, {"response_format", "wav"}}, {}, std::chrono::seconds(60));
    EXPECT_EQ(speech.status, 200) << speech.body;
    return speech.body;
  }
  static TestRouter* router_;
};
TestRouter* RouterAudio::router_ = nullptr;

TEST_F(RouterAudio, FiveSentencesRoundTripWithAWordErrorRateOfAtMostTenPercent) {
  WordErrorTally tally;
  for (const std::string& sentence : round_trip_sentences()) {
    const auto text = transcribe({{"model", "speech-to-text"}, {"file", speak(sentence)}});
    ASSERT_EQ(text.status, 200) << text.body;
    const std::string heard = text.json()["text"];
    const std::size_t errors = tally.add(sentence, heard);
    std::printf("said:  %s\nheard: %s (%zu errors)\n", sentence.c_str(), heard.c_str(), errors);
  }
  std::printf("word error rate through the router: %zu/%zu = %.1f%%\n", tally.errors(),
              tally.words(), 100 * tally.rate());
  EXPECT_LE(tally.rate(), 0.10);
}

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
  EXPECT_EQ(words_of(text.json()["text"]), words_of(sentence));

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
