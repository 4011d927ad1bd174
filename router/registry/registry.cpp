#include "router/registry/registry.hpp"

#include <algorithm>

namespace switchyard::registry {

SupervisorPtr Registry::find(std::string_view name_or_alias) const {
  const auto it = by_name_or_alias_.find(name_or_alias);
  return it == by_name_or_alias_.end() ? nullptr : it->second;
}

std::vector<std::string> Registry::names() const {
  std::vector<std::string> names;
  for (const auto& model : models_) names.push_back(model->config().name);
  return names;
}

void Registry::put(SupervisorPtr model) {
  const auto same_name = [&](const SupervisorPtr& m) {
    return m->config().name == model->config().name;
  };
  if (auto it = std::find_if(models_.begin(), models_.end(), same_name); it != models_.end()) {
    *it = std::move(model);
  } else {
    models_.push_back(std::move(model));
  }
  rebuild_index();
}

SupervisorPtr Registry::remove(std::string_view name) {
  const auto it = std::find_if(models_.begin(), models_.end(),
                               [&](const SupervisorPtr& m) { return m->config().name == name; });
  if (it == models_.end()) return nullptr;
  SupervisorPtr removed = *it;
  models_.erase(it);
  rebuild_index();
  return removed;
}

void Registry::update_request_settings(const config::ModelConfig& next) {
  if (const auto model = find(next.name)) model->update_request_settings(next);
  rebuild_index();
}

void Registry::reorder(const std::vector<std::string>& names) {
  std::vector<SupervisorPtr> ordered;
  for (const auto& name : names) {
    const auto named = [&](const SupervisorPtr& m) { return m && m->config().name == name; };
    if (auto it = std::find_if(models_.begin(), models_.end(), named); it != models_.end()) {
      ordered.push_back(std::move(*it));  // leaves null behind, so a repeated name finds nothing
    }
  }
  // Models not named keep their relative order after the named ones: the index still serves
  // them, so they must stay listed (and be shut down with the rest).
  for (auto& model : models_) {
    if (model) ordered.push_back(std::move(model));
  }
  models_ = std::move(ordered);
}

void Registry::rebuild_index() {
  by_name_or_alias_.clear();
  for (const auto& model : models_) {
    by_name_or_alias_.emplace(model->config().name, model);
    for (const auto& alias : model->config().aliases) by_name_or_alias_.emplace(alias, model);
  }
}

}  // namespace switchyard::registry
