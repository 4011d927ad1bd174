// What a reload has to do: a pure comparison of the live config and the new one.
#pragma once

#include <string>
#include <vector>

#include "router/config/config.hpp"

namespace switchyard::config {

struct ReloadPlan {
  std::vector<std::string> added;      // start these
  std::vector<std::string> removed;    // drain, then stop these
  std::vector<std::string> changed;    // restart these with their new settings
  // Only settings read per request changed (see ModelConfig::same_worker): the running model
  // takes them, same pid.
  std::vector<std::string> updated;
  std::vector<std::string> unchanged;  // leave running, same pid
  // Settings that need a daemon restart to take effect (listen addresses, runtime_dir...).
  std::vector<std::string> ignored_global_changes;
};

ReloadPlan plan_reload(const Config& live, const Config& next);

}  // namespace switchyard::config
