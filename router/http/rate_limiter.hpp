// Requests per minute for each client: each API key, or each client address when the router
// has no keys. A generic cell rate algorithm (the token bucket kept as one time per client):
// `burst` requests may come at once, then one every 60/requests_per_minute seconds. A client
// that has been quiet long enough to have its whole burst back is forgotten, so the table only
// holds clients that are using their rate.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "router/config/config.hpp"

namespace switchyard::http {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // At most this many clients are tracked at once: beyond it, the clients that have their whole
  // burst back are forgotten, and if none has, one of the others (it gets its burst again).
  explicit RateLimiter(std::size_t max_clients = 65536) : max_clients_(max_clients) {}

  // Counts a request of `client` at `now`: zero when it may go, else how long until one would
  // be allowed (the request is then not counted).
  Clock::duration take(std::string_view client, const config::RateLimit& limit,
                       Clock::time_point now);

  std::size_t tracked() const { return next_allowed_.size(); }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view text) const {
      return std::hash<std::string_view>{}(text);
    }
  };
  void make_room(Clock::time_point now);

  std::size_t max_clients_;
  // When each client's next request would conform if it had used up its burst: the bucket is
  // full once this lies in the past.
  std::unordered_map<std::string, Clock::time_point, Hash, std::equal_to<>> next_allowed_;
};

}  // namespace switchyard::http
