// POST /v1/chat/completions: the request body as the engines need it. Content parts are text,
// `image_url` or `input_audio` (worker/openai/media.hpp); an engine that cannot take a media part
// refuses the request (reject_media()).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "worker/openai/media.hpp"
#include "worker/openai/params.hpp"

namespace switchyard::worker::openai {

// Where a media part stands in a message's content: the marker llama.cpp's mtmd splits prompts on
// (its default media marker).
inline constexpr std::string_view kMediaMarker = "<__media__>";

struct ChatMessage {
  std::string role;
  // Parts joined by '\n': text as it is, each media part as kMediaMarker; null content is "".
  std::string content;
  std::vector<MediaPart> media;  // in the order of their markers
};

struct ChatRequest {
  std::string model;
  std::vector<ChatMessage> messages;
  GenerationParams params;

  std::size_t media_count(MediaKind kind) const;
};

// Throws ApiError(invalid_request) naming the request's first media part of `kind`, with `why`
// completing the message ("... is an image part, but model 'x' has no projector ...").
void reject_media(const ChatRequest& request, MediaKind kind, std::string_view why);

ChatRequest parse_chat_request(const json& body);

}  // namespace switchyard::worker::openai
