#include "worker/openai/completion_request.hpp"

namespace switchyard::worker::openai {

CompletionRequest parse_completion_request(const json& body) {
  CompletionRequest request;
  const auto prompt = body.find("prompt");
  if (prompt == body.end() || prompt->is_null()) invalid("prompt", "'prompt' is required");
  if (prompt->is_string()) {
    request.prompts.push_back(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty()) {
    for (const json& item : *prompt) {
      if (!item.is_string()) invalid("prompt", "'prompt' must be a string or a list of strings");
      request.prompts.push_back(item.get<std::string>());
    }
  } else {
    invalid("prompt", "'prompt' must be a string or a non-empty list of strings");
  }
  request.echo = get_bool(body, "echo").value_or(false);
  request.params = parse_generation_params(body, {"max_tokens"});
  request.model = get_string(body, "model").value_or("");
  return request;
}

}  // namespace switchyard::worker::openai
