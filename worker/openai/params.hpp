// Typed access to the fields of an OpenAI request body, and the sampling parameters shared by
// /v1/chat/completions and /v1/completions. Every function is pure: a field of the wrong type or
// out of range throws ApiError(invalid_request) naming the field as `param`.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/openai_error.hpp"

namespace switchyard::worker::openai {

using nlohmann::json;

// Parses a request body; anything but a JSON object is a 400.
json parse_body(std::string_view body);

[[noreturn]] void invalid(std::string_view param, std::string message);

// A field that is absent or null yields nothing; any other type than asked for is a 400.
std::optional<std::string> get_string(const json& body, std::string_view key);
std::optional<bool> get_bool(const json& body, std::string_view key);
std::optional<double> get_number(const json& body, std::string_view key, double min, double max);
std::optional<std::int64_t> get_integer(const json& body, std::string_view key, std::int64_t min,
                                        std::int64_t max);
// Present and not null.
bool has(const json& body, std::string_view key);

// A request may choose among the adapters loaded at start-up ("lora": "name" or
// [{"name": ..., "scale": ...}] or [{"id": N, "scale": ...}]).
struct LoraChoice {
  std::optional<std::string> name;
  std::optional<std::int64_t> id;
  std::optional<float> scale;  // absent: the adapter's configured scale
};

struct GenerationParams {
  std::optional<std::int64_t> max_tokens;  // absent: until end of generation or context
  float temperature = 0.8f;                // llama-server's defaults
  float top_p = 0.95f;
  // llama-server's extensions, with its defaults. top_k also keeps top-p and the final draw off
  // the full vocabulary: a top-p over a flat distribution of 32k+ tokens sorts them all.
  std::int32_t top_k = 40;  // 0: the whole vocabulary
  float min_p = 0.05f;      // 0: off
  std::optional<std::uint32_t> seed;
  std::vector<std::string> stop;
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;
  bool stream = false;
  bool include_usage = false;
  bool json_object = false;
  // llama-server's extension: end-of-generation tokens are never sampled, so generation runs to
  // max_tokens (or a stop string, or the context's end).
  bool ignore_eos = false;
  std::optional<std::vector<LoraChoice>> lora;
};

// Reads the fields shared by chat and text completions; `max_tokens_keys` lists the names the
// endpoint accepts for the token limit, the first found wins.
GenerationParams parse_generation_params(const json& body,
                                         const std::vector<std::string_view>& max_tokens_keys);

}  // namespace switchyard::worker::openai
