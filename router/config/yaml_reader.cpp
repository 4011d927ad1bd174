#include "router/config/yaml_reader.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <utility>

#include "common/edit_distance.hpp"
#include "router/config/units.hpp"

namespace switchyard::config {
namespace {

// Keys further than this many edits from every known key get no "did you mean".
constexpr std::size_t kMaxSuggestionDistance = 2;

std::string_view kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "a string";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

std::string unknown_key_message(std::string_view key, std::string_view context,
                                std::span<const YamlReader::Key> keys) {
  std::string message = "unknown key '" + std::string(key) + "' in " + std::string(context);
  const auto closest =
      std::min_element(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
        return edit_distance(key, a.name) < edit_distance(key, b.name);
      });
  if (closest != keys.end() && edit_distance(key, closest->name) <= kMaxSuggestionDistance) {
    return message + "; did you mean '" + std::string(closest->name) + "'?";
  }
  message += "; expected one of: ";
  for (const auto& known : keys) {
    message += std::string(known.name) + (&known == &keys.back() ? "" : ", ");
  }
  return message;
}

// Plain (unquoted) scalars in `args` keep the type YAML would give them, so that
// `ctx_size: 4096` reaches the engine as a number. Only decimal forms: "0x10" stays a string.
nlohmann::json typed_plain_scalar(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  const char* begin = text.data();
  const char* end = text.data() + text.size();
  std::int64_t integer = 0;
  if (const auto [stop, error] = std::from_chars(begin, end, integer);
      error == std::errc{} && stop == end) {
    return integer;
  }
  const bool numeric_chars = std::all_of(begin, end, [](char c) {
    return (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+';
  });
  double real = 0;
  if (const auto [stop, error] = std::from_chars(begin, end, real);
      numeric_chars && error == std::errc{} && stop == end) {
    return real;
  }
  return text;
}

}  // namespace

Place place_of(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

YamlReader::YamlReader(Diagnostics& diagnostics, const EnvLookup& env)
    : diagnostics_(diagnostics), env_(env) {}

Place YamlReader::place(const YAML::Node& key, const YAML::Node& value) {
  return value.IsNull() ? place(key) : place(value);
}

Place YamlReader::value_place(const YAML::Node& node) const {
  return node.IsNull() ? key_place_ : place(node);
}

std::string YamlReader::labelled(std::string message) const {
  if (label_.empty()) return message;
  return label_ + ": " + message;
}

void YamlReader::error(const YAML::Node& node, std::string message) {
  diagnostics_.error(value_place(node), labelled(std::move(message)));
}

void YamlReader::warning(const YAML::Node& node, std::string message) {
  diagnostics_.warning(value_place(node), labelled(std::move(message)));
}

void YamlReader::for_each_entry(const YAML::Node& map, std::string_view context,
                                const EntryHandler& handle) {
  if (map.IsNull()) return;
  if (!map.IsMap()) {
    error(map, "expected a map, found " + std::string(kind(map)));
    return;
  }
  std::map<std::string, Place, std::less<>> seen;
  // yaml-cpp's iterators hand out entries by value; `it->first` would dangle.
  for (const auto& entry : map) {
    const YAML::Node& key_node = entry.first;
    if (!key_node.IsScalar()) {
      diagnostics_.error(place(key_node), "keys in " + std::string(context) + " must be strings");
      continue;
    }
    const std::string& key = key_node.Scalar();
    const auto [first, inserted] = seen.emplace(key, place(key_node));
    if (!inserted) {
      diagnostics_.error(place(key_node), "duplicate key '" + key + "' in " + std::string(context) +
                                              " (first at line " +
                                              std::to_string(first->second.line) + ")");
      continue;
    }
    handle(key, key_node, entry.second);
  }
}

void YamlReader::read_map(const YAML::Node& map, std::string_view context,
                          std::span<const Key> keys, PlaceTable& places, std::string_view prefix,
                          std::span<const Refused> refused) {
  for_each_entry(map, context,
                 [&](std::string_view name, const YAML::Node& key_node, const YAML::Node& value) {
                   const auto known = std::find_if(
                       keys.begin(), keys.end(), [&](const Key& key) { return key.name == name; });
                   if (known == keys.end()) {
                     const auto no = std::find_if(refused.begin(), refused.end(),
                                                  [&](const Refused& r) { return r.name == name; });
                     diagnostics_.error(place(key_node),
                                        no != refused.end()
                                            ? "'" + std::string(name) + "' is not allowed in " +
                                                  std::string(context) + ": " +
                                                  std::string(no->reason)
                                            : unknown_key_message(name, context, keys));
                     return;
                   }
                   const std::string path = std::string(prefix) + std::string(name);
                   places[path] = place(key_node, value);
                   // Nested maps call back in here; restore the outer label and place when they
                   // return.
                   std::string outer_label = std::exchange(label_, path);
                   const Place outer_place = std::exchange(key_place_, place(key_node));
                   known->read(value);
                   label_ = std::move(outer_label);
                   key_place_ = outer_place;
                 });
}

std::optional<std::string> YamlReader::string(const YAML::Node& node, Placeholders placeholders) {
  if (!node.IsScalar()) {
    error(node, "expected a string, found " + std::string(kind(node)));
    return std::nullopt;
  }
  Expansion expansion = expand_env(node.Scalar(), env_, placeholders);
  if (!expansion.ok()) {
    error(node, std::move(expansion.error));
    return std::nullopt;
  }
  return std::move(expansion.text);
}

std::optional<Duration> YamlReader::duration(const YAML::Node& node) {
  const auto text = string(node);
  if (!text) return std::nullopt;
  const auto value = parse_duration(*text);
  if (!value) {
    error(node, "invalid duration '" + *text +
                    "': expected a whole number followed by ms, s, m or h (e.g. 500ms, 10s, 5m)");
    return std::nullopt;
  }
  if (value->count() == 0) {
    error(node, "duration must be greater than 0, got '" + *text + "'");
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> YamlReader::size(const YAML::Node& node) {
  const auto text = string(node);
  if (!text) return std::nullopt;
  const auto value = parse_size(*text);
  if (!value) {
    error(node, "invalid size '" + *text +
                    "': expected a whole number of bytes, optionally followed by B, KiB, MiB, "
                    "GiB, KB, MB or GB (e.g. 16KiB)");
  }
  return value;
}

std::optional<int> YamlReader::integer(const YAML::Node& node, int min) {
  const auto text = string(node);
  if (!text) return std::nullopt;
  int value = 0;
  const char* end = text->data() + text->size();
  const auto [stop, parse_error] = std::from_chars(text->data(), end, value);
  if (parse_error != std::errc{} || stop != end) {
    error(node, "invalid number '" + *text + "': expected a whole number");
    return std::nullopt;
  }
  if (value < min) {
    error(node, "must be at least " + std::to_string(min) + ", got " + *text);
    return std::nullopt;
  }
  return value;
}

std::optional<bool> YamlReader::boolean(const YAML::Node& node) {
  const auto text = string(node);
  if (!text) return std::nullopt;
  // YAML 1.1's yes/no/on/off are refused: `on` meaning true surprises more than it helps.
  if (*text == "true") return true;
  if (*text == "false") return false;
  error(node, "expected true or false, got '" + *text + "'");
  return std::nullopt;
}

std::optional<std::vector<std::string>> YamlReader::string_list(const YAML::Node& node,
                                                                PlaceTable& places,
                                                                std::string_view prefix,
                                                                Placeholders placeholders) {
  std::vector<std::string> items;
  if (node.IsNull()) return items;
  if (!node.IsSequence()) {
    error(node, "expected a list of strings, found " + std::string(kind(node)));
    return std::nullopt;
  }
  bool ok = true;
  for (std::size_t i = 0; i < node.size(); ++i) {
    places[std::string(prefix) + "." + std::to_string(i)] = place(node[i]);
    auto item = string(node[i], placeholders);
    ok = ok && item.has_value();
    if (item) items.push_back(std::move(*item));
  }
  if (!ok) return std::nullopt;
  return items;
}

std::optional<nlohmann::json> YamlReader::json(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nlohmann::json(nullptr);
    case YAML::NodeType::Scalar: {
      const auto text = string(node);
      if (!text) return std::nullopt;
      // yaml-cpp tags plain scalars "?" and quoted ones "!": quoting is how YAML says "string".
      if (node.Tag() == "?") return typed_plain_scalar(*text);
      return nlohmann::json(*text);
    }
    case YAML::NodeType::Sequence: {
      auto array = nlohmann::json::array();
      bool ok = true;
      for (const YAML::Node& item : node) {
        auto value = json(item);
        ok = ok && value.has_value();
        if (value) array.push_back(std::move(*value));
      }
      if (!ok) return std::nullopt;
      return array;
    }
    case YAML::NodeType::Map: {
      auto object = nlohmann::json::object();
      bool ok = true;
      for_each_entry(node, label_,
                     [&](std::string_view key, const YAML::Node&, const YAML::Node& value) {
                       auto converted = json(value);
                       ok = ok && converted.has_value();
                       if (converted) object[std::string(key)] = std::move(*converted);
                     });
      if (!ok) return std::nullopt;
      return object;
    }
  }
  return std::nullopt;
}

}  // namespace switchyard::config
