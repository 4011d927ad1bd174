#include "worker/openai/chat_request.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace switchyard::worker::openai {
namespace {

constexpr std::array<std::string_view, 5> kRoles = {"system", "developer", "user", "assistant",
                                                    "tool"};

// "content" is a string, null (an assistant turn), or a list of text, image_url and input_audio
// parts, kept in order.
void parse_content(const json& message, std::size_t index, ChatMessage& out) {
  const std::string param = "messages[" + std::to_string(index) + "].content";
  const auto it = message.find("content");
  if (it == message.end() || it->is_null()) return;
  if (it->is_string()) {
    out.content = it->get<std::string>();
    return;
  }
  if (!it->is_array()) invalid(param, "'" + param + "' must be a string or a list of parts");
  bool first = true;
  for (std::size_t j = 0; j < it->size(); ++j) {
    const json& part = (*it)[j];
    const std::string part_param = param + "[" + std::to_string(j) + "]";
    if (!part.is_object() || !part.contains("type") || !part["type"].is_string()) {
      invalid(param, "each part of '" + param + "' must be an object with a 'type'");
    }
    const std::string& type = part["type"].get_ref<const std::string&>();
    if (!first) out.content += '\n';
    first = false;
    if (type == "text") {
      const auto part_text = get_string(part, "text");
      if (!part_text) invalid(param, "a text part of '" + param + "' needs 'text'");
      out.content += *part_text;
    } else if (type == "image_url") {
      out.media.push_back(parse_image_part(part, part_param));
      out.content += kMediaMarker;
    } else if (type == "input_audio") {
      out.media.push_back(parse_audio_part(part, part_param));
      out.content += kMediaMarker;
    } else {
      invalid(part_param + ".type", "content part type '" + type +
                                        "' is not supported (expected text, image_url or "
                                        "input_audio)");
    }
  }
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
    ChatMessage parsed{role_name, {}, {}};
    parse_content(message, i, parsed);
    request.messages.push_back(std::move(parsed));
  }
  request.params = parse_generation_params(body, {"max_completion_tokens", "max_tokens"});
  request.model = get_string(body, "model").value_or("");
  return request;
}

std::size_t ChatRequest::media_count(MediaKind kind) const {
  std::size_t n = 0;
  for (const auto& message : messages) {
    for (const auto& part : message.media) n += part.kind == kind ? 1 : 0;
  }
  return n;
}

void reject_media(const ChatRequest& request, MediaKind kind, std::string_view why) {
  for (const auto& message : request.messages) {
    for (const auto& part : message.media) {
      if (part.kind != kind) continue;
      invalid(part.param, "'" + part.param + "' is an " + std::string(to_string(kind)) +
                              " part, but " + std::string(why));
    }
  }
}

}  // namespace switchyard::worker::openai
