#include "router/http/routes.hpp"

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
