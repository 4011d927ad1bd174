#include "router/config/params_reader.hpp"

#include <algorithm>
#include <array>

namespace switchyard::config {
namespace {

constexpr std::size_t kMaxParamName = 128;

// The name goes into a JSON key and a multipart field's `name="..."` as it is: printable ASCII
// without the quote and the backslash needs no escaping in either.
bool is_param_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxParamName &&
         std::all_of(name.begin(), name.end(),
                     [](char c) { return c > ' ' && c < 127 && c != '"' && c != '\\'; });
}

// Errors are labelled with where they are (`params.strip`...) by the reader.
bool check_param_name(YamlReader& r, const YAML::Node& node, std::string_view name) {
  if (name == "model") {
    r.error(node,
            "may not name 'model': the router routes by it; set upstream_model for the "
            "name the worker is sent");
    return false;
  }
  if (!is_param_name(name)) {
    r.error(node, "invalid field name '" + std::string(name) + "': use 1 to " +
                      std::to_string(kMaxParamName) +
                      " printable characters without blanks, quotes or backslashes");
    return false;
  }
  return true;
}

}  // namespace

void read_params(YamlReader& reader, const YAML::Node& node, RequestParams& params,
                 PlaceTable& places, const std::string& prefix, const std::string& owner) {
  const auto values_into = [&reader, &owner](nlohmann::json& values, std::string_view key) {
    return [&reader, &values, where = owner + " params." + std::string(key)](const YAML::Node& n) {
      reader.for_each_entry(
          n, where,
          [&](std::string_view name, const YAML::Node& name_node, const YAML::Node& value) {
            if (!check_param_name(reader, name_node, name)) return;
            if (auto converted = reader.json(value))
              values[std::string(name)] = std::move(*converted);
          });
    };
  };
  const std::array<YamlReader::Key, 3> keys{{
      {"defaults", values_into(params.defaults, "defaults")},
      {"overrides", values_into(params.overrides, "overrides")},
      {"strip",
       [&](const YAML::Node& n) {
         auto names = reader.string_list(n, places, prefix + "strip");
         if (!names) return;
         bool valid = true;
         for (std::size_t i = 0; i < names->size(); ++i) {
           valid = check_param_name(reader, n[i], (*names)[i]) && valid;
         }
         if (valid) params.strip = std::move(*names);
       }},
  }};
  reader.read_map(node, owner + " params", keys, places, prefix);
}

}  // namespace switchyard::config
