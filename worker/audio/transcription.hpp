// /v1/audio/transcriptions and /v1/audio/translations as pure functions: the multipart request
// parsed into a TranscriptionRequest, and a Transcript shaped into each response_format (json,
// text, srt, vtt, verbose_json) and into the stream's SSE events.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::audio {

enum class AudioTask { transcribe, translate };
enum class TranscriptFormat { json, text, srt, vtt, verbose_json };

std::optional<TranscriptFormat> transcript_format_from_string(std::string_view name);

struct TranscriptionRequest {
  AudioTask task = AudioTask::transcribe;
  std::string_view file;  // the upload's bytes, a view into the request body
  std::string filename;
  std::string model;
  std::string language;  // ISO-639-1 as sent ("" = detect, or the engine's only language)
  std::string prompt;
  float temperature = 0.0f;
  TranscriptFormat format = TranscriptFormat::json;
  bool word_timestamps = false;  // timestamp_granularities[] has "word"
  bool stream = false;
};

// Throws ApiError (400) for a body that is not multipart/form-data, a missing or empty `file`
// part, or a field of the wrong value; the message names the field (also in `param`).
TranscriptionRequest parse_transcription_request(AudioTask task, std::string_view body,
                                                 std::string_view content_type);

struct Word {
  std::string word;
  double start = 0;
  double end = 0;
};

struct Segment {
  double start = 0;  // seconds from the beginning of the audio
  double end = 0;
  std::string text;  // starts with a space, as Whisper's segments do
  std::vector<int> tokens;
  double avg_logprob = 0;
  double no_speech_prob = 0;
  std::vector<Word> words;
};

struct Transcript {
  std::string language;  // full English name, "english", as OpenAI reports it
  double duration = 0;   // seconds of audio
  double temperature = 0;
  std::vector<Segment> segments;
  std::string text() const;  // the segments' text joined, without the leading space
};

struct FormattedTranscript {
  std::string content_type;
  std::string body;
};

// "00:01:02,345" (srt, decimal ',') or "00:01:02.345" (vtt, decimal '.').
std::string format_timestamp(double seconds, char decimal);

FormattedTranscript format_transcript(const Transcript& transcript,
                                      const TranscriptionRequest& request);

// `{"type":"transcript.text.delta","delta":...}` and `{"type":"transcript.text.done",...}`,
// framed as SSE data events.
std::string transcript_delta_event(std::string_view delta);
std::string transcript_done_event(const Transcript& transcript);

}  // namespace switchyard::worker::audio
