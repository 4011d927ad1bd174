// Black-box tests of the whisper engine: a real switchyard-worker with the tiny random-weight
// model (its text is random, so only shapes, times and formats are checked), on speech made by
// the flite worker and on a long tone that spans many of whisper's 30-second windows.
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <string>

#include "audio_form.hpp"
#include "test_http_client.hpp"
#include "test_media.hpp"
#include "worker_process.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// VmHWM of a process: the most memory it has held at once, in bytes.
std::size_t peak_resident_bytes(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

TEST(WhisperHttp, TinyModelRunsEndToEnd) {
  WorkerProcess flite("flite", {}, SWITCHYARD_BINARY_DIR);
  WorkerProcess whisper("whisper", {{"max_tokens", "8"}, {"threads", "2"}}, SWITCHYARD_TINY_WHISPER);
  const auto wav = http_call(flite.port(), "POST", "/v1/audio/speech",
                             json({{"input", "The weather is nice today."}, {"response_format", "wav"}}).dump());
  ASSERT_EQ(wav.status, 200);

  auto post = [&](const std::string& path,
                  std::vector<std::pair<std::string, std::string>> fields) {
    fields.insert(fields.begin(), {"file", wav.body});
    return http_post(whisper.port(), path, form(fields), form_type());
  };
  const auto json_reply = post("/v1/audio/transcriptions", {{"model", "whisper-1"}});
  ASSERT_EQ(json_reply.status, 200) << json_reply.body;
  EXPECT_TRUE(json_reply.json()["text"].is_string());  // random text from random weights

  const auto verbose = post("/v1/audio/transcriptions",
                            {{"response_format", "verbose_json"}, {"language", "en"},
                             {"timestamp_granularities[]", "word"}});
  ASSERT_EQ(verbose.status, 200) << verbose.body;
  const json body = verbose.json();
  EXPECT_EQ(body["language"], "english");
  EXPECT_GT(body["duration"].get<double>(), 0.5);
  ASSERT_GE(body["segments"].size(), 1u);
  EXPECT_GE(body["segments"][0]["end"].get<double>(), body["segments"][0]["start"].get<double>());
  for (const json& segment : body["segments"]) {
    EXPECT_LE(segment["end"].get<double>(), body["duration"].get<double>());
  }
  EXPECT_TRUE(body["words"].is_array());

  const auto srt = post("/v1/audio/transcriptions", {{"response_format", "srt"}});
  ASSERT_EQ(srt.status, 200);
  EXPECT_TRUE(std::regex_search(srt.body, std::regex(R"(\d\d:\d\d:\d\d,\d\d\d --> )")));

  const auto translated = post("/v1/audio/translations", {{"response_format", "json"}});
  ASSERT_EQ(translated.status, 200) << translated.body;
  EXPECT_TRUE(translated.json()["text"].is_string());
  const auto translated_vtt = post("/v1/audio/translations", {{"response_format", "vtt"}});
  ASSERT_EQ(translated_vtt.status, 200);
  EXPECT_EQ(translated_vtt.body.rfind("WEBVTT", 0), 0u);

  StreamingCall call(whisper.port(), "/v1/audio/transcriptions",
                     form({{"file", wav.body}, {"stream", "true"}}), 60s, form_type());
  ASSERT_EQ(call.status(), 200) << call.body_so_far();
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_GE(events.size(), 1u);
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_EQ(json::parse(events[i])["type"], "transcript.text.delta");
  }
  EXPECT_EQ(json::parse(events.back())["type"], "transcript.text.done");

  const auto bad = post("/v1/audio/transcriptions", {{"language", "de"}});
  EXPECT_EQ(bad.status, 400);  // the tiny model is English-only
  EXPECT_EQ(http_post(whisper.port(), "/v1/audio/transcriptions",
                      form({{"file", "RIFF junk that is not a wave file at all"}}), form_type())
                .status,
            400);
  EXPECT_EQ(http_call(whisper.port(), "GET", "/health").status, 200);
}

TEST(WhisperHttp, LongAudioIsTranscribedAWindowAtATime) {
  WorkerProcess whisper("whisper", {{"max_tokens", "4"}, {"threads", "2"}}, SWITCHYARD_TINY_WHISPER);
  // Ten minutes at 4 kHz: a 4.8 MB upload that is 38 MB as 16 kHz float samples. Held whole, as
  // whisper.cpp's API invites, it would raise the worker's peak by that much.
  const std::string wav = tone_wav(600, 4000);
  // A short file first: whisper.cpp sizes its buffers on its first run.
  ASSERT_EQ(http_post(whisper.port(), "/v1/audio/transcriptions",
                      form({{"file", tone_wav(5, 4000)}}), form_type())
                .status,
            200);
  const std::size_t before = peak_resident_bytes(whisper.pid());
  const auto reply =
      http_post(whisper.port(), "/v1/audio/transcriptions",
                form({{"file", wav}, {"response_format", "verbose_json"}}), form_type());
  ASSERT_EQ(reply.status, 200) << reply.body;
  const std::size_t grown = peak_resident_bytes(whisper.pid()) - before;
  EXPECT_LT(grown, 30u << 20) << "the worker's peak grew by " << grown << " bytes";
  const json body = reply.json();
  EXPECT_NEAR(body["duration"].get<double>(), 600.0, 0.5);
  double last_start = 0;
  for (const json& segment : body["segments"]) {
    EXPECT_GE(segment["start"].get<double>(), last_start);
    EXPECT_LE(segment["end"].get<double>(), 600.0);
    last_start = segment["start"].get<double>();
  }
  EXPECT_EQ(http_call(whisper.port(), "GET", "/health").status, 200);
}

}  // namespace
}  // namespace switchyard::test
