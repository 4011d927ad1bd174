// Black-box tests of the audio engines: real switchyard-worker processes over HTTP. Speech made by
// the flite worker is transcribed by the pocketsphinx worker (the round trip), every
// response_format of both endpoints is parsed, and bad input is a clear 400 after which the
// worker keeps serving. whisper.cpp's tests are in whisper_http_test.cpp.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <regex>
#include <sstream>

#include "audio_form.hpp"
#include "test_http_client.hpp"
#include "tests/support/word_error_rate.hpp"
#include "worker_process.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kPocketsphinxModel = "/usr/share/pocketsphinx/model/en-us";
constexpr const char* kEspeakData = "/usr/lib/x86_64-linux-gnu/espeak-ng-data";


struct Decoded {
  int rate = 0;
  int channels = 0;
  std::int64_t frames = 0;
  int format = 0;
  double seconds() const { return rate > 0 ? static_cast<double>(frames) / rate : 0; }
};

// Decodes with libsndfile (a different code path from the worker's: a temp file).
Decoded sndfile_decode(const std::string& bytes) {
  const std::string path = testing::TempDir() + "/decode-" + std::to_string(std::rand());
  FILE* f = std::fopen(path.c_str(), "wb");
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
  SF_INFO info{};
  SNDFILE* file = sf_open(path.c_str(), SFM_READ, &info);
  Decoded out;
  if (file != nullptr) {
    std::vector<float> buffer(4096 * static_cast<std::size_t>(std::max(info.channels, 1)));
    for (sf_count_t n; (n = sf_readf_float(file, buffer.data(), 4096)) > 0;) out.frames += n;
    out.rate = info.samplerate;
    out.channels = info.channels;
    out.format = info.format;
    sf_close(file);
  }
  std::remove(path.c_str());
  return out;
}

// The 16 kHz mono WAV as a 32 kHz stereo WAV (each sample held twice, in both channels).
std::string stereo_32k(const std::string& wav) {
  const std::string in_path = testing::TempDir() + "/mono.wav";
  const std::string out_path = testing::TempDir() + "/stereo.wav";
  FILE* f = std::fopen(in_path.c_str(), "wb");
  std::fwrite(wav.data(), 1, wav.size(), f);
  std::fclose(f);
  SF_INFO in_info{};
  SNDFILE* in = sf_open(in_path.c_str(), SFM_READ, &in_info);
  std::vector<short> mono(static_cast<std::size_t>(in_info.frames));
  sf_readf_short(in, mono.data(), in_info.frames);
  sf_close(in);
  std::vector<short> stereo;
  for (short v : mono) stereo.insert(stereo.end(), {v, v, v, v});
  SF_INFO out_info{};
  out_info.samplerate = 2 * in_info.samplerate;
  out_info.channels = 2;
  out_info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
  SNDFILE* out = sf_open(out_path.c_str(), SFM_WRITE, &out_info);
  sf_writef_short(out, stereo.data(), static_cast<sf_count_t>(stereo.size() / 2));
  sf_close(out);
  std::ifstream read(out_path, std::ios::binary);
  return {std::istreambuf_iterator<char>(read), std::istreambuf_iterator<char>()};
}

std::uint32_t le32(const std::string& s, std::size_t at) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
  return v;
}

std::string base64_decode(const std::string& in) {
  std::string out;
  int bits = 0;
  std::uint32_t value = 0;
  for (char c : in) {
    int d;
    if (c >= 'A' && c <= 'Z') d = c - 'A';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 26;
    else if (c >= '0' && c <= '9') d = c - '0' + 52;
    else if (c == '+') d = 62;
    else if (c == '/') d = 63;
    else break;
    value = (value << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((value >> bits) & 0xff);
    }
  }
  return out;
}

class AudioHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // flite's voices are compiled in: its --model only has to exist.
    flite_ = new WorkerProcess("flite", {}, SWITCHYARD_BINARY_DIR);
    sphinx_ = new WorkerProcess("pocketsphinx", {}, kPocketsphinxModel);
  }
  static void TearDownTestSuite() {
    delete flite_;
    delete sphinx_;
  }
  static HttpResponse speech(const json& body, WorkerProcess* worker = nullptr) {
    return http_call((worker != nullptr ? worker : flite_)->port(), "POST", "/v1/audio/speech",
                     body.dump(), 60s);
  }
  static std::string speak_wav(const std::string& text) {
    const auto response = speech({{"input", text}, {"voice", "slt"}, {"response_format", "wav"}});
    EXPECT_EQ(response.status, 200) << response.body;
    return response.body;
  }
  static HttpResponse transcribe(const std::vector<std::pair<std::string, std::string>>& fields,
                                 const std::string& path = "/v1/audio/transcriptions",
                                 WorkerProcess* worker = nullptr) {
    return http_post((worker != nullptr ? worker : sphinx_)->port(), path, form(fields),
                     form_type());
  }
  static void expect_serving(WorkerProcess* worker) {
    EXPECT_EQ(http_call(worker->port(), "GET", "/health").status, 200);
  }
  static WorkerProcess* flite_;
  static WorkerProcess* sphinx_;
};
WorkerProcess* AudioHttp::flite_ = nullptr;
WorkerProcess* AudioHttp::sphinx_ = nullptr;

