#include "router/supervisor/restart_policy.hpp"

#include <algorithm>

namespace switchyard::supervisor {

std::string_view to_string(EndKind kind) {
  switch (kind) {
    case EndKind::clean_exit: return "exited cleanly";
    case EndKind::failed_exit: return "exited with failure";
    case EndKind::unhealthy: return "failed its health checks";
    case EndKind::startup_timeout: return "did not become healthy within startup_timeout";
    case EndKind::spawn_failed: return "could not be started";
  }
  return "ended";
}

std::chrono::milliseconds backoff_delay(const config::RestartConfig& policy, int attempt,
                                        double jitter) {
  using std::chrono::milliseconds;
  const auto initial = std::max<milliseconds::rep>(policy.backoff_initial.count(), 1);
  const auto cap = std::max<milliseconds::rep>(policy.backoff_max.count(), initial);
  milliseconds::rep delay = initial;
  for (int i = 0; i < attempt && delay < cap; ++i) delay *= 2;
  delay = std::min(delay, cap);
  const double scale = 0.8 + 0.2 * std::clamp(jitter, 0.0, 1.0);
  return milliseconds(static_cast<milliseconds::rep>(static_cast<double>(delay) * scale));
}

RestartDecision decide_restart(const config::RestartConfig& policy, EndKind end,
                               std::chrono::milliseconds healthy_for, RestartHistory& history,
                               Clock::time_point now, double jitter) {
  RestartDecision decision;
  const bool failure = end != EndKind::clean_exit;

  // A run that stayed healthy long enough wipes the slate, as Kubernetes does after 10 min up.
  if (healthy_for >= policy.reset_after) {
    history.restarts.clear();
    history.consecutive_failures = 0;
  }

  if (policy.policy == config::RestartPolicy::never) {
    decision.reason = std::string("worker ") + std::string(to_string(end)) + "; restart policy is never";
    decision.give_up = failure;
    return decision;
  }
  if (policy.policy == config::RestartPolicy::on_failure && !failure) {
    decision.reason = "worker exited cleanly; restart policy is on-failure";
    return decision;
  }

  std::erase_if(history.restarts, [&](Clock::time_point t) { return now - t >= policy.window; });
  if (static_cast<int>(history.restarts.size()) >= policy.max_restarts) {
    decision.give_up = true;
    decision.reason = "worker " + std::string(to_string(end)) + " after " +
                      std::to_string(history.restarts.size()) + " restarts within " +
                      std::to_string(policy.window.count() / 1000) + "s; giving up";
    return decision;
  }

  decision.restart = true;
  decision.delay = backoff_delay(policy, failure ? history.consecutive_failures : 0, jitter);
  decision.reason = "worker " + std::string(to_string(end)) + "; restarting in " +
                    std::to_string(decision.delay.count()) + "ms";
  history.restarts.push_back(now);
  if (failure) ++history.consecutive_failures;
  return decision;
}

}  // namespace switchyard::supervisor
