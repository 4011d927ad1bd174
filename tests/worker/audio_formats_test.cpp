// worker/audio: decoding and encoding audio in memory, the OpenAI audio request parsers and the
// transcript response formats, all as pure functions.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <regex>

#include "common/openai_error.hpp"
#include "worker/audio/audio_codec.hpp"
#include "worker/audio/speech.hpp"
#include "worker/audio/synthesizer.hpp"
#include "worker/audio/transcription.hpp"

namespace switchyard::worker::audio {
namespace {

using nlohmann::json;

std::vector<std::int16_t> tone(int rate, double seconds, double hz = 440.0) {
  std::vector<std::int16_t> out(static_cast<std::size_t>(rate * seconds));
  for (std::size_t i = 0; i < out.size(); ++i) {
    out[i] = static_cast<std::int16_t>(
        8000 * std::sin(2 * std::numbers::pi * hz * static_cast<double>(i) / rate));
  }
  return out;
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--b\r\nContent-Disposition: form-data; name=\"" + name + "\"" +
            (name == "file" ? "; filename=\"a.wav\"" : "") + "\r\n\r\n" + value + "\r\n";
  }
  return body + "--b--\r\n";
}

constexpr std::string_view kMultipart = "multipart/form-data; boundary=b";

TEST(AudioCodec, EveryFormatDecodesBackToItsDuration) {
  const auto samples = tone(16000, 1.5);
  for (AudioFormat format : {AudioFormat::wav, AudioFormat::flac, AudioFormat::mp3,
                             AudioFormat::opus}) {
    SCOPED_TRACE(std::string(to_string(format)));
    const std::string bytes = encode_audio(samples, 16000, format);
    ASSERT_GT(bytes.size(), 100u);
    AudioDecoder decoder(bytes);
    const std::vector<float> decoded = decoder.read_all();
    // mp3 and opus add encoder delay/padding; a few tens of milliseconds either way.
    EXPECT_NEAR(static_cast<double>(decoded.size()) / kRecognizerRate, 1.5, 0.1);
  }
  EXPECT_EQ(encode_audio(samples, 16000, AudioFormat::wav).substr(0, 4), "RIFF");
  EXPECT_EQ(encode_audio(samples, 16000, AudioFormat::flac).substr(0, 4), "fLaC");
  EXPECT_EQ(encode_audio(samples, 16000, AudioFormat::opus).substr(0, 4), "OggS");
}

TEST(AudioCodec, PcmIs24kHzLittleEndian) {
  const std::string pcm = encode_audio(tone(16000, 1.0), 16000, AudioFormat::pcm);
  EXPECT_NEAR(static_cast<double>(pcm.size()) / 2, 24000, 50);
  EXPECT_EQ(output_rate(AudioFormat::opus, 22050), 24000);
  EXPECT_EQ(output_rate(AudioFormat::opus, 16000), 16000);
  EXPECT_EQ(output_rate(AudioFormat::wav, 22050), 22050);
}

TEST(AudioCodec, ResamplesAndDownmixesToSixteenKilohertzMono) {
  const std::string wav = encode_audio(tone(22050, 2.0), 22050, AudioFormat::wav);
  AudioDecoder decoder(wav);
  EXPECT_EQ(decoder.source_rate(), 22050);
  std::vector<float> out;
  while (decoder.read(out, 1000)) {
  }
  EXPECT_NEAR(static_cast<double>(out.size()), 32000, 40);
  EXPECT_NEAR(decoder.seconds_out(), 2.0, 0.01);
}

TEST(AudioCodec, RefusesWhatIsNotAudio) {
  try {
    AudioDecoder decoder("this is plain text, certainly not a sound file at all");
    FAIL() << "decoded text";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400);
    EXPECT_NE(std::string(error.what()).find("not audio"), std::string::npos);
  }
  EXPECT_THROW(AudioDecoder(""), ApiError);
}

TEST(AudioCodec, StreamEncoderWritesAnOpenEndedWav) {
  StreamEncoder encoder(AudioFormat::wav, 16000);
  const auto samples = tone(16000, 0.5);
  std::string out = encoder.push(samples);
  out += encoder.push(samples);
  out += encoder.finish();
  ASSERT_EQ(out.substr(0, 4), "RIFF");
  EXPECT_EQ(out.size(), 44u + 4 * samples.size());
  EXPECT_EQ(out.substr(40, 4), std::string(4, '\xff'));  // data size: unknown
}

