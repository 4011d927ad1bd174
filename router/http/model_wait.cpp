#include "router/http/model_wait.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "router/config/units.hpp"

namespace switchyard::http {

namespace asio = boost::asio;
using supervisor::ModelState;
using SteadyClock = std::chrono::steady_clock;

namespace {

// How often a request waiting for its model checks that its client is still there.
constexpr std::chrono::milliseconds kWaitPoll{250};

// Throws the 503 for a model that is not ready and will not be in time for this request:
// failed, out of service after failed requests, meant to stay down, or still not ready (or, when
// ready, still at max_in_flight) at `deadline`. A plain function: a coroutine's frame would keep
// room for every message's temporaries.
void refuse_unless_coming(const supervisor::Supervisor& model, ModelState state,
                          SteadyClock::time_point deadline) {
  const std::string& name = model.config().name;
  if (state == ModelState::failed) {
    // Why it failed (exit codes, paths, the worker's own words) is for the operator, on the
    // admin listener and in the log; a client only learns that it did.
    throw ApiError(
        ErrorKind::unavailable,
        "model '" + name + "' has failed and is not restarted; an operator can restart it", "model",
        "model_failed");
  }
  if (const auto until = model.ejected_until()) {
    const auto left = std::chrono::ceil<std::chrono::seconds>(*until - SteadyClock::now());
    throw ApiError(ErrorKind::unavailable,
                   "model '" + name + "' is out of service for " +
                       std::to_string(std::max<std::int64_t>(left.count(), 1)) +
                       "s more after requests in a row failed",
                   "model", "model_ejected");
  }
  // Only a model meant to stay down is refused at once: during a restart, and before the first
  // start, it passes through `stopping` and `stopped` on its way up.
  if (!model.wants_running()) {
    throw ApiError(ErrorKind::unavailable, "model '" + name + "' is stopped", "model",
                   "model_stopped");
  }
  if (SteadyClock::now() < deadline) return;
  const std::string waited =
      " after waiting " + config::format_duration(model.config().queue_timeout);
  if (state == ModelState::ready) {
    throw ApiError(
        ErrorKind::unavailable,
        "model '" + name + "' is busy: it takes " + std::to_string(model.config().max_in_flight) +
            " requests at once (max_in_flight) and earlier ones held every slot" + waited,
        "model", "model_busy");
  }
  throw ApiError(ErrorKind::unavailable,
                 "model '" + name + "' is not ready (" + std::string(supervisor::to_string(state)) +
                     ")" + waited,
                 "model", "model_not_ready");
}

}  // namespace

asio::awaitable<registry::SupervisorPtr> wait_to_send(registry::SupervisorPtr model,
                                                      const std::string& request_id,
                                                      SteadyClock::time_point deadline,
                                                      const registry::Registry& registry,
                                                      proxy::ClientWatch& watch) {
  const std::string name = model->config().name;
  supervisor::Supervisor::SlotTurn turn;
  for (;;) {
    if (model->may_send(&turn)) co_return model;
    turn.join(model);
    const ModelState state = model->state();
    // Not counted while it is ready and only busy (max_in_flight): a swap group would keep a
    // member in steady use loaded for ever.
    const supervisor::Supervisor::Waiting waiting(state == ModelState::ready ? nullptr
                                                                             : model.get());
    // The first request for a model that is down until asked for starts it; those that come
    // while it loads wait as for any start.
    if (model->starts_on_request()) {
      spdlog::info("request {}: starting model {}", request_id, name);
      model->start();
    }
    refuse_unless_coming(*model, state, deadline);
    if (watch.gone()) co_return nullptr;
    co_await model->state_changed().wait_until(std::min(deadline, SteadyClock::now() + kWaitPoll));
    // A reload may have replaced the model while this request waited.
    model = registry.find(name);
    if (!model) {
      throw ApiError(ErrorKind::not_found,
                     "model '" + name + "' was removed by a reload while this request waited",
                     "model", "model_not_found");
    }
  }
}

}  // namespace switchyard::http
