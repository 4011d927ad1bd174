// Which model a request names, as its API key may see them: a key limited to some models
// (`api_keys: [{key, models}]`) is told of no other, as OpenAI answers a model an account has no
// access to: one it may not use is a 404 like one that does not exist.
#pragma once

#include <string>

#include "common/http/request_reader.hpp"
#include "common/openai_error.hpp"
#include "router/config/config.hpp"
#include "router/registry/registry.hpp"

namespace switchyard::http {

// The models the request's key is limited to; nullptr when it may use every model.
const config::KeyModels* key_models(const Request& request, const config::Config& config);

bool may_use(const config::KeyModels* scope, const supervisor::Supervisor& model,
             const registry::Registry& registry);

// The model `name` (a name or an alias) names, if the key limited to `scope` may use it; throws
// the 404 otherwise.
registry::SupervisorPtr find_model(const std::string& name, const config::KeyModels* scope,
                                   const registry::Registry& registry);

}  // namespace switchyard::http
