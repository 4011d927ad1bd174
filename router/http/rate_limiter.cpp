#include "router/http/rate_limiter.hpp"

#include <algorithm>

namespace switchyard::http {

RateLimiter::Clock::duration RateLimiter::take(std::string_view client,
                                               const config::RateLimit& limit,
                                               Clock::time_point now) {
  if (limit.requests_per_minute <= 0) return Clock::duration::zero();
  const Clock::duration interval =
      std::chrono::duration_cast<Clock::duration>(std::chrono::minutes(1)) /
      limit.requests_per_minute;
  const int burst = limit.burst > 0 ? limit.burst : limit.requests_per_minute;
  const Clock::duration tolerance = interval * (burst - 1);

  auto found = next_allowed_.find(client);
  const Clock::time_point theoretical =
      found == next_allowed_.end() ? now : std::max(found->second, now);
  if (theoretical - now > tolerance) return theoretical - now - tolerance;
  if (found == next_allowed_.end()) {
    if (next_allowed_.size() >= max_clients_) make_room(now);
    found = next_allowed_.emplace(std::string(client), now).first;
  }
  found->second = theoretical + interval;
  return Clock::duration::zero();
}

void RateLimiter::make_room(Clock::time_point now) {
  std::erase_if(next_allowed_, [now](const auto& entry) { return entry.second <= now; });
  if (next_allowed_.size() >= max_clients_) next_allowed_.erase(next_allowed_.begin());
}

}  // namespace switchyard::http
