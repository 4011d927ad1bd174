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

// Passive health, after Envoy's outlier detection (consecutive_5xx): what requests were
// answered. A worker can answer its health endpoint and still fail every request (a broken GPU
// context, llama-swap#125); `threshold` server errors in a row say so. A 503 is not one: the
// worker is busy or loading and says so. Nor is any 4xx, which is the client's.
class FailedRequests {
 public:
  explicit FailedRequests(int threshold) : threshold_(threshold) {}  // 0: never
  // True for the answer that completes a run of `threshold`; the count then starts again.
  bool on_answer(unsigned status);
  int in_a_row() const { return in_a_row_; }
  void reset() { in_a_row_ = 0; }

 private:
  int threshold_;
  int in_a_row_ = 0;
};

// 500, 502, 504 and the rest of 5xx but 503, as the client got it: the router's own 502 and
// 504 for a worker that broke the connection or went silent count as well.
bool is_worker_failure(unsigned status);

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
