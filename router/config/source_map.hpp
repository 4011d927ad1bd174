// Where each setting was written, so that checks made after parsing (validate.hpp) can point
// at the line and column of the value they refuse.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "router/config/diagnostics.hpp"

namespace switchyard::config {

// Keys are dotted paths below the map they belong to: "limits.header_timeout", "health.path",
// "aliases.0" for the first item of a list.
using PlaceTable = std::map<std::string, Place, std::less<>>;

struct SourceMap {
  PlaceTable global;               // top-level settings; "defaults.<key>" for the defaults block
  std::vector<PlaceTable> models;  // parallel to Config::models; "name" is the model's key

  Place at(std::string_view key) const {
    const auto it = global.find(key);
    return it == global.end() ? Place{} : it->second;
  }

  bool model_sets(std::size_t model, std::string_view key) const {
    return models[model].contains(key);
  }

  // Where a model's effective value was written: the model itself, else `defaults`, else (the
  // built-in default) the model's name.
  Place model_at(std::size_t model, std::string_view key) const {
    const PlaceTable& own = models[model];
    if (const auto it = own.find(key); it != own.end()) return it->second;
    if (const auto it = global.find("defaults." + std::string(key)); it != global.end()) {
      return it->second;
    }
    const auto name = own.find("name");
    return name == own.end() ? Place{} : name->second;
  }
};

}  // namespace switchyard::config
