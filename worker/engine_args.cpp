#include "worker/engine_args.hpp"

#include <charconv>

namespace switchyard::worker {

const std::string* EngineArgs::find(const std::string& key) {
  read_.insert(key);
  const auto it = values_.find(key);
  return it == values_.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> EngineArgs::get_int(const std::string& key, std::int64_t min,
                                                std::int64_t max) {
  const std::string* text = find(key);
  if (text == nullptr) return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc{} || end != text->data() + text->size()) {
    throw ArgError("arg '" + key + "' must be an integer, got '" + *text + "'");
  }
  if (value < min || value > max) {
    throw ArgError("arg '" + key + "' must be between " + std::to_string(min) + " and " +
                   std::to_string(max) + ", got " + *text);
  }
  return value;
}

std::optional<bool> EngineArgs::get_bool(const std::string& key) {
  const std::string* text = find(key);
  if (text == nullptr) return std::nullopt;
  if (*text == "true" || *text == "1" || *text == "yes" || *text == "on") return true;
  if (*text == "false" || *text == "0" || *text == "no" || *text == "off") return false;
  throw ArgError("arg '" + key + "' must be true or false, got '" + *text + "'");
}

std::optional<std::string> EngineArgs::get_string(const std::string& key) {
  const std::string* text = find(key);
  if (text == nullptr) return std::nullopt;
  return *text;
}

std::optional<nlohmann::json> EngineArgs::get_json(const std::string& key) {
  const std::string* text = find(key);
  if (text == nullptr) return std::nullopt;
  auto parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw ArgError("arg '" + key + "' must be JSON, got '" + *text + "'");
  }
  return parsed;
}

void EngineArgs::reject_unknown(std::string_view engine,
                                const std::vector<std::string>& valid) const {
  for (const auto& [key, value] : values_) {
    if (read_.contains(key)) continue;
    std::string list;
    for (const auto& name : valid) list += (list.empty() ? "" : ", ") + name;
    throw ArgError("unknown arg '" + key + "' for engine '" + std::string(engine) +
                   "'; valid args: " + list);
  }
}

}  // namespace switchyard::worker
