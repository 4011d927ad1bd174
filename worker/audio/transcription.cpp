#include "worker/audio/transcription.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/http/multipart.hpp"
#include "common/openai_error.hpp"
#include "common/sse.hpp"

namespace switchyard::worker::audio {
namespace {

using nlohmann::json;

[[noreturn]] void bad(std::string message, std::string param) {
  throw ApiError(ErrorKind::invalid_request, std::move(message), std::move(param));
}

bool parse_bool(std::string_view text, const std::string& param) {
  if (text == "true" || text == "1") return true;
  if (text == "false" || text == "0" || text.empty()) return false;
  bad("'" + param + "' must be true or false, got '" + std::string(text) + "'", param);
}

std::string dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<TranscriptFormat> transcript_format_from_string(std::string_view name) {
  if (name == "json") return TranscriptFormat::json;
  if (name == "text") return TranscriptFormat::text;
  if (name == "srt") return TranscriptFormat::srt;
  if (name == "vtt") return TranscriptFormat::vtt;
  if (name == "verbose_json") return TranscriptFormat::verbose_json;
  return std::nullopt;
}

TranscriptionRequest parse_transcription_request(AudioTask task, std::string_view body,
                                                 std::string_view content_type) {
  std::string error;
  auto parts = http::parse_multipart(body, content_type, &error);
  if (!parts) bad("the request must be multipart/form-data: " + error, "file");

  TranscriptionRequest request;
  request.task = task;
  bool has_file = false;
  for (const http::MultipartPart& part : *parts) {
    const std::string& name = part.name;
    const std::string value(part.data);
    if (name == "file") {
      if (has_file) bad("only one 'file' part is allowed", "file");
      has_file = true;
      request.file = part.data;
      request.filename = part.filename;
    } else if (name == "model") {
      request.model = value;
    } else if (name == "language") {
      if (task == AudioTask::translate) bad("translations take no 'language'", "language");
      request.language = value;
    } else if (name == "prompt") {
      request.prompt = value;
    } else if (name == "temperature") {
      float t = 0;
      const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (ec != std::errc{} || end != value.data() + value.size() || !(t >= 0.0f && t <= 1.0f)) {
        bad("'temperature' must be a number between 0 and 1, got '" + value + "'", "temperature");
      }
      request.temperature = t;
    } else if (name == "response_format") {
      auto format = transcript_format_from_string(value);
      if (!format) {
        bad("'response_format' must be json, text, srt, vtt or verbose_json, got '" + value + "'",
            "response_format");
      }
      request.format = *format;
    } else if (name == "timestamp_granularities[]" || name == "timestamp_granularities") {
      if (value == "word") {
        request.word_timestamps = true;
      } else if (value != "segment") {
        bad("'timestamp_granularities[]' takes word and segment, got '" + value + "'",
            "timestamp_granularities");
      }
    } else if (name == "stream") {
      request.stream = parse_bool(value, "stream");
    }
    // Other fields (chunking_strategy, include[], ...) are ignored, as unknown JSON fields are.
  }
  if (!has_file) bad("the request has no 'file' part with the audio", "file");
  if (request.file.empty()) bad("the audio file is empty", "file");
  return request;
}

std::string Transcript::text() const {
  std::string text;
  for (const Segment& segment : segments) text += segment.text;
  const std::size_t start = text.find_first_not_of(' ');
  return start == std::string::npos ? std::string() : text.substr(start);
}

std::string format_timestamp(double seconds, char decimal) {
  const auto ms = static_cast<long long>(std::llround(std::max(seconds, 0.0) * 1000.0));
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%02lld:%02lld:%02lld%c%03lld", ms / 3600000,
                (ms / 60000) % 60, (ms / 1000) % 60, decimal, ms % 1000);
  return buffer;
}

FormattedTranscript format_transcript(const Transcript& transcript,
                                      const TranscriptionRequest& request) {
  auto trimmed = [](const std::string& text) {
    const std::size_t start = text.find_first_not_of(' ');
    return start == std::string::npos ? std::string() : text.substr(start);
  };
  switch (request.format) {
    case TranscriptFormat::json:
      return {"application/json",
              dump({{"text", transcript.text()},
                    {"usage", {{"type", "duration"},
                               {"seconds", static_cast<int>(std::ceil(transcript.duration))}}}})};
    case TranscriptFormat::text:
      return {"text/plain; charset=utf-8", transcript.text() + "\n"};
    case TranscriptFormat::srt: {
      std::string out;
      int index = 1;
      for (const Segment& s : transcript.segments) {
        out += std::to_string(index++) + "\n" + format_timestamp(s.start, ',') + " --> " +
               format_timestamp(s.end, ',') + "\n" + trimmed(s.text) + "\n\n";
      }
      return {"application/x-subrip; charset=utf-8", out};
    }
    case TranscriptFormat::vtt: {
      std::string out = "WEBVTT\n\n";
      for (const Segment& s : transcript.segments) {
        out += format_timestamp(s.start, '.') + " --> " + format_timestamp(s.end, '.') + "\n" +
               trimmed(s.text) + "\n\n";
      }
      return {"text/vtt; charset=utf-8", out};
    }
    case TranscriptFormat::verbose_json: {
      json segments = json::array();
      json words = json::array();
      int id = 0;
      for (const Segment& s : transcript.segments) {
        segments.push_back({{"id", id++},
                            {"seek", static_cast<int>(std::floor(s.start * 100.0))},
                            {"start", s.start},
                            {"end", s.end},
                            {"text", s.text},
                            {"tokens", s.tokens},
                            {"temperature", transcript.temperature},
                            {"avg_logprob", s.avg_logprob},
                            {"compression_ratio", 1.0},
                            {"no_speech_prob", s.no_speech_prob}});
        for (const Word& w : s.words) {
          words.push_back({{"word", w.word}, {"start", w.start}, {"end", w.end}});
        }
      }
      json body = {{"task", request.task == AudioTask::translate ? "translate" : "transcribe"},
                   {"language", transcript.language},
                   {"duration", transcript.duration},
                   {"text", transcript.text()},
                   {"segments", std::move(segments)}};
      if (request.word_timestamps) body["words"] = std::move(words);
      body["usage"] = {{"type", "duration"},
                       {"seconds", static_cast<int>(std::ceil(transcript.duration))}};
      return {"application/json", dump(body)};
    }
  }
  return {"application/json", "{}"};
}

std::string transcript_delta_event(std::string_view delta) {
  return sse::data_event(dump({{"type", "transcript.text.delta"}, {"delta", delta}}));
}

std::string transcript_done_event(const Transcript& transcript) {
  return sse::data_event(
      dump({{"type", "transcript.text.done"},
            {"text", transcript.text()},
            {"usage", {{"type", "duration"},
                       {"seconds", static_cast<int>(std::ceil(transcript.duration))}}}}));
}

}  // namespace switchyard::worker::audio
