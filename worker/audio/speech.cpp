#include "worker/audio/speech.hpp"

#include "common/openai_error.hpp"
#include "common/sse.hpp"

namespace switchyard::worker::audio {
namespace {

using nlohmann::json;

[[noreturn]] void bad(std::string message, std::string param) {
  throw ApiError(ErrorKind::invalid_request, std::move(message), std::move(param));
}

std::size_t utf8_length(std::string_view text) {
  std::size_t n = 0;
  for (const char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

const std::string* string_field(const json& body, const char* name) {
  const auto it = body.find(name);
  if (it == body.end() || it->is_null()) return nullptr;
  if (!it->is_string()) bad("'" + std::string(name) + "' must be a string", name);
  return it->get_ptr<const std::string*>();
}

}  // namespace

SpeechRequest parse_speech_request(const json& body) {
  if (!body.is_object()) bad("the request body must be a JSON object", "input");
  SpeechRequest request;
  if (const auto* model = string_field(body, "model")) request.model = *model;
  const auto* input = string_field(body, "input");
  if (input == nullptr || input->empty()) bad("'input' is required: the text to speak", "input");
  const std::size_t length = utf8_length(*input);
  if (length > kMaxSpeechInput) {
    bad("'input' has " + std::to_string(length) + " characters; the limit is " +
            std::to_string(kMaxSpeechInput),
        "input");
  }
  request.input = *input;
  if (const auto* voice = string_field(body, "voice")) request.voice = *voice;
  if (const auto it = body.find("voice"); it != body.end() && it->is_object()) {
    bad("'voice' must be a voice name; custom voice objects are not supported", "voice");
  }
  if (const auto* format = string_field(body, "response_format")) {
    auto parsed = audio_format_from_string(*format);
    if (!parsed) {
      bad("'response_format' must be wav, pcm, flac, mp3 or opus, got '" + *format + "'",
          "response_format");
    }
    request.format = *parsed;
  }
  if (const auto it = body.find("speed"); it != body.end() && !it->is_null()) {
    if (!it->is_number() || it->get<double>() < 0.25 || it->get<double>() > 4.0) {
      bad("'speed' must be a number from 0.25 to 4.0", "speed");
    }
    request.speed = it->get<double>();
  }
  if (const auto* stream = string_field(body, "stream_format")) {
    if (*stream == "audio") {
      request.stream = StreamFormat::audio;
    } else if (*stream == "sse") {
      request.stream = StreamFormat::sse;
    } else {
      bad("'stream_format' must be audio or sse, got '" + *stream + "'", "stream_format");
    }
  }
  // `instructions` and unknown fields are ignored: these voices take no style prompts.
  return request;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string speech_delta_event(std::string_view audio_bytes) {
  return sse::data_event(
      json({{"type", "speech.audio.delta"}, {"audio", base64_encode(audio_bytes)}}).dump());
}

std::string speech_done_event() {
  return sse::data_event(json({{"type", "speech.audio.done"}}).dump());
}

}  // namespace switchyard::worker::audio
