#include "worker/openai/media.hpp"

#include <algorithm>
#include <array>
#include <cstdint>

#include "worker/openai/params.hpp"

namespace switchyard::worker::openai {
namespace {

constexpr std::array<std::string_view, 3> kAudioFormats = {"wav", "mp3", "flac"};

// -1 for a character outside the alphabet, -2 for whitespace.
constexpr std::array<std::int8_t, 256> make_base64_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  }
  for (const char c : {' ', '\t', '\r', '\n'}) table[static_cast<unsigned char>(c)] = -2;
  return table;
}
constexpr auto kBase64 = make_base64_table();

bool starts_with_ci(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    if (lower != prefix[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view to_string(MediaKind kind) { return kind == MediaKind::image ? "image" : "audio"; }

std::optional<std::string> decode_base64(std::string_view text) {
  std::string out;
  out.reserve(text.size() / 4 * 3 + 3);
  std::uint32_t group = 0;
  int n = 0;  // sextets in `group`
  std::size_t i = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '=') break;
    const std::int8_t v = kBase64[static_cast<unsigned char>(c)];
    if (v == -2) continue;
    if (v < 0) return std::nullopt;
    group = (group << 6) | static_cast<std::uint32_t>(v);
    if (++n == 4) {
      out.push_back(static_cast<char>((group >> 16) & 0xFF));
      out.push_back(static_cast<char>((group >> 8) & 0xFF));
      out.push_back(static_cast<char>(group & 0xFF));
      group = 0;
      n = 0;
    }
  }
  // Padding (at most two '='), then only whitespace.
  std::size_t pads = 0;
  for (; i < text.size(); ++i) {
    if (text[i] == '=') {
      ++pads;
    } else if (kBase64[static_cast<unsigned char>(text[i])] != -2) {
      return std::nullopt;
    }
  }
  if (n == 1 || pads > 2 || (pads > 0 && n + static_cast<int>(pads) != 4)) return std::nullopt;
  if (n == 2) {
    out.push_back(static_cast<char>((group >> 4) & 0xFF));
  } else if (n == 3) {
    out.push_back(static_cast<char>((group >> 10) & 0xFF));
    out.push_back(static_cast<char>((group >> 2) & 0xFF));
  }
  return out;
}

DataUrl parse_data_url(std::string_view url, const std::string& param) {
  if (starts_with_ci(url, "http://") || starts_with_ci(url, "https://")) {
    invalid(param, "'" + param +
                       "' is an http(s) URL; this server does not fetch URLs (no network "
                       "access): send the data inline as a data: URL (data:image/png;base64,...)");
  }
  if (!starts_with_ci(url, "data:")) {
    invalid(param, "'" + param + "' must be a data: URL (data:image/png;base64,...)");
  }
  const std::size_t comma = url.find(',');
  if (comma == std::string_view::npos) invalid(param, "'" + param + "' is a data: URL without ','");
  const std::string_view header = url.substr(5, comma - 5);
  const std::size_t semicolon = header.find(';');
  DataUrl result;
  result.media_type = std::string(header.substr(0, semicolon));
  if (header.size() < 7 || !starts_with_ci(header.substr(header.size() - 7), ";base64")) {
    invalid(param, "'" + param + "' must be a base64 data: URL (data:<type>;base64,...)");
  }
  auto bytes = decode_base64(url.substr(comma + 1));
  if (!bytes) invalid(param, "'" + param + "' holds invalid base64 data");
  if (bytes->empty()) invalid(param, "'" + param + "' holds no data");
  result.bytes = std::move(*bytes);
  return result;
}

MediaPart parse_image_part(const nlohmann::json& part, const std::string& param) {
  const auto it = part.find("image_url");
  std::string url_param = param + ".image_url";
  const nlohmann::json* url = nullptr;
  if (it != part.end() && it->is_string()) {
    url = &*it;
  } else if (it != part.end() && it->is_object() && it->contains("url")) {
    url = &(*it)["url"];
    url_param += ".url";
  }
  if (url == nullptr || !url->is_string()) {
    invalid(url_param, "an image_url part of '" + param + "' needs 'image_url': {'url': ...}");
  }
  DataUrl data = parse_data_url(url->get_ref<const std::string&>(), url_param);
  return {MediaKind::image, std::move(data.bytes), std::move(data.media_type), param};
}

MediaPart parse_audio_part(const nlohmann::json& part, const std::string& param) {
  const std::string audio_param = param + ".input_audio";
  const auto it = part.find("input_audio");
  if (it == part.end() || !it->is_object()) {
    invalid(audio_param,
            "an input_audio part of '" + param + "' needs 'input_audio': {'data', 'format'}");
  }
  const auto format = get_string(*it, "format");
  if (format &&
      std::find(kAudioFormats.begin(), kAudioFormats.end(), *format) == kAudioFormats.end()) {
    invalid(audio_param + ".format",
            "unsupported audio format '" + *format + "'; expected wav, mp3 or flac");
  }
  const auto data = get_string(*it, "data");
  if (!data || data->empty()) {
    invalid(audio_param + ".data", "an input_audio part of '" + param + "' needs base64 'data'");
  }
  std::string bytes;
  if (starts_with_ci(*data, "data:")) {
    bytes = parse_data_url(*data, audio_param + ".data").bytes;
  } else {
    auto decoded = decode_base64(*data);
    if (!decoded) invalid(audio_param + ".data", "'" + audio_param + ".data' is not valid base64");
    bytes = std::move(*decoded);
  }
  return {MediaKind::audio, std::move(bytes), format.value_or(""), param};
}

}  // namespace switchyard::worker::openai
