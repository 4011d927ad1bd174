// Turns the bytes of sampled tokens into text that is safe to send: holds back an incomplete UTF-8
// sequence until its last byte arrives, and any tail that could be the start of a stop string until
// it is disambiguated. A stop string is never sent. Pure; no llama.cpp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::llama {

class TextStream {
 public:
  explicit TextStream(std::vector<std::string> stops = {});

  struct Output {
    std::string text;      // safe to send now
    bool stopped = false;  // a stop string matched: `text` ends just before it; generation ends
  };
  Output push(std::string_view piece);
  // End of generation: whatever is still held back (a stop-string prefix that never completed).
  std::string flush();

 private:
  std::vector<std::string> stops_;
  std::string pending_;
};

// Length of the longest prefix of `text` that does not end inside a UTF-8 sequence.
std::size_t utf8_complete_prefix(std::string_view text);

}  // namespace switchyard::worker::llama
