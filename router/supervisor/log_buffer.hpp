// The last N lines a worker printed, for /admin/models/{name}/logs. Lines carry a sequence
// number so a follower can ask for "everything after the last one I saw".
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "router/supervisor/notifier.hpp"

namespace switchyard::supervisor {

class LogBuffer {
 public:
  static constexpr std::size_t kDefaultCapacity = 1000;
  explicit LogBuffer(std::size_t capacity = kDefaultCapacity) : capacity_(capacity) {}

  void append(std::string_view line);
  std::vector<std::string> tail(std::size_t count) const;
  // Lines with sequence number >= `from`; `from` becomes the next sequence number to ask for.
  std::vector<std::string> since(std::uint64_t& from) const;
  std::uint64_t next_sequence() const { return first_sequence_ + lines_.size(); }
  Notifier& on_append() { return appended_; }

 private:
  std::size_t capacity_;
  std::deque<std::string> lines_;
  std::uint64_t first_sequence_ = 0;
  Notifier appended_;
};

}  // namespace switchyard::supervisor
