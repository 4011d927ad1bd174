#include "worker/audio/synthesizer.hpp"

#include <array>
#include <utility>

namespace switchyard::worker::audio {
namespace {

// OpenAI's voices and how they are commonly described (female-sounding or not).
constexpr std::array<std::pair<std::string_view, bool>, 13> kOpenAiVoices = {{
    {"alloy", true},
    {"ash", false},
    {"ballad", false},
    {"coral", true},
    {"echo", false},
    {"fable", false},
    {"onyx", false},
    {"nova", true},
    {"sage", true},
    {"shimmer", true},
    {"verse", false},
    {"marin", true},
    {"cedar", false},
}};

}  // namespace

std::optional<bool> openai_voice_is_female(std::string_view name) {
  for (const auto& [voice, female] : kOpenAiVoices) {
    if (voice == name) return female;
  }
  return std::nullopt;
}

const std::vector<std::string>& openai_voice_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [voice, female] : kOpenAiVoices) out.emplace_back(voice);
    return out;
  }();
  return names;
}

std::vector<std::string> split_sentences(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    const std::size_t start = current.find_first_not_of(" \t\r\n");
    if (start != std::string::npos) out.push_back(current.substr(start));
    current.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    current += c;
    const bool boundary = c == '\n' || ((c == '.' || c == '!' || c == '?' || c == ';') &&
                                        (i + 1 == text.size() || text[i + 1] == ' ' ||
                                         text[i + 1] == '\n' || text[i + 1] == '\t'));
    if (boundary) flush();
  }
  flush();
  return out;
}

}  // namespace switchyard::worker::audio
