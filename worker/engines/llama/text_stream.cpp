#include "worker/engines/llama/text_stream.hpp"

#include <algorithm>
#include <utility>

namespace switchyard::worker::llama {
namespace {

// Length of the longest suffix of `text` that is a proper prefix of `stop`.
std::size_t partial_stop_suffix(std::string_view text, std::string_view stop) {
  const std::size_t longest = std::min(text.size(), stop.size() - 1);
  for (std::size_t n = longest; n > 0; --n) {
    if (text.substr(text.size() - n) == stop.substr(0, n)) return n;
  }
  return 0;
}

}  // namespace

std::size_t utf8_complete_prefix(std::string_view text) {
  // Look back at most 3 bytes for the lead byte of the last sequence.
  for (std::size_t back = 1; back <= std::min<std::size_t>(4, text.size()); ++back) {
    const auto byte = static_cast<unsigned char>(text[text.size() - back]);
    if ((byte & 0xC0) == 0x80) continue;  // continuation byte
    std::size_t length = 1;
    if ((byte & 0xE0) == 0xC0)
      length = 2;
    else if ((byte & 0xF0) == 0xE0)
      length = 3;
    else if ((byte & 0xF8) == 0xF0)
      length = 4;
    return length > back ? text.size() - back : text.size();
  }
  return text.size();  // only continuation bytes: invalid, nothing to wait for
}

TextStream::TextStream(std::vector<std::string> stops) : stops_(std::move(stops)) {
  std::erase_if(stops_, [](const std::string& s) { return s.empty(); });
}

TextStream::Output TextStream::push(std::string_view piece) {
  pending_ += piece;
  // Every byte before pending_ was checked already, so a stop string can only start in pending_.
  std::size_t first_stop = std::string::npos;
  for (const auto& stop : stops_) first_stop = std::min(first_stop, pending_.find(stop));
  if (first_stop != std::string::npos) {
    Output out{pending_.substr(0, first_stop), true};
    pending_.clear();
    return out;
  }
  std::size_t hold = 0;
  for (const auto& stop : stops_) hold = std::max(hold, partial_stop_suffix(pending_, stop));
  const std::size_t ready =
      utf8_complete_prefix(std::string_view(pending_).substr(0, pending_.size() - hold));
  Output out{pending_.substr(0, ready), false};
  pending_.erase(0, ready);
  return out;
}

std::string TextStream::flush() { return std::exchange(pending_, {}); }

}  // namespace switchyard::worker::llama
