// Typed reads out of yaml-cpp nodes. Every problem becomes a Diagnostic at the node's place and
// the read returns nullopt, so that parsing goes on and one run reports all of them.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "router/config/config.hpp"
#include "router/config/diagnostics.hpp"
#include "router/config/env_expand.hpp"
#include "router/config/source_map.hpp"

namespace switchyard::config {

Place place_of(const YAML::Mark& mark);

class YamlReader {
 public:
  using EntryHandler = std::function<void(std::string_view key, const YAML::Node& key_node,
                                          const YAML::Node& value)>;
  using ValueHandler = std::function<void(const YAML::Node& value)>;

  // One known key of a map and what to do with its value.
  struct Key {
    std::string_view name;
    ValueHandler read;
  };
  // A key that exists elsewhere but is refused in this map, and why.
  struct Refused {
    std::string_view name;
    std::string_view reason;
  };

  YamlReader(Diagnostics& diagnostics, const EnvLookup& env);

  // The place of a map value; a null value (`key:` with nothing after it) carries the place of
  // the next token, so the key's place is used instead.
  static Place place(const YAML::Node& key, const YAML::Node& value);
  static Place place(const YAML::Node& node) { return place_of(node.Mark()); }

  Diagnostics& diagnostics() { return diagnostics_; }

  // Calls `handle` for each entry of `map` in file order. A null node is an empty map. Reports a
  // node that is not a map, non-string keys, and duplicate keys (the repeat is skipped: yaml-cpp
  // keeps both, and silently using one would hide a mistake). `context` names the map in
  // messages: "limits", "model 'x'".
  void for_each_entry(const YAML::Node& map, std::string_view context, const EntryHandler& handle);

  // for_each_entry over a fixed set of keys: each value's place is recorded in `places` under
  // `prefix` + key before its handler runs; any other key is an error listing the known ones.
  void read_map(const YAML::Node& map, std::string_view context, std::span<const Key> keys,
                PlaceTable& places, std::string_view prefix, std::span<const Refused> refused = {});

  std::optional<std::string> string(const YAML::Node& node,
                                    Placeholders placeholders = Placeholders::expand);
  std::optional<Duration> duration(const YAML::Node& node);  // > 0
  std::optional<std::uint64_t> size(const YAML::Node& node);
  std::optional<int> integer(const YAML::Node& node, int min);
  std::optional<bool> boolean(const YAML::Node& node);
  // A null node is an empty list. Items' places are recorded as "<prefix>.<index>".
  std::optional<std::vector<std::string>> string_list(
      const YAML::Node& node, PlaceTable& places, std::string_view prefix,
      Placeholders placeholders = Placeholders::expand);
  // Any YAML value. Quoted scalars stay strings; plain ones become numbers, booleans or null
  // when they read as such after expansion.
  std::optional<nlohmann::json> json(const YAML::Node& node);

  // Reports a problem with a value read through this reader, prefixed with the key being read.
  void error(const YAML::Node& node, std::string message);
  void warning(const YAML::Node& node, std::string message);

 private:
  Place value_place(const YAML::Node& node) const;
  std::string labelled(std::string message) const;

  Diagnostics& diagnostics_;
  const EnvLookup& env_;
  std::string label_;  // the key being read, prefixed to value errors: "health.interval: ..."
  Place key_place_;    // that key's place, for values too empty to carry their own
};

// Assigns a successfully read value; a failed read was already reported and leaves the default.
template <typename T, typename U>
void set(T& field, std::optional<U> value) {
  if (value) field = std::move(*value);
}

}  // namespace switchyard::config
