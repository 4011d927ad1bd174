// Pure checks on a /v1 request before it is routed: which model it names, and whether its chat
// messages carry parts the model accepts.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/http/request_reader.hpp"
#include "router/config/config.hpp"
#include "router/http/routes.hpp"

namespace switchyard::http {

struct ModelRequest {
  std::string model;
  // The inputs that parts of chat messages (messages[].content[].type) need: image for
  // `image_url`, audio for `input_audio`. Empty for multipart requests.
  std::vector<config::Input> message_inputs;
};

// Throws ApiError (400) naming what is wrong: malformed JSON, bad multipart, no `model`. A JSON
// body is scanned, not built into a document: the router needs two facts of it, and every
// proxied request pays for the scan.
ModelRequest parse_model_request(const Request& request, const Route& route);

// For chat requests: 400 when a message has an image or audio part the model does not accept.
std::optional<ApiError> check_chat_inputs(const config::ModelConfig& model,
                                          const std::vector<config::Input>& message_inputs);

}  // namespace switchyard::http
