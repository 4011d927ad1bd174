// POST /v1/embeddings: `input` as a string, a list of strings, a list of token ids, or a list of
// token-id lists.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "worker/openai/params.hpp"

namespace switchyard::worker::openai {

using EmbeddingInput = std::variant<std::string, std::vector<std::int32_t>>;

struct EmbeddingRequest {
  std::string model;
  std::vector<EmbeddingInput> inputs;
  bool base64 = false;  // encoding_format: "base64" (little-endian float32) or "float"
};

EmbeddingRequest parse_embedding_request(const json& body);

}  // namespace switchyard::worker::openai
