// OpenAI response objects as pure functions: chat.completion, chat.completion.chunk,
// text_completion (whole and streamed), embedding lists and the model list.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::openai {

using nlohmann::json;

struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
};

// What every object of one response shares.
struct ResponseMeta {
  std::string id;  // chatcmpl-... or cmpl-...
  std::int64_t created = 0;
  std::string model;
};

struct Choice {
  std::string text;
  std::string finish_reason;  // "stop" or "length"
};

json usage_json(const Usage& usage);

json chat_completion(const ResponseMeta& meta, const std::vector<Choice>& choices,
                     const Usage& usage);
// One streamed chat chunk; `delta` is {"role": "assistant"}, {"content": ...} or {}. With
// `include_usage` (the request's stream_options.include_usage) the chunk carries "usage": null, as
// OpenAI's do: only the final usage chunk has numbers, and clients may rely on the key's presence.
json chat_chunk(const ResponseMeta& meta, std::size_t index, json delta,
                const std::optional<std::string>& finish_reason, bool include_usage);
json chat_usage_chunk(const ResponseMeta& meta, const Usage& usage);

json text_completion(const ResponseMeta& meta, const std::vector<Choice>& choices,
                     const Usage& usage);
// As chat_chunk, for /v1/completions streams (echoed prompts included).
json completion_chunk(const ResponseMeta& meta, std::size_t index, std::string_view text,
                      const std::optional<std::string>& finish_reason, bool include_usage);
json completion_usage_chunk(const ResponseMeta& meta, const Usage& usage);

// Little-endian float32 bytes in base64, as OpenAI's encoding_format: "base64".
std::string base64_floats(std::span<const float> values);
json embedding_list(std::string_view model, const std::vector<std::vector<float>>& vectors,
                    bool base64, std::int64_t prompt_tokens);

json model_list(std::string_view id, std::int64_t created, std::string_view engine);

// A random id with the given prefix ("chatcmpl-", "cmpl-").
std::string new_response_id(std::string_view prefix);

}  // namespace switchyard::worker::openai
