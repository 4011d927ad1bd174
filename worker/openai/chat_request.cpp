#include "worker/openai/chat_request.hpp"

#include <array>
#include <string_view>

namespace switchyard::worker::openai {
namespace {

constexpr std::array<std::string_view, 5> kRoles = {"system", "developer", "user", "assistant",
                                                    "tool"};

// "content" is a string, null (an assistant turn), or a list of parts of which only text ones
// can be rendered by a text model.
std::string parse_content(const json& message, std::size_t index) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  const auto it = message.find("content");
  if (it == message.end() || it->is_null()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) invalid(param, "'" + param + "' must be a string or a list of parts");
  std::string text;
  for (const json& part : *it) {
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      invalid(param, "each part of '" + param + "' must be an object with a 'type'");
    }
    if (part["type"] != "text") {
      invalid(param, "content part type '" + part["type"].get<std::string>() +
                         "' is not supported by a text model");
    }
    const auto part_text = get_string(part, "text");
    if (!part_text) invalid(param, "a text part of '" + param + "' needs 'text'");
    if (!text.empty()) text += '\n';
    text += *part_text;
  }
  return text;
}

}  // namespace

ChatRequest parse_chat_request(const json& body) {
  ChatRequest request;
  const auto messages = body.find("messages");
  if (messages == body.end() || messages->is_null()) {
    invalid("messages", "'messages' is required");
  }
  if (!messages->is_array() || messages->empty()) {
    invalid("messages", "'messages' must be a non-empty list");
  }
  for (std::size_t i = 0; i < messages->size(); ++i) {
    const json& message = (*messages)[i];
    const std::string param = "messages[" + std::to_string(i) + "]";
    if (!message.is_object()) invalid(param, "'" + param + "' must be an object");
    const auto role = message.find("role");
    if (role == message.end() || !role->is_string()) {
      invalid(param + ".role", "'" + param + ".role' must be a string");
    }
    const std::string role_name = role->get<std::string>();
    if (std::find(kRoles.begin(), kRoles.end(), role_name) == kRoles.end()) {
      invalid(param + ".role", "unknown role '" + role_name + "'");
    }
    request.messages.push_back({role_name, parse_content(message, i)});
  }
  request.params = parse_generation_params(body, {"max_completion_tokens", "max_tokens"});
  request.model = get_string(body, "model").value_or("");
  return request;
}

}  // namespace switchyard::worker::openai
