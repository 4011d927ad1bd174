// Reads a model's `params`: the body fields the router sets, fills in or strips before the
// worker sees a request.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "router/config/config.hpp"
#include "router/config/source_map.hpp"
#include "router/config/yaml_reader.hpp"

namespace switchyard::config {

// Reads `node` onto `params`: `defaults` and `overrides` merge key by key onto what `defaults:`
// set, `strip` replaces its list. A field name the router could not write into a body (blank,
// quoted, too long) is an error, and so is `model`, which belongs to `upstream_model`.
void read_params(YamlReader& reader, const YAML::Node& node, RequestParams& params,
                 PlaceTable& places, const std::string& prefix, const std::string& owner);

}  // namespace switchyard::config
