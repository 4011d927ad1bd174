#include "router/config/reload_plan.hpp"

#include "router/config/address.hpp"
#include "router/config/units.hpp"

namespace switchyard::config {
namespace {

constexpr std::string_view kNeedsRestart = "; restart switchyard to apply it";

void note_change(std::vector<std::string>& notes, std::string_view key, const std::string& from,
                 const std::string& to) {
  if (from == to) return;
  notes.push_back(std::string(key) + " changed from " + from + " to " + to +
                  std::string(kNeedsRestart));
}

// Listeners, sockets and buffers are set up once at start; the keys and the allowed hosts and
// origins are read per request and so apply live, which is why they are not compared here.
std::vector<std::string> global_changes(const Config& live, const Config& next) {
  std::vector<std::string> notes;
  note_change(notes, "listen", format_endpoint(live.listen), format_endpoint(next.listen));
  note_change(notes, "admin_listen", format_endpoint(live.admin_listen),
              format_endpoint(next.admin_listen));
  note_change(notes, "runtime_dir", live.runtime_dir, next.runtime_dir);
  note_change(notes, "worker_binary", live.worker_binary, next.worker_binary);

  const Limits& a = live.limits;
  const Limits& b = next.limits;
  note_change(notes, "limits.max_connections", std::to_string(a.max_connections),
              std::to_string(b.max_connections));
  note_change(notes, "limits.max_header_bytes", format_size(a.max_header_bytes),
              format_size(b.max_header_bytes));
  note_change(notes, "limits.max_body_bytes.text", format_size(a.max_body_bytes.text),
              format_size(b.max_body_bytes.text));
  note_change(notes, "limits.max_body_bytes.image", format_size(a.max_body_bytes.image),
              format_size(b.max_body_bytes.image));
  note_change(notes, "limits.max_body_bytes.audio", format_size(a.max_body_bytes.audio),
              format_size(b.max_body_bytes.audio));
  note_change(notes, "limits.header_timeout", format_duration(a.header_timeout),
              format_duration(b.header_timeout));
  note_change(notes, "limits.idle_timeout", format_duration(a.idle_timeout),
              format_duration(b.idle_timeout));
  note_change(notes, "limits.stream_idle_timeout", format_duration(a.stream_idle_timeout),
              format_duration(b.stream_idle_timeout));
  note_change(notes, "limits.drain_timeout", format_duration(a.drain_timeout),
              format_duration(b.drain_timeout));
  return notes;
}

}  // namespace

ReloadPlan plan_reload(const Config& live, const Config& next) {
  ReloadPlan plan;
  for (const ModelConfig& model : next.models) {
    const ModelConfig* running = live.find_model(model.name);
    if (running == nullptr) {
      plan.added.push_back(model.name);
    } else if (running->same_settings(model)) {
      plan.unchanged.push_back(model.name);
    } else if (running->same_worker(model)) {
      plan.updated.push_back(model.name);
    } else {
      plan.changed.push_back(model.name);
    }
  }
  for (const ModelConfig& model : live.models) {
    if (next.find_model(model.name) == nullptr) plan.removed.push_back(model.name);
  }
  plan.ignored_global_changes = global_changes(live, next);
  return plan;
}

}  // namespace switchyard::config
