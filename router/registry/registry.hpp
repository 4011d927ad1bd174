// Model names and aliases -> the supervisor that serves them. Replaced piecewise on reload.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "router/supervisor/supervisor.hpp"

namespace switchyard::registry {

using SupervisorPtr = std::shared_ptr<supervisor::Supervisor>;

class Registry {
 public:
  // By name or alias; nullptr when unknown.
  SupervisorPtr find(std::string_view name_or_alias) const;
  // In config file order.
  const std::vector<SupervisorPtr>& models() const { return models_; }
  std::vector<std::string> names() const;

  // Adds or replaces the model of the same name (keeping its place in the order).
  void put(SupervisorPtr model);
  SupervisorPtr remove(std::string_view name);
  // Gives the running model of `next`'s name the settings each request reads (a reload that
  // changed only those); its aliases are found by their new names at once.
  void update_request_settings(const config::ModelConfig& next);
  // Puts models in the order of `names`; unknown names are ignored, models not named follow.
  void reorder(const std::vector<std::string>& names);

 private:
  void rebuild_index();

  std::vector<SupervisorPtr> models_;
  std::map<std::string, SupervisorPtr, std::less<>> by_name_or_alias_;
};

}  // namespace switchyard::registry
