#include "router/http/routes.hpp"

#include <algorithm>
#include <array>
#include <string>

namespace switchyard::http {
namespace {

using config::ModelType;

constexpr std::array kRoutes{
    Route{"/v1/chat/completions", ModelType::text, BodyKind::json},
    Route{"/v1/completions", ModelType::text, BodyKind::json},
    Route{"/v1/embeddings", ModelType::text, BodyKind::json},
    Route{"/v1/images/generations", ModelType::image, BodyKind::json},
    Route{"/v1/images/edits", ModelType::image, BodyKind::multipart},
    Route{"/v1/images/variations", ModelType::image, BodyKind::multipart},
    Route{"/v1/audio/transcriptions", ModelType::audio, BodyKind::multipart},
    Route{"/v1/audio/translations", ModelType::audio, BodyKind::multipart},
    Route{"/v1/audio/speech", ModelType::audio, BodyKind::json},
};

std::string_view article(ModelType type) {
  return type == ModelType::text ? "a" : "an";  // a text, an image, an audio
}

}  // namespace

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

namespace {

bool is_dot_segment(std::string_view segment) {
  std::size_t dots = 0;
  while (!segment.empty()) {
    if (segment.front() == '.') {
      segment.remove_prefix(1);
    } else if (segment.size() >= 3 && segment[0] == '%' && segment[1] == '2' &&
               (segment[2] == 'e' || segment[2] == 'E')) {
      segment.remove_prefix(3);
    } else {
      return false;
    }
    ++dots;
  }
  return dots == 1 || dots == 2;
}

}  // namespace

std::optional<UpstreamTarget> parse_upstream_target(std::string_view target) {
  if (!target.starts_with(kUpstreamPrefix)) return std::nullopt;
  const std::string_view after = target.substr(kUpstreamPrefix.size());
  const std::size_t name_end = std::min(after.find('/'), after.find('?'));
  UpstreamTarget result;
  result.model = after.substr(0, name_end);
  if (result.model.empty()) {
    throw ApiError(ErrorKind::invalid_request,
                   "name a model after /upstream/: /upstream/{model}/{path}", std::nullopt,
                   "invalid_upstream_path");
  }
  if (name_end != std::string_view::npos && after[name_end] == '?') {
    throw ApiError(ErrorKind::invalid_request,
                   "put '/' between the model and the query: /upstream/{model}/?...", std::nullopt,
                   "invalid_upstream_path");
  }
  // Nothing after the name: the server's root.
  result.target = name_end == std::string_view::npos ? "/" : after.substr(name_end);
  std::string_view rest = path_of(result.target);
  while (!rest.empty()) {
    rest.remove_prefix(1);  // the '/'
    const std::size_t end = std::min(rest.find('/'), rest.size());
    if (is_dot_segment(rest.substr(0, end))) {
      throw ApiError(ErrorKind::invalid_request,
                     "the path after /upstream/{model} must not have '.' or '..' segments",
                     std::nullopt, "invalid_upstream_path");
    }
    rest.remove_prefix(end);
  }
  return result;
}

std::optional<Route> find_route(std::string_view path) {
  for (const auto& route : kRoutes) {
    if (route.path == path) return route;
  }
  return std::nullopt;
}

std::optional<ApiError> check_model_type(std::string_view model_name, ModelType model_type,
                                         const Route& route) {
  if (model_type == route.type) return std::nullopt;
  return ApiError(ErrorKind::invalid_request,
                  "model '" + std::string(model_name) + "' is " + std::string(article(model_type)) +
                      " " + std::string(config::to_string(model_type)) + " model; " +
                      std::string(route.path) + " serves " +
                      std::string(config::to_string(route.type)) + " models",
                  "model", "model_type_mismatch");
}

}  // namespace switchyard::http
