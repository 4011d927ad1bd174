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

// /upstream/{model}/{rest}: a model's own server past the OpenAI API (llama-server's web UI,
// /slots, /metrics), as llama-swap offers it.
constexpr std::string_view kUpstreamPrefix = "/upstream/";
struct UpstreamTarget {
  std::string_view model;   // a name or an alias, up to the next '/'
  std::string_view target;  // what the worker is asked for: "/{rest}" and the query
};
// For a target under kUpstreamPrefix (nullopt otherwise). Throws the 400 for one that names no
// model, or whose rest has a "." or ".." segment (also percent-encoded): the worker gets no path
// that climbs out of what it serves.
std::optional<UpstreamTarget> parse_upstream_target(std::string_view target);

}  // namespace switchyard::http
