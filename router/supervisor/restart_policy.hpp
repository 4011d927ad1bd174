// Whether a worker that ended gets restarted, and after how long. Pure: the supervisor feeds in
// what happened and the clock, and gets a decision with its reason (systemd's
// service_shall_restart + service_restart_usec_next, Kubernetes' CrashLoopBackOff).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "router/config/config.hpp"

namespace switchyard::supervisor {

using Clock = std::chrono::steady_clock;

// How a run of the worker ended.
enum class EndKind {
  clean_exit,       // exit code 0
  failed_exit,      // non-zero code or a signal
  unhealthy,        // liveness probes failed failure_threshold times in a row
  startup_timeout,  // never became healthy within startup_timeout
  spawn_failed,     // could not be started at all
};
std::string_view to_string(EndKind kind);

// What the supervisor remembers between runs.
struct RestartHistory {
  std::vector<Clock::time_point> restarts;  // when each automatic restart was decided
  int consecutive_failures = 0;             // drives the backoff exponent
};

struct RestartDecision {
  bool restart = false;
  bool give_up = false;  // true: too many restarts in the window, the model goes to `failed`
  std::chrono::milliseconds delay{0};
  std::string reason;
};

// `healthy_for` is how long the run that ended had been ready (zero if never). `jitter` in
// [0, 1) spreads restarts of several workers apart; tests pass a fixed value.
RestartDecision decide_restart(const config::RestartConfig& policy, EndKind end,
                               std::chrono::milliseconds healthy_for, RestartHistory& history,
                               Clock::time_point now, double jitter);

// Backoff before restart number `attempt` (0-based): initial * 2^attempt, capped at max, then
// scaled by 0.8..1.0 from `jitter` so that it never exceeds the cap.
std::chrono::milliseconds backoff_delay(const config::RestartConfig& policy, int attempt,
                                        double jitter);

}  // namespace switchyard::supervisor
