// Counters the router keeps, declared once, rendered as Prometheus text on the admin listener.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace switchyard::registry {
class Registry;
}

namespace switchyard::metrics {

struct ModelStats {
  std::uint64_t requests = 0;
  std::uint64_t responses_2xx = 0;
  std::uint64_t responses_4xx = 0;
  std::uint64_t responses_5xx = 0;
  std::uint64_t client_aborts = 0;
  std::uint64_t fallbacks = 0;  // handed to a fallback model after this one could not take them
  std::uint64_t response_bytes = 0;
  double seconds_total = 0;
};

struct RouterStats {
  std::uint64_t requests = 0;
  std::uint64_t refused = 0;  // rejected before reaching a model (4xx of the router's own)
  std::uint64_t unauthorized = 0;
  std::uint64_t rate_limited = 0;
};

class Metrics {
 public:
  void record_model_request(const std::string& model, unsigned status, std::uint64_t bytes,
                            bool client_gone, std::chrono::steady_clock::duration duration);
  void record_refused(unsigned status);
  void record_fallback(const std::string& model) { ++models_[model].fallbacks; }
  const RouterStats& router() const { return router_; }
  const std::map<std::string, ModelStats>& models() const { return models_; }
  std::string prometheus_text(const registry::Registry& registry) const;

 private:
  RouterStats router_;
  std::map<std::string, ModelStats> models_;
};

}  // namespace switchyard::metrics
