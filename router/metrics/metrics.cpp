#include "router/metrics/metrics.hpp"

#include <sstream>

#include "router/registry/registry.hpp"

namespace switchyard::metrics {

void Metrics::record_model_request(const std::string& model, unsigned status,
                                   std::uint64_t bytes, bool client_gone,
                                   std::chrono::steady_clock::duration duration) {
  ++router_.requests;
  ModelStats& stats = models_[model];
  ++stats.requests;
  if (status >= 500) {
    ++stats.responses_5xx;
  } else if (status >= 400) {
    ++stats.responses_4xx;
  } else if (status >= 200) {
    ++stats.responses_2xx;
  }
  if (client_gone) ++stats.client_aborts;
  stats.response_bytes += bytes;
  stats.seconds_total += std::chrono::duration<double>(duration).count();
}

void Metrics::record_refused(unsigned status) {
  ++router_.requests;
  ++router_.refused;
  if (status == 401) ++router_.unauthorized;
  if (status == 429) ++router_.rate_limited;
}

std::string Metrics::prometheus_text(const registry::Registry& registry) const {
  std::ostringstream out;
  out << "# TYPE switchyard_requests_total counter\n"
      << "switchyard_requests_total " << router_.requests << "\n"
      << "# TYPE switchyard_refused_requests_total counter\n"
      << "switchyard_refused_requests_total " << router_.refused << "\n"
      << "# TYPE switchyard_unauthorized_requests_total counter\n"
      << "switchyard_unauthorized_requests_total " << router_.unauthorized << "\n"
      << "# TYPE switchyard_rate_limited_requests_total counter\n"
      << "switchyard_rate_limited_requests_total " << router_.rate_limited << "\n";
  out << "# TYPE switchyard_model_requests_total counter\n";
  for (const auto& [model, s] : models_) {
    out << "switchyard_model_requests_total{model=\"" << model << "\",code=\"2xx\"} "
        << s.responses_2xx << "\n"
        << "switchyard_model_requests_total{model=\"" << model << "\",code=\"4xx\"} "
        << s.responses_4xx << "\n"
        << "switchyard_model_requests_total{model=\"" << model << "\",code=\"5xx\"} "
        << s.responses_5xx << "\n";
  }
  out << "# TYPE switchyard_model_client_aborts_total counter\n";
  for (const auto& [model, s] : models_) {
    out << "switchyard_model_client_aborts_total{model=\"" << model << "\"} " << s.client_aborts
        << "\n";
  }
  out << "# TYPE switchyard_model_fallbacks_total counter\n";
  for (const auto& [model, s] : models_) {
    out << "switchyard_model_fallbacks_total{model=\"" << model << "\"} " << s.fallbacks << "\n";
  }
  out << "# TYPE switchyard_model_request_seconds_total counter\n";
  for (const auto& [model, s] : models_) {
    out << "switchyard_model_request_seconds_total{model=\"" << model << "\"} "
        << s.seconds_total << "\n";
  }
  // The text format wants each family's samples together, so one pass per family.
  std::vector<std::pair<std::string, supervisor::ModelSnapshot>> snapshots;
  for (const auto& model : registry.models()) {
    snapshots.emplace_back(model->config().name, model->snapshot());
  }
  const auto family = [&](std::string_view name, std::string_view type, auto value) {
    out << "# TYPE " << name << " " << type << "\n";
    for (const auto& [model, snapshot] : snapshots) {
      out << name << "{model=\"" << model << "\"} " << value(snapshot) << "\n";
    }
  };
  using Snapshot = supervisor::ModelSnapshot;
  family("switchyard_model_ready", "gauge",
         [](const Snapshot& s) { return s.state == supervisor::ModelState::ready ? 1 : 0; });
  family("switchyard_model_restarts_total", "counter",
         [](const Snapshot& s) { return s.restarts; });
  family("switchyard_model_ejections_total", "counter",
         [](const Snapshot& s) { return s.ejections; });
  family("switchyard_model_unloads_total", "counter", [](const Snapshot& s) { return s.unloads; });
  family("switchyard_model_in_flight", "gauge", [](const Snapshot& s) { return s.in_flight; });
  family("switchyard_model_queued", "gauge", [](const Snapshot& s) { return s.queued; });
  return out.str();
}

}  // namespace switchyard::metrics
