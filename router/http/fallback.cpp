#include "router/http/fallback.hpp"

#include "router/http/model_request.hpp"

namespace switchyard::http {

bool another_model_may_take(const ApiError& error) {
  return error.kind == ErrorKind::bad_gateway || error.kind == ErrorKind::unavailable ||
         error.kind == ErrorKind::gateway_timeout;
}

registry::SupervisorPtr next_fallback(FallbackState& state, const Request& request,
                                      const Route& route, const registry::Registry& registry) {
  const std::vector<std::string>& fallbacks = state.asked->config().fallbacks;
  while (state.next < fallbacks.size()) {
    auto model = registry.find(fallbacks[state.next++]);
    // The list was checked against the models when it was loaded; a reload may have changed
    // them since.
    if (!model || model == state.asked) continue;
    const config::ModelConfig& config = model->config();
    if (check_model_type(config.name, config.type, route)) continue;
    const ModelRequest named = parse_model_request(request, route);
    if (route.path == "/v1/chat/completions" && check_chat_inputs(config, named.message_inputs)) {
      continue;
    }
    return model;
  }
  return nullptr;
}

}  // namespace switchyard::http
