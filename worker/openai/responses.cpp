#include "worker/openai/responses.hpp"

#include <bit>
#include <cstring>
#include <random>

namespace switchyard::worker::openai {
namespace {

json object_base(const ResponseMeta& meta, std::string_view object) {
  return json{{"id", meta.id},
              {"object", object},
              {"created", meta.created},
              {"model", meta.model},
              {"system_fingerprint", nullptr}};
}

json finish_json(const std::optional<std::string>& reason) {
  return reason ? json(*reason) : json(nullptr);
}

}  // namespace

json usage_json(const Usage& usage) {
  return json{{"prompt_tokens", usage.prompt_tokens},
              {"completion_tokens", usage.completion_tokens},
              {"total_tokens", usage.prompt_tokens + usage.completion_tokens}};
}

json chat_completion(const ResponseMeta& meta, const std::vector<Choice>& choices,
                     const Usage& usage) {
  json out = object_base(meta, "chat.completion");
  json list = json::array();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    list.push_back({{"index", i},
                    {"message", {{"role", "assistant"}, {"content", choices[i].text}}},
                    {"logprobs", nullptr},
                    {"finish_reason", choices[i].finish_reason}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

json chat_chunk(const ResponseMeta& meta, std::size_t index, json delta,
                const std::optional<std::string>& finish_reason, bool include_usage) {
  json out = object_base(meta, "chat.completion.chunk");
  out["choices"] = json::array({{{"index", index},
                                 {"delta", std::move(delta)},
                                 {"logprobs", nullptr},
                                 {"finish_reason", finish_json(finish_reason)}}});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

json chat_usage_chunk(const ResponseMeta& meta, const Usage& usage) {
  json out = object_base(meta, "chat.completion.chunk");
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

json text_completion(const ResponseMeta& meta, const std::vector<Choice>& choices,
                     const Usage& usage) {
  json out = object_base(meta, "text_completion");
  json list = json::array();
  for (std::size_t i = 0; i < choices.size(); ++i) {
    list.push_back({{"index", i},
                    {"text", choices[i].text},
                    {"logprobs", nullptr},
                    {"finish_reason", choices[i].finish_reason}});
  }
  out["choices"] = std::move(list);
  out["usage"] = usage_json(usage);
  return out;
}

json completion_chunk(const ResponseMeta& meta, std::size_t index, std::string_view text,
                      const std::optional<std::string>& finish_reason, bool include_usage) {
  json out = object_base(meta, "text_completion");
  out["choices"] = json::array({{{"index", index},
                                 {"text", text},
                                 {"logprobs", nullptr},
                                 {"finish_reason", finish_json(finish_reason)}}});
  if (include_usage) out["usage"] = nullptr;
  return out;
}

json completion_usage_chunk(const ResponseMeta& meta, const Usage& usage) {
  json out = object_base(meta, "text_completion");
  out["choices"] = json::array();
  out["usage"] = usage_json(usage);
  return out;
}

std::string base64_floats(std::span<const float> values) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string bytes(values.size() * sizeof(float), '\0');
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::uint32_t bits = std::bit_cast<std::uint32_t>(values[i]);
    for (std::size_t b = 0; b < 4; ++b) {  // little-endian whatever the host order
      bytes[i * 4 + b] = static_cast<char>((bits >> (8 * b)) & 0xff);
    }
  }
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t group = 0;
    for (std::size_t k = 0; k < 3; ++k) {
      group = (group << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    }
    for (std::size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

json embedding_list(std::string_view model, const std::vector<std::vector<float>>& vectors,
                    bool base64, std::int64_t prompt_tokens) {
  json data = json::array();
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    data.push_back({{"object", "embedding"},
                    {"index", i},
                    {"embedding", base64 ? json(base64_floats(vectors[i])) : json(vectors[i])}});
  }
  return json{{"object", "list"},
              {"data", std::move(data)},
              {"model", model},
              {"usage", {{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}}};
}

json model_list(std::string_view id, std::int64_t created, std::string_view engine) {
  return json{{"object", "list"},
              {"data", json::array({{{"id", id},
                                     {"object", "model"},
                                     {"created", created},
                                     {"owned_by", "switchyard"},
                                     {"engine", engine}}})}};
}

std::string new_response_id(std::string_view prefix) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  thread_local std::mt19937_64 gen{std::random_device{}()};
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kChars) - 2);
  std::string id(prefix);
  for (int i = 0; i < 24; ++i) id += kChars[pick(gen)];
  return id;
}

}  // namespace switchyard::worker::openai
