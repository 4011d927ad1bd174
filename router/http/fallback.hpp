// A model's fallbacks (its `fallbacks:` key, LiteLLM's `fallbacks`): the models, in order, that
// take a request it cannot, where the router would otherwise answer with its own 502, 503 or
// 504. Only the list of the model the client named is tried, never a fallback's own.
#pragma once

#include <cstddef>
#include <exception>

#include "common/http/request_reader.hpp"
#include "common/openai_error.hpp"
#include "router/http/routes.hpp"
#include "router/registry/registry.hpp"

namespace switchyard::http {

// One request's way down the list; made when its model first fails it.
struct FallbackState {
  registry::SupervisorPtr asked;     // the model the client named, whose list is tried
  std::exception_ptr asked_failure;  // what the client gets when no fallback can take it
  std::size_t next = 0;              // the next entry of the list to try
};

// `error` came from waiting for a model or from relaying to its worker, before any byte reached
// the client: true when another model may take the request instead (the router's own 502,
// 503 or 504: the model is down, busy, out of service, or its worker failed to answer).
bool another_model_may_take(const ApiError& error);

// The next of the asked model's fallbacks that can take `request`: one that still exists, serves
// `route` and, for a chat request, takes the inputs its messages carry. nullptr when the list is
// used up. (Its worker is sent the body named for it: see upstream_body.hpp.)
registry::SupervisorPtr next_fallback(FallbackState& state, const Request& request,
                                      const Route& route, const registry::Registry& registry);

}  // namespace switchyard::http
