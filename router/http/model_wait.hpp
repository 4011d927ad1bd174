// Waiting for the model a request names: until its worker is ready and has a max_in_flight slot
// for the request, or until the model cannot take it in time (503).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "common/openai_error.hpp"
#include "router/proxy/client_watch.hpp"
#include "router/registry/registry.hpp"

namespace switchyard::http {

// Waits until `model` may be sent the request: ready, with a max_in_flight slot free and no
// request that came earlier still waiting for one. Returns the model to send it to (a reload
// may have replaced it) or nullptr when the client left meanwhile. Throws the 503 when the model
// will not take it: failed, out of service, stopped, or still not ready or busy at `deadline`,
// and the 404 when a reload removed it meanwhile.
// The caller sends the request at once: no other coroutine runs between this one's return and
// the caller's request_started(), so the slot stays free for it.
boost::asio::awaitable<registry::SupervisorPtr> wait_to_send(
    registry::SupervisorPtr model, const std::string& request_id,
    std::chrono::steady_clock::time_point deadline, const registry::Registry& registry,
    proxy::ClientWatch& watch);

}  // namespace switchyard::http
