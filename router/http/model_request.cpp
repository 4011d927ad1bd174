#include "router/http/model_request.hpp"

#include <algorithm>

#include "common/http/multipart.hpp"

namespace switchyard::http {

namespace bhttp = boost::beast::http;

ModelRequest parse_model_request(const Request& request, const Route& route) {
  ModelRequest result;
  if (route.body == BodyKind::multipart) {
    std::string error;
    const auto parts =
        parse_multipart(request.body(), request[bhttp::field::content_type], &error);
    if (!parts) throw ApiError(ErrorKind::invalid_request, "malformed multipart body: " + error);
    const MultipartPart* model = find_part(*parts, "model");
    if (!model || model->data.empty()) {
      throw ApiError(ErrorKind::invalid_request, "the multipart form has no 'model' field",
                     "model");
    }
    result.model = std::string(model->data);
    return result;
  }
  result.body = nlohmann::json::parse(request.body(), nullptr, false);
  if (result.body.is_discarded()) {
    throw ApiError(ErrorKind::invalid_request,
                   request.body().empty() ? "the request body is empty; expected a JSON object"
                                          : "the request body is not valid JSON");
  }
  if (!result.body.is_object()) {
    throw ApiError(ErrorKind::invalid_request, "the request body must be a JSON object");
  }
  const auto model = result.body.find("model");
  if (model == result.body.end()) {
    throw ApiError(ErrorKind::invalid_request, "missing required parameter 'model'", "model");
  }
  if (!model->is_string() || model->get_ref<const std::string&>().empty()) {
    throw ApiError(ErrorKind::invalid_request, "'model' must be a non-empty string", "model");
  }
  result.model = model->get<std::string>();
  return result;
}

std::optional<ApiError> check_chat_inputs(const config::ModelConfig& model,
                                          const nlohmann::json& body) {
  const auto messages = body.find("messages");
  if (messages == body.end() || !messages->is_array()) return std::nullopt;
  const auto accepts = [&](config::Input input) {
    return std::find(model.inputs.begin(), model.inputs.end(), input) != model.inputs.end();
  };
  for (const auto& message : *messages) {
    if (!message.is_object()) continue;
    const auto content = message.find("content");
    if (content == message.end() || !content->is_array()) continue;
    for (const auto& part : *content) {
      if (!part.is_object()) continue;
      const auto type = part.find("type");
      if (type == part.end() || !type->is_string()) continue;
      std::optional<config::Input> needs;
      if (*type == "image_url") needs = config::Input::image;
      if (*type == "input_audio") needs = config::Input::audio;
      if (needs && !accepts(*needs)) {
        std::string accepted;
        for (auto input : model.inputs) {
          accepted += (accepted.empty() ? "" : ", ") + std::string(config::to_string(input));
        }
        return ApiError(ErrorKind::invalid_request,
                        "model '" + model.name + "' does not accept " +
                            std::string(config::to_string(*needs)) + " input; it accepts: " +
                            accepted,
                        "messages", "unsupported_input");
      }
    }
  }
  return std::nullopt;
}

}  // namespace switchyard::http
