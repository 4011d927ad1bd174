// POST /v1/chat/completions: the request body as the llama engine needs it.
#pragma once

#include <string>
#include <vector>

#include "worker/openai/params.hpp"

namespace switchyard::worker::openai {

struct ChatMessage {
  std::string role;
  std::string content;  // text parts joined; null content becomes ""
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  GenerationParams params;
};

ChatRequest parse_chat_request(const json& body);

}  // namespace switchyard::worker::openai
