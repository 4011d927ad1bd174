// Pure checks on a /v1 request before it is routed: which model it names, and whether its chat
// messages carry parts the model accepts.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/http/request_reader.hpp"
#include "router/config/config.hpp"
#include "router/http/routes.hpp"

namespace switchyard::http {

struct ModelRequest {
  std::string model;
  nlohmann::json body;  // the parsed JSON body; null for multipart requests
};

// Throws ApiError (400) naming what is wrong: malformed JSON, bad multipart, no `model`.
ModelRequest parse_model_request(const Request& request, const Route& route);

// For chat requests: 400 when a message has an image or audio part the model does not accept.
std::optional<ApiError> check_chat_inputs(const config::ModelConfig& model,
                                          const nlohmann::json& body);

}  // namespace switchyard::http
