// /v1/audio/speech as pure functions: the JSON request parsed into a SpeechRequest, and the SSE
// events of `stream_format: sse`.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "worker/audio/audio_codec.hpp"

namespace switchyard::worker::audio {

inline constexpr std::size_t kMaxSpeechInput = 4096;  // characters, as OpenAI's limit

enum class StreamFormat { none, audio, sse };

struct SpeechRequest {
  std::string model;
  std::string input;
  std::string voice;  // as requested ("" = the engine's default)
  AudioFormat format = AudioFormat::mp3;
  double speed = 1.0;
  StreamFormat stream = StreamFormat::none;
};

// Throws ApiError (400) naming the field for a missing or empty `input`, one over 4096
// characters, an unknown response_format or stream_format, or a speed outside 0.25..4.
SpeechRequest parse_speech_request(const nlohmann::json& body);

std::string base64_encode(std::string_view bytes);
// `{"type":"speech.audio.delta","audio":<base64>}` and `{"type":"speech.audio.done"}` as SSE.
std::string speech_delta_event(std::string_view audio_bytes);
std::string speech_done_event();

}  // namespace switchyard::worker::audio
