#include "worker/openai/embedding_request.hpp"

#include <limits>

namespace switchyard::worker::openai {
namespace {

[[noreturn]] void bad_input() {
  invalid("input",
          "'input' must be a string, a list of strings, a list of token ids or a list of "
          "token-id lists, and not empty");
}

std::vector<std::int32_t> tokens(const json& list) {
  std::vector<std::int32_t> out;
  for (const json& item : list) {
    if (!item.is_number_integer()) bad_input();
    const auto id = item.get<std::int64_t>();
    if (id < 0 || id > std::numeric_limits<std::int32_t>::max()) bad_input();
    out.push_back(static_cast<std::int32_t>(id));
  }
  return out;
}

}  // namespace

EmbeddingRequest parse_embedding_request(const json& body) {
  EmbeddingRequest request;
  const auto input = body.find("input");
  if (input == body.end() || input->is_null()) invalid("input", "'input' is required");
  if (input->is_string()) {
    request.inputs.emplace_back(input->get<std::string>());
  } else if (input->is_array() && !input->empty()) {
    if ((*input)[0].is_number_integer()) {
      request.inputs.emplace_back(tokens(*input));
    } else {
      for (const json& item : *input) {
        if (item.is_string()) {
          request.inputs.emplace_back(item.get<std::string>());
        } else if (item.is_array() && !item.empty()) {
          request.inputs.emplace_back(tokens(item));
        } else {
          bad_input();
        }
      }
    }
  } else {
    bad_input();
  }
  const std::string format = get_string(body, "encoding_format").value_or("float");
  if (format != "float" && format != "base64") {
    invalid("encoding_format", "'encoding_format' must be 'float' or 'base64'");
  }
  request.base64 = format == "base64";
  if (has(body, "dimensions")) {
    invalid("dimensions", "'dimensions' is not supported: vectors have the model's size");
  }
  request.model = get_string(body, "model").value_or("");
  return request;
}

}  // namespace switchyard::worker::openai