TEST(AudioCodec, StreamEncoderStreamsEncodedFormatsAsTheyGrow) {
  const auto block = tone(22050, 0.5);
  for (AudioFormat format : {AudioFormat::flac, AudioFormat::mp3, AudioFormat::opus}) {
    SCOPED_TRACE(std::string(to_string(format)));
    StreamEncoder encoder(format, 22050);
    std::string out;
    std::size_t pieces = 0;
    for (int i = 0; i < 8; ++i) {  // 4 seconds in half-second blocks
      const std::string bytes = encoder.push(block);
      pieces += !bytes.empty();
      out += bytes;
    }
    out += encoder.finish();
    EXPECT_GE(pieces, 3u);  // bytes went out before the end
    AudioDecoder decoder(out);
    EXPECT_NEAR(static_cast<double>(decoder.read_all().size()) / kRecognizerRate, 4.0, 0.15);
  }
}

TEST(TranscriptionRequest, ParsesTheForm) {
  const std::string body = multipart({{"file", "RIFFdata"},
                                      {"model", "whisper-1"},
                                      {"language", "en"},
                                      {"prompt", "Hello."},
                                      {"temperature", "0.2"},
                                      {"response_format", "verbose_json"},
                                      {"timestamp_granularities[]", "word"},
                                      {"timestamp_granularities[]", "segment"},
                                      {"stream", "true"}});
  const auto request = parse_transcription_request(AudioTask::transcribe, body, kMultipart);
  EXPECT_EQ(request.file, "RIFFdata");
  EXPECT_EQ(request.filename, "a.wav");
  EXPECT_EQ(request.model, "whisper-1");
  EXPECT_EQ(request.language, "en");
  EXPECT_EQ(request.prompt, "Hello.");
  EXPECT_FLOAT_EQ(request.temperature, 0.2f);
  EXPECT_EQ(request.format, TranscriptFormat::verbose_json);
  EXPECT_TRUE(request.word_timestamps);
  EXPECT_TRUE(request.stream);
}

TEST(TranscriptionRequest, RefusesBadFields) {
  auto param_of = [](const std::string& body, std::string_view type = kMultipart) {
    try {
      parse_transcription_request(AudioTask::transcribe, body, type);
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 400);
      return error.param.value_or("");
    }
    return std::string("accepted");
  };
  EXPECT_EQ(param_of(multipart({{"model", "m"}})), "file");
  EXPECT_EQ(param_of(multipart({{"file", ""}})), "file");
  EXPECT_EQ(param_of("{}", "application/json"), "file");
  EXPECT_EQ(param_of(multipart({{"file", "x"}, {"temperature", "hot"}})), "temperature");
  EXPECT_EQ(param_of(multipart({{"file", "x"}, {"temperature", "1.5"}})), "temperature");
  EXPECT_EQ(param_of(multipart({{"file", "x"}, {"response_format", "xml"}})), "response_format");
  EXPECT_EQ(param_of(multipart({{"file", "x"}, {"timestamp_granularities[]", "char"}})),
            "timestamp_granularities");
  EXPECT_THROW(parse_transcription_request(AudioTask::translate,
                                           multipart({{"file", "x"}, {"language", "de"}}),
                                           kMultipart),
               ApiError);
}

Transcript sample_transcript() {
  Transcript t;
  t.language = "english";
  t.duration = 3725.5;
  Segment a;
  a.start = 0.0;
  a.end = 1.25;
  a.text = " hello world";
  a.words = {{"hello", 0.0, 0.5}, {"world", 0.6, 1.25}};
  Segment b;
  b.start = 3723.004;
  b.end = 3725.5;
  b.text = " good bye";
  t.segments = {a, b};
  return t;
}

