// multipart/form-data bodies for the audio endpoints, as the OpenAI SDKs send them: every field a
// part, the `file` part with a filename.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace switchyard::test {

inline constexpr const char* kAudioFormBoundary = "switchyard-audio-test";

inline std::string form(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += std::string("--") + kAudioFormBoundary +
            "\r\nContent-Disposition: form-data; name=\"" + name + "\"" +
            (name == "file" ? "; filename=\"speech.wav\"\r\nContent-Type: audio/wav" : "") +
            "\r\n\r\n" + value + "\r\n";
  }
  return body + "--" + kAudioFormBoundary + "--\r\n";
}

inline std::string form_type() {
  return std::string("multipart/form-data; boundary=") + kAudioFormBoundary;
}

}  // namespace switchyard::test
