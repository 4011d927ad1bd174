// What the handlers share: the live config, the models, the upstream pool and the counters.
// Everything here is touched only from the router's single event-loop thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "router/config/config.hpp"
#include "router/http/rate_limiter.hpp"
#include "router/metrics/metrics.hpp"
#include "router/proxy/upstream_pool.hpp"
#include "router/registry/registry.hpp"

namespace switchyard {

struct RouterContext {
  std::shared_ptr<const config::Config> config;  // replaced whole on a successful reload
  registry::Registry registry;
  proxy::UpstreamPool pool;
  metrics::Metrics metrics;
  http::RateLimiter rate_limiter;  // kept across reloads: a reload does not refill the buckets
  std::vector<std::string> last_reload_errors;  // shown on /admin/models until a reload works
  std::chrono::system_clock::time_point started = std::chrono::system_clock::now();
};

}  // namespace switchyard
