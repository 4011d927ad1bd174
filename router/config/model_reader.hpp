// Reads the per-model settings, shared by `defaults:` and each entry of `models:`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>
#include <string_view>

#include "router/config/config.hpp"
#include "router/config/source_map.hpp"
#include "router/config/yaml_reader.hpp"

namespace switchyard::config {

// Reads `defaults:` onto `base` (which starts as the built-in defaults). Keys that only make
// sense for one model (engine, command, url, model, aliases) are refused there.
void read_model_defaults(YamlReader& reader, const YAML::Node& node, ModelConfig& base,
                         PlaceTable& places);

// Reads one entry of `models:` on top of a copy of `base`: maps (health, restart, env, args)
// override the sub-keys they name and keep the rest. Returns nullopt, the error reported, when
// it is not exactly one of engine/command/url. A model with some other refused value is still
// returned, so that validate() can check the rest of it; its refused fields keep the default.
// `places` receives where each setting was written, "name" being the model's key.
std::optional<ModelConfig> read_model(YamlReader& reader, std::string_view name,
                                      const YAML::Node& key, const YAML::Node& value,
                                      const ModelConfig& base, PlaceTable& places);

}  // namespace switchyard::config
