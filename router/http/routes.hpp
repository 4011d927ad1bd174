// Which model type each OpenAI endpoint serves, and the check that a request fits its model.
#pragma once

#include <optional>
#include <string_view>

#include "common/openai_error.hpp"
#include "router/config/config.hpp"

namespace switchyard::http {

enum class BodyKind { json, multipart };

struct Route {
  std::string_view path;
  config::ModelType type;
  BodyKind body;
};

// The POST endpoints that are forwarded to workers; nullopt for anything else.
std::optional<Route> find_route(std::string_view path);

// 400 when `model_type` does not serve `route`, naming both.
std::optional<ApiError> check_model_type(std::string_view model_name, config::ModelType model_type,
                                         const Route& route);

// Strips the query string: "/v1/x?a=b" -> "/v1/x".
std::string_view path_of(std::string_view target);

}  // namespace switchyard::http
