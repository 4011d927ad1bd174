// Images and audio inside chat messages: OpenAI's `image_url` and `input_audio` content parts,
// taken from the request as bytes. Only inline data is accepted: a `data:` URL (RFC 2397,
// base64) for images, base64 (or a data: URL) for audio. Nothing is fetched over the network.
// Pure functions; a bad part throws ApiError(invalid_request) naming it in `param`.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace switchyard::worker::openai {

enum class MediaKind { image, audio };
std::string_view to_string(MediaKind kind);

// One media part of a message, decoded from base64; which format the bytes really hold is left
// to the engine's decoder (magic bytes), `declared` only records what the client said.
struct MediaPart {
  MediaKind kind = MediaKind::image;
  std::string bytes;
  std::string declared;  // the data URL's media type ("image/png") or input_audio's format
  std::string param;     // "messages[0].content[1]", for error messages
};

// Standard base64 (RFC 4648 alphabet; padding optional; whitespace ignored). Nothing on any
// other character or a truncated final group.
std::optional<std::string> decode_base64(std::string_view text);

struct DataUrl {
  std::string media_type;  // "image/png"; empty when the URL names none
  std::string bytes;
};
// "data:[<media type>][;param=value]*;base64,<data>". Throws ApiError for any other URL (an
// http(s) URL gets a message saying that URLs are not fetched), a URL that is not base64, or
// bad base64.
DataUrl parse_data_url(std::string_view url, const std::string& param);

// An `image_url` part ({"type": "image_url", "image_url": {"url": ...}}; a plain string url is
// accepted too) or an `input_audio` part ({"type": "input_audio", "input_audio": {"data":
// <base64>, "format": "wav"|"mp3"|"flac"}}).
MediaPart parse_image_part(const nlohmann::json& part, const std::string& param);
MediaPart parse_audio_part(const nlohmann::json& part, const std::string& param);

}  // namespace switchyard::worker::openai
