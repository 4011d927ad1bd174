#include "router/http/model_access.hpp"

#include <algorithm>

#include "common/http/bearer_auth.hpp"

namespace switchyard::http {

const config::KeyModels* key_models(const Request& request, const config::Config& config) {
  if (config.key_models.empty()) return nullptr;
  const auto it = config.key_models.find(bearer_token(request[FieldName::authorization]));
  return it == config.key_models.end() ? nullptr : &it->second;
}

bool may_use(const config::KeyModels* scope, const supervisor::Supervisor& model,
             const registry::Registry& registry) {
  if (scope == nullptr) return true;
  return std::any_of(scope->models.begin(), scope->models.end(),
                     [&](const std::string& name) { return registry.find(name).get() == &model; });
}

registry::SupervisorPtr find_model(const std::string& name, const config::KeyModels* scope,
                                   const registry::Registry& registry) {
  auto model = registry.find(name);
  if (model && may_use(scope, *model, registry)) return model;
  std::string known;
  for (const auto& n : scope ? scope->models : registry.names()) {
    known += (known.empty() ? "" : ", ") + n;
  }
  throw ApiError(
      ErrorKind::not_found,
      "model '" + name + "' does not exist" +
          (scope ? " or this API key may not use it; models for this key: " : "; known models: ") +
          (known.empty() ? "(none)" : known),
      "model", "model_not_found");
}

}  // namespace switchyard::http
