// Health probing: the threshold bookkeeping is pure (Envoy's health_checker_base_impl), the
// probe is one HTTP GET with a deadline.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace switchyard::supervisor {

class HealthThresholds {
 public:
  enum class Transition { unchanged, became_unhealthy };
  explicit HealthThresholds(int failure_threshold) : failure_threshold_(failure_threshold) {}
  Transition on_probe(bool ok);
  int consecutive_failures() const { return consecutive_failures_; }

 private:
  int failure_threshold_;
  int consecutive_failures_ = 0;
};

struct ProbeResult {
  int status = 0;     // HTTP status; 0 when no response came
  std::string error;  // why no response came
  bool ok() const { return status == 200; }
};

// GET http://host:port<path> on a fresh connection; never throws.
boost::asio::awaitable<ProbeResult> probe_http(std::string host, std::uint16_t port,
                                               std::string path,
                                               std::chrono::milliseconds timeout);

// Where a model's requests go; the base path (from a `url:` model) prefixes every target.
struct UpstreamAddress {
  std::string host;
  std::uint16_t port = 0;
  std::string base_path;  // "" or "/path", never ending in '/'
};
// The address of a `url:` model (http://host:port[/base]); nullopt when it is not one.
std::optional<UpstreamAddress> upstream_of_url(std::string_view url);

}  // namespace switchyard::supervisor
