#include "router/supervisor/log_buffer.hpp"

#include <algorithm>

namespace switchyard::supervisor {

void LogBuffer::append(std::string_view line) {
  lines_.emplace_back(line);
  if (lines_.size() > capacity_) {
    lines_.pop_front();
    ++first_sequence_;
  }
  appended_.notify_all();
}

std::vector<std::string> LogBuffer::tail(std::size_t count) const {
  const std::size_t n = std::min(count, lines_.size());
  return {lines_.end() - static_cast<std::ptrdiff_t>(n), lines_.end()};
}

std::vector<std::string> LogBuffer::since(std::uint64_t& from) const {
  // A cursor older than the oldest kept line starts there; one past the end gets nothing.
  from = std::clamp(from, first_sequence_, next_sequence());
  const auto offset = static_cast<std::ptrdiff_t>(from - first_sequence_);
  std::vector<std::string> out(lines_.begin() + offset, lines_.end());
  from = next_sequence();
  return out;
}

}  // namespace switchyard::supervisor