TEST(TranscriptFormats, EveryResponseFormat) {
  TranscriptionRequest request;
  const Transcript t = sample_transcript();
  EXPECT_EQ(t.text(), "hello world good bye");

  request.format = TranscriptFormat::json;
  auto out = format_transcript(t, request);
  EXPECT_EQ(out.content_type, "application/json");
  EXPECT_EQ(json::parse(out.body)["text"], "hello world good bye");

  request.format = TranscriptFormat::text;
  out = format_transcript(t, request);
  EXPECT_EQ(out.body, "hello world good bye\n");
  EXPECT_EQ(out.content_type.rfind("text/plain", 0), 0u);

  request.format = TranscriptFormat::srt;
  out = format_transcript(t, request);
  EXPECT_EQ(out.body,
            "1\n00:00:00,000 --> 00:00:01,250\nhello world\n\n"
            "2\n01:02:03,004 --> 01:02:05,500\ngood bye\n\n");

  request.format = TranscriptFormat::vtt;
  out = format_transcript(t, request);
  EXPECT_EQ(out.body,
            "WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nhello world\n\n"
            "01:02:03.004 --> 01:02:05.500\ngood bye\n\n");

  request.format = TranscriptFormat::verbose_json;
  request.word_timestamps = true;
  const json verbose = json::parse(format_transcript(t, request).body);
  EXPECT_EQ(verbose["task"], "transcribe");
  EXPECT_EQ(verbose["language"], "english");
  EXPECT_DOUBLE_EQ(verbose["duration"].get<double>(), 3725.5);
  ASSERT_EQ(verbose["segments"].size(), 2u);
  EXPECT_EQ(verbose["segments"][1]["id"], 1);
  EXPECT_EQ(verbose["segments"][1]["text"], " good bye");
  EXPECT_DOUBLE_EQ(verbose["segments"][0]["end"].get<double>(), 1.25);
  ASSERT_EQ(verbose["words"].size(), 2u);
  EXPECT_EQ(verbose["words"][1]["word"], "world");
}

TEST(TranscriptFormats, StreamEvents) {
  EXPECT_EQ(transcript_delta_event("hi"),
            "data: {\"delta\":\"hi\",\"type\":\"transcript.text.delta\"}\n\n");
  const auto done = transcript_done_event(sample_transcript());
  const json body = json::parse(done.substr(6));
  EXPECT_EQ(body["type"], "transcript.text.done");
  EXPECT_EQ(body["text"], "hello world good bye");
}

TEST(SpeechRequest, ParsesAndRefuses) {
  const auto request = parse_speech_request(
      {{"model", "tts-1"}, {"input", "Hi."}, {"voice", "alloy"}, {"response_format", "flac"},
       {"speed", 1.5}, {"stream_format", "sse"}});
  EXPECT_EQ(request.input, "Hi.");
  EXPECT_EQ(request.voice, "alloy");
  EXPECT_EQ(request.format, AudioFormat::flac);
  EXPECT_DOUBLE_EQ(request.speed, 1.5);
  EXPECT_EQ(request.stream, StreamFormat::sse);
  EXPECT_EQ(parse_speech_request({{"input", "x"}}).format, AudioFormat::mp3);

  auto param_of = [](const json& body) {
    try {
      parse_speech_request(body);
    } catch (const ApiError& error) {
      return error.param.value_or("");
    }
    return std::string("accepted");
  };
  EXPECT_EQ(param_of({{"voice", "slt"}}), "input");
  EXPECT_EQ(param_of({{"input", ""}}), "input");
  EXPECT_EQ(param_of({{"input", std::string(4097, 'a')}}), "input");
  EXPECT_EQ(param_of({{"input", std::string(4096, 'a')}}), "accepted");
  // 4096 characters of two bytes each are within the limit: it counts characters.
  std::string umlauts;
  for (int i = 0; i < 4096; ++i) umlauts += "\xc3\xa4";
  EXPECT_EQ(param_of({{"input", umlauts}}), "accepted");
  EXPECT_EQ(param_of({{"input", "x"}, {"speed", 5}}), "speed");
  EXPECT_EQ(param_of({{"input", "x"}, {"speed", 0.2}}), "speed");
  EXPECT_EQ(param_of({{"input", "x"}, {"response_format", "aac"}}), "response_format");
  EXPECT_EQ(param_of({{"input", "x"}, {"stream_format", "chunks"}}), "stream_format");
  EXPECT_EQ(param_of({{"input", 5}}), "input");
}

TEST(SpeechRequest, Base64AndEvents) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(json::parse(speech_delta_event("foo").substr(6))["audio"], "Zm9v");
  EXPECT_EQ(json::parse(speech_done_event().substr(6))["type"], "speech.audio.done");
}

TEST(Synthesizer, SentencesAndOpenAiVoices) {
  EXPECT_EQ(split_sentences("Hello there. How are you?\nFine; thanks 3.5 times!  "),
            (std::vector<std::string>{"Hello there.", "How are you?", "Fine;",
                                      "thanks 3.5 times!"}));
  EXPECT_TRUE(split_sentences("  \n ").empty());
  EXPECT_EQ(openai_voice_is_female("nova"), true);
  EXPECT_EQ(openai_voice_is_female("onyx"), false);
  EXPECT_FALSE(openai_voice_is_female("slt"));
}

}  // namespace
}  // namespace switchyard::worker::audio
