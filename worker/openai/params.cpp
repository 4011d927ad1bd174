#include "worker/openai/params.hpp"

#include <cmath>
#include <limits>

namespace switchyard::worker::openai {
namespace {

const json* find(const json& body, std::string_view key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return nullptr;
  return &*it;
}

std::string quoted(std::string_view key) {
  std::string out(1, '\'');
  out.append(key);
  out += '\'';
  return out;
}

std::vector<std::string> parse_stop(const json& body) {
  const json* value = find(body, "stop");
  if (value == nullptr) return {};
  std::vector<std::string> stops;
  if (value->is_string()) {
    stops.push_back(value->get<std::string>());
  } else if (value->is_array()) {
    for (const json& item : *value) {
      if (!item.is_string()) invalid("stop", "'stop' must be a string or a list of strings");
      stops.push_back(item.get<std::string>());
    }
  } else {
    invalid("stop", "'stop' must be a string or a list of strings");
  }
  std::erase_if(stops, [](const std::string& s) { return s.empty(); });
  return stops;
}

std::optional<std::vector<LoraChoice>> parse_lora(const json& body) {
  const json* value = find(body, "lora");
  if (value == nullptr) return std::nullopt;
  std::vector<LoraChoice> choices;
  if (value->is_string()) {
    choices.push_back({value->get<std::string>(), std::nullopt, std::nullopt});
    return choices;
  }
  if (!value->is_array()) {
    invalid("lora", "'lora' must be an adapter name or a list of {name, scale} objects");
  }
  for (const json& item : *value) {
    if (item.is_string()) {
      choices.push_back({item.get<std::string>(), std::nullopt, std::nullopt});
      continue;
    }
    if (!item.is_object()) invalid("lora", "each 'lora' entry must be a name or an object");
    LoraChoice choice;
    choice.name = get_string(item, "name");
    choice.id = get_integer(item, "id", 0, std::numeric_limits<int>::max());
    if (auto scale = get_number(item, "scale", -100.0, 100.0)) {
      choice.scale = static_cast<float>(*scale);
    }
    if (!choice.name && !choice.id) invalid("lora", "each 'lora' entry needs a 'name' or an 'id'");
    choices.push_back(std::move(choice));
  }
  return choices;
}

bool parse_json_object(const json& body) {
  const json* format = find(body, "response_format");
  if (format == nullptr) return false;
  if (!format->is_object()) invalid("response_format", "'response_format' must be an object");
  const auto type = get_string(*format, "type");
  if (!type || *type == "text") return false;
  if (*type == "json_object") return true;
  invalid("response_format",
          "response_format type '" + *type + "' is not supported; use 'text' or 'json_object'");
}

}  // namespace

json parse_body(std::string_view body) {
  json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    throw ApiError(ErrorKind::invalid_request, "the request body is not valid JSON");
  }
  if (!parsed.is_object()) {
    throw ApiError(ErrorKind::invalid_request, "the request body must be a JSON object");
  }
  return parsed;
}

void invalid(std::string_view param, std::string message) {
  throw ApiError(ErrorKind::invalid_request, std::move(message), std::string(param));
}

bool has(const json& body, std::string_view key) { return find(body, key) != nullptr; }

std::optional<std::string> get_string(const json& body, std::string_view key) {
  const json* value = find(body, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) invalid(key, quoted(key) + " must be a string");
  return value->get<std::string>();
}

std::optional<bool> get_bool(const json& body, std::string_view key) {
  const json* value = find(body, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) invalid(key, quoted(key) + " must be a boolean");
  return value->get<bool>();
}

std::optional<double> get_number(const json& body, std::string_view key, double min, double max) {
  const json* value = find(body, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) invalid(key, quoted(key) + " must be a number");
  const double number = value->get<double>();
  if (!std::isfinite(number) || number < min || number > max) {
    invalid(key, quoted(key) + " must be between " + json(min).dump() + " and " + json(max).dump());
  }
  return number;
}

std::optional<std::int64_t> get_integer(const json& body, std::string_view key, std::int64_t min,
                                        std::int64_t max) {
  const json* value = find(body, key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer()) invalid(key, quoted(key) + " must be an integer");
  const std::int64_t number = value->get<std::int64_t>();
  if (number < min || number > max) {
    invalid(key, quoted(key) + " must be between " + std::to_string(min) + " and " +
                     std::to_string(max));
  }
  return number;
}

GenerationParams parse_generation_params(const json& body,
                                         const std::vector<std::string_view>& max_tokens_keys) {
  GenerationParams p;
  constexpr std::int64_t kIntMax = std::numeric_limits<std::int32_t>::max();
  for (std::string_view key : max_tokens_keys) {
    if (auto value = get_integer(body, key, 1, kIntMax)) {
      p.max_tokens = value;
      break;
    }
  }
  if (auto v = get_number(body, "temperature", 0.0, 2.0)) p.temperature = static_cast<float>(*v);
  if (auto v = get_number(body, "top_p", 0.0, 1.0)) p.top_p = static_cast<float>(*v);
  if (auto v = get_integer(body, "top_k", 0, kIntMax)) p.top_k = static_cast<std::int32_t>(*v);
  if (auto v = get_number(body, "min_p", 0.0, 1.0)) p.min_p = static_cast<float>(*v);
  if (auto v = get_integer(body, "seed", std::numeric_limits<std::int64_t>::min(),
                           std::numeric_limits<std::int64_t>::max())) {
    p.seed = static_cast<std::uint32_t>(*v);
  }
  p.stop = parse_stop(body);
  if (auto v = get_number(body, "presence_penalty", -2.0, 2.0)) {
    p.presence_penalty = static_cast<float>(*v);
  }
  if (auto v = get_number(body, "frequency_penalty", -2.0, 2.0)) {
    p.frequency_penalty = static_cast<float>(*v);
  }
  if (auto n = get_integer(body, "n", std::numeric_limits<std::int64_t>::min(), kIntMax);
      n && *n != 1) {
    invalid("n", "only n=1 is supported");
  }
  for (std::string_view key : {"logit_bias", "top_logprobs", "tools", "functions", "suffix"}) {
    const json* value = find(body, key);
    const bool empty = value == nullptr || (value->is_array() && value->empty()) ||
                       (value->is_object() && value->empty()) ||
                       (value->is_string() && value->get<std::string>().empty());
    if (!empty) invalid(key, quoted(key) + " is not supported by this model");
  }
  if (const json* logprobs = find(body, "logprobs");
      logprobs != nullptr && !(logprobs->is_boolean() && !logprobs->get<bool>())) {
    invalid("logprobs", "'logprobs' is not supported by this model");
  }
  if (auto best_of = get_integer(body, "best_of", 1, kIntMax); best_of && *best_of != 1) {
    invalid("best_of", "only best_of=1 is supported");
  }
  p.stream = get_bool(body, "stream").value_or(false);
  if (const json* options = find(body, "stream_options")) {
    if (!options->is_object()) invalid("stream_options", "'stream_options' must be an object");
    p.include_usage = get_bool(*options, "include_usage").value_or(false);
  }
  p.json_object = parse_json_object(body);
  p.ignore_eos = get_bool(body, "ignore_eos").value_or(false);
  p.lora = parse_lora(body);
  get_string(body, "model");  // checked for its type only; `user` is ignored
  return p;
}

}  // namespace switchyard::worker::openai