TEST_F(AudioHttp, FliteToPocketsphinxRoundTripWordErrorRate) {
  WordErrorTally tally;
  for (const std::string& sentence : round_trip_sentences()) {
    const auto response = transcribe({{"file", speak_wav(sentence)}, {"model", "sphinx"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const std::string heard = response.json()["text"];
    const std::size_t errors = tally.add(sentence, heard);
    std::printf("said:  %s\nheard: %s (%zu errors)\n", sentence.c_str(), heard.c_str(), errors);
  }
  std::printf("word error rate: %zu/%zu = %.1f%%\n", tally.errors(), tally.words(),
              100 * tally.rate());
  EXPECT_LE(tally.rate(), 0.10);
}

TEST_F(AudioHttp, SpeechFormatsParse) {
  const std::string text = "Switchyard speaks in every format.";
  const auto wav = speech({{"input", text}, {"voice", "slt"}, {"response_format", "wav"}});
  ASSERT_EQ(wav.status, 200) << wav.body;
  EXPECT_EQ(wav.content_type, "audio/wav");
  ASSERT_GT(wav.body.size(), 44u);
  EXPECT_EQ(wav.body.substr(0, 4), "RIFF");
  EXPECT_EQ(wav.body.substr(8, 4), "WAVE");
  const Decoded wav_info = sndfile_decode(wav.body);
  EXPECT_EQ(wav_info.rate, 16000);
  EXPECT_EQ(wav_info.channels, 1);
  EXPECT_GT(wav_info.seconds(), 1.0);
  EXPECT_LT(wav_info.seconds(), 6.0);

  const auto flac = speech({{"input", text}, {"response_format", "flac"}});
  ASSERT_EQ(flac.status, 200) << flac.body;
  EXPECT_EQ(flac.content_type, "audio/flac");
  EXPECT_EQ(flac.body.substr(0, 4), "fLaC");
  EXPECT_NEAR(sndfile_decode(flac.body).seconds(), wav_info.seconds(), 0.01);

  const auto mp3 = speech({{"input", text}, {"response_format", "mp3"}});
  ASSERT_EQ(mp3.status, 200) << mp3.body;
  EXPECT_EQ(mp3.content_type, "audio/mpeg");
  const Decoded mp3_info = sndfile_decode(mp3.body);
  EXPECT_EQ(mp3_info.format & SF_FORMAT_TYPEMASK, SF_FORMAT_MPEG);
  EXPECT_NEAR(mp3_info.seconds(), wav_info.seconds(), 0.15);

  const auto opus = speech({{"input", text}, {"response_format", "opus"}});
  ASSERT_EQ(opus.status, 200) << opus.body;
  EXPECT_EQ(opus.content_type, "audio/ogg");
  EXPECT_EQ(opus.body.substr(0, 4), "OggS");
  const Decoded opus_info = sndfile_decode(opus.body);
  EXPECT_EQ(opus_info.format & SF_FORMAT_SUBMASK, SF_FORMAT_OPUS);
  EXPECT_NEAR(opus_info.seconds(), wav_info.seconds(), 0.15);

  const auto pcm = speech({{"input", text}, {"response_format", "pcm"}});
  ASSERT_EQ(pcm.status, 200) << pcm.body;
  EXPECT_EQ(pcm.content_type, "audio/pcm");
  EXPECT_EQ(pcm.body.size() % 2, 0u);
  EXPECT_NEAR(static_cast<double>(pcm.body.size()) / 2 / 24000, wav_info.seconds(), 0.05);

  // Default format is mp3 (as OpenAI's); speed changes the duration.
  EXPECT_EQ(speech({{"input", text}}).content_type, "audio/mpeg");
  const auto fast = speech({{"input", text}, {"response_format", "wav"}, {"speed", 2.0}});
  EXPECT_LT(sndfile_decode(fast.body).seconds(), wav_info.seconds() * 0.75);
}

TEST_F(AudioHttp, SpeechVoices) {
  for (const std::string voice : {"slt", "kal16", "awb", "rms", "alloy", "onyx", "fable"}) {
    const auto response = speech({{"input", "Hello."}, {"voice", voice}, {"response_format", "wav"}});
    EXPECT_EQ(response.status, 200) << voice << ": " << response.body;
  }
  const auto unknown = speech({{"input", "Hello."}, {"voice", "robot"}});
  ASSERT_EQ(unknown.status, 400);
  const std::string message = unknown.json()["error"]["message"];
  EXPECT_NE(message.find("robot"), std::string::npos);
  EXPECT_NE(message.find("slt, kal16, awb, rms"), std::string::npos);
  EXPECT_EQ(unknown.json()["error"]["param"], "voice");
}

TEST_F(AudioHttp, SpeechStreamsChunkedAudio) {
  const std::string text = "First sentence here. Second sentence there. And a third one.";
  const auto whole = speech({{"input", text}, {"response_format", "pcm"}});
  const auto streamed =
      speech({{"input", text}, {"response_format", "wav"}, {"stream_format", "audio"}});
  ASSERT_EQ(streamed.status, 200) << streamed.body;
  EXPECT_EQ(streamed.content_type, "audio/wav");
  ASSERT_GT(streamed.body.size(), 44u);
  EXPECT_EQ(streamed.body.substr(0, 4), "RIFF");
  EXPECT_EQ(le32(streamed.body, 40), 0xFFFFFFFFu);  // length unknown while streaming
  EXPECT_EQ(le32(streamed.body, 24), 16000u);
  for (const std::string format : {"mp3", "opus", "flac"}) {
    const auto encoded =
        speech({{"input", text}, {"response_format", format}, {"stream_format", "audio"}});
    ASSERT_EQ(encoded.status, 200) << format;
    EXPECT_NEAR(sndfile_decode(encoded.body).seconds(),
                static_cast<double>(whole.body.size()) / 2 / 24000, 0.2)
        << format;
  }
  const auto pcm_stream =
      speech({{"input", text}, {"response_format", "pcm"}, {"stream_format", "audio"}});
  ASSERT_EQ(pcm_stream.status, 200);
  EXPECT_NEAR(static_cast<double>(pcm_stream.body.size()), static_cast<double>(whole.body.size()),
              200);
}

TEST_F(AudioHttp, SpeechStreamsSseEvents) {
  const json request = {{"input", "One. Two. Three."},
                        {"response_format", "pcm"},
                        {"stream_format", "sse"}};
  StreamingCall call(flite_->port(), "/v1/audio/speech", request.dump());
  ASSERT_EQ(call.status(), 200);
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_GE(events.size(), 4u);  // a delta per sentence, then done
  std::string audio;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const json event = json::parse(events[i]);
    EXPECT_EQ(event["type"], "speech.audio.delta");
    audio += base64_decode(event["audio"]);
  }
  EXPECT_EQ(json::parse(events.back())["type"], "speech.audio.done");
  EXPECT_GT(audio.size(), 24000u);  // more than half a second of 24 kHz 16-bit audio
}

TEST_F(AudioHttp, TranscriptionFormatsParse) {
  const std::string wav = speak_wav("Please call me back when you get home tonight.");
  const auto text = transcribe({{"file", wav}, {"response_format", "text"}});
  ASSERT_EQ(text.status, 200) << text.body;
  EXPECT_EQ(text.content_type.rfind("text/plain", 0), 0u);
  EXPECT_GE(words_of(text.body).size(), 5u);

  const std::regex srt_timing(R"(\d\d:\d\d:\d\d,\d\d\d --> \d\d:\d\d:\d\d,\d\d\d)");
  const auto srt = transcribe({{"file", wav}, {"response_format", "srt"}});
  ASSERT_EQ(srt.status, 200) << srt.body;
  EXPECT_EQ(srt.body.rfind("1\n", 0), 0u) << srt.body;
  EXPECT_TRUE(std::regex_search(srt.body, srt_timing)) << srt.body;

  const std::regex vtt_timing(R"(\d\d:\d\d:\d\d\.\d\d\d --> \d\d:\d\d:\d\d\.\d\d\d)");
  const auto vtt = transcribe({{"file", wav}, {"response_format", "vtt"}});
  ASSERT_EQ(vtt.status, 200) << vtt.body;
  EXPECT_EQ(vtt.content_type.rfind("text/vtt", 0), 0u);
  EXPECT_EQ(vtt.body.rfind("WEBVTT\n\n", 0), 0u);
  EXPECT_TRUE(std::regex_search(vtt.body, vtt_timing)) << vtt.body;

  const auto verbose = transcribe({{"file", wav},
                                   {"response_format", "verbose_json"},
                                   {"timestamp_granularities[]", "word"}});
  ASSERT_EQ(verbose.status, 200) << verbose.body;
  const json body = verbose.json();
  EXPECT_EQ(body["task"], "transcribe");
  EXPECT_EQ(body["language"], "english");
  EXPECT_GT(body["duration"].get<double>(), 1.0);
  ASSERT_GE(body["segments"].size(), 1u);
  double last_end = 0;
  for (const json& segment : body["segments"]) {
    EXPECT_GE(segment["start"].get<double>(), last_end - 1e-9);
    EXPECT_GT(segment["end"].get<double>(), segment["start"].get<double>());
    EXPECT_LE(segment["end"].get<double>(), body["duration"].get<double>() + 0.05);
    last_end = segment["end"];
  }
  EXPECT_GE(body["words"].size(), 5u);
  EXPECT_EQ(words_of(body["text"]).size(), body["words"].size());

  // A 32 kHz stereo upload is downmixed and resampled.
  const auto stereo = transcribe({{"file", stereo_32k(wav)}, {"response_format", "json"}});
  ASSERT_EQ(stereo.status, 200) << stereo.body;
  EXPECT_LE(edit_distance(words_of(text.body), words_of(stereo.json()["text"])), 2u)
      << stereo.body;
}

TEST_F(AudioHttp, TranscriptionStreamsDeltasThenDone) {
  const std::string wav = speak_wav("We need to buy milk and bread from the store.");
  StreamingCall call(sphinx_->port(), "/v1/audio/transcriptions",
                     form({{"file", wav}, {"stream", "true"}}), 60s, form_type());
  ASSERT_EQ(call.status(), 200) << call.body_so_far();
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_GE(events.size(), 2u);
  std::string joined;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    const json delta = json::parse(events[i]);
    EXPECT_EQ(delta["type"], "transcript.text.delta");
    joined += delta["delta"].get<std::string>();
  }
  const json done = json::parse(events.back());
  EXPECT_EQ(done["type"], "transcript.text.done");
  EXPECT_EQ(done["text"], joined);
  EXPECT_GE(words_of(joined).size(), 5u);
}

TEST_F(AudioHttp, OtherUploadFormatsDecode) {
  // The same speech as flac and mp3 (made by the flite worker) transcribes alike.
  const std::string sentence = "I would like to order a large pizza with cheese.";
  for (const std::string format : {"flac", "mp3", "opus"}) {
    const auto audio = speech({{"input", sentence}, {"response_format", format}});
    ASSERT_EQ(audio.status, 200);
    const auto response = transcribe({{"file", audio.body}});
    ASSERT_EQ(response.status, 200) << format << ": " << response.body;
    EXPECT_LE(edit_distance(words_of(sentence), words_of(response.json()["text"])), 3u)
        << format << ": " << response.json()["text"];
  }
}

TEST_F(AudioHttp, PocketsphinxDoesNotTranslate) {
  const auto response =
      transcribe({{"file", speak_wav("Hello.")}}, "/v1/audio/translations");
  ASSERT_EQ(response.status, 400);
  EXPECT_NE(response.json()["error"]["message"].get<std::string>().find("pocketsphinx"),
            std::string::npos);
  const auto german = transcribe({{"file", speak_wav("Hello.")}, {"language", "de"}});
  EXPECT_EQ(german.status, 400);
  EXPECT_EQ(german.json()["error"]["param"], "language");
}

TEST_F(AudioHttp, BadInputIsAClearBadRequest) {
  auto expect_400 = [](const HttpResponse& response, const std::string& words,
                       const std::string& param) {
    EXPECT_EQ(response.status, 400) << response.body;
    const json error = response.json()["error"];
    EXPECT_NE(error["message"].get<std::string>().find(words), std::string::npos)
        << error["message"];
    EXPECT_EQ(error["param"], param);
  };
  expect_400(transcribe({{"file", "this is not audio, just some text bytes pretending"}}),
             "not audio", "file");
  expect_400(transcribe({{"file", ""}}), "empty", "file");
  // A valid WAV header with no samples: 0 seconds.
  std::string empty_wav = speak_wav("Hi.").substr(0, 44);
  empty_wav[40] = empty_wav[41] = empty_wav[42] = empty_wav[43] = 0;
  expect_400(transcribe({{"file", empty_wav}}), "0 seconds", "file");
  expect_400(transcribe({{"model", "m"}}), "no 'file' part", "file");
  expect_400(http_post(sphinx_->port(), "/v1/audio/transcriptions", "{}", "application/json"),
             "multipart/form-data", "file");
  expect_400(transcribe({{"file", "x"}, {"response_format", "docx"}}), "response_format",
             "response_format");

  expect_400(speech({{"input", std::string(5000, 'a')}}), "limit is 4096", "input");
  expect_400(speech({{"input", ""}}), "required", "input");
  expect_400(speech({{"input", "Hi."}, {"voice", "nobody"}}), "unknown voice", "voice");
  expect_400(speech({{"input", "Hi."}, {"speed", 9}}), "speed", "speed");
  expect_400(speech({{"input", "Hi."}, {"response_format", "aac"}}), "response_format",
             "response_format");
  EXPECT_EQ(http_call(flite_->port(), "POST", "/v1/audio/speech", "not json").status, 400);
  EXPECT_EQ(http_call(flite_->port(), "POST", "/v1/audio/transcriptions", "{}").status, 404);

  expect_serving(flite_);
  expect_serving(sphinx_);
  EXPECT_EQ(transcribe({{"file", speak_wav("Still working.")}}).status, 200);
}

TEST_F(AudioHttp, ClientGoingAwayCancelsAndTheWorkerKeepsServing) {
  // 70 sentences: over 5 s of synthesis (slt) when nobody stops it. The worker runs one
  // request at a time, so the next request is answered quickly only if the first was dropped.
  std::string long_text;
  for (int i = 0; i < 70; ++i) {
    long_text += "This is a fairly long sentence with the number " + std::to_string(i) + ". ";
  }
  ASSERT_LE(long_text.size(), 4096u);  // within the input limit: it is really synthesised
  send_and_close(flite_->port(), "/v1/audio/speech",
                 json({{"input", long_text}, {"response_format", "wav"}}).dump());
  const auto started = std::chrono::steady_clock::now();
  const auto response = speech({{"input", "Quick."}, {"response_format", "wav"}});
  EXPECT_EQ(response.status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST(EspeakHttp, SpeaksManyLanguages) {
  WorkerProcess espeak("espeak-ng", {}, kEspeakData);
  for (const std::string voice : {"en-us", "de", "fr", "es+f3", "nova", "echo"}) {
    const auto response =
        http_call(espeak.port(), "POST", "/v1/audio/speech",
                  json({{"input", "Hello world. 123."}, {"voice", voice}, {"response_format", "wav"}})
                      .dump());
    ASSERT_EQ(response.status, 200) << voice << ": " << response.body;
    const Decoded decoded = sndfile_decode(response.body);
    EXPECT_EQ(decoded.rate, 22050) << voice;
    EXPECT_GT(decoded.seconds(), 0.5) << voice;
  }
  const auto opus = http_call(espeak.port(), "POST", "/v1/audio/speech",
                              json({{"input", "Bonjour."}, {"voice", "fr"}, {"response_format", "opus"}}).dump());
  ASSERT_EQ(opus.status, 200);
  EXPECT_EQ(sndfile_decode(opus.body).rate, 24000);  // Opus takes no 22 050 Hz: resampled
  const auto unknown = http_call(espeak.port(), "POST", "/v1/audio/speech",
                                 json({{"input", "Hi."}, {"voice", "klingon"}}).dump());
  ASSERT_EQ(unknown.status, 400);
  EXPECT_NE(unknown.json()["error"]["message"].get<std::string>().find("en-us"), std::string::npos);
}

}  // namespace
}  // namespace switchyard::test
