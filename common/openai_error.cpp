#include "common/openai_error.hpp"

#include <nlohmann/json.hpp>

namespace switchyard {

int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request: return 400;
    case ErrorKind::unauthorized: return 401;
    case ErrorKind::forbidden: return 403;
    case ErrorKind::not_found: return 404;
    case ErrorKind::method_not_allowed: return 405;
    case ErrorKind::request_timeout: return 408;
    case ErrorKind::payload_too_large: return 413;
    case ErrorKind::uri_too_long: return 414;
    case ErrorKind::headers_too_large: return 431;
    case ErrorKind::too_many_requests: return 429;
    case ErrorKind::internal: return 500;
    case ErrorKind::not_implemented: return 501;
    case ErrorKind::bad_gateway: return 502;
    case ErrorKind::unavailable: return 503;
    case ErrorKind::gateway_timeout: return 504;
  }
  return 500;
}

std::string_view error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_request:
    case ErrorKind::not_found:
    case ErrorKind::method_not_allowed:
    case ErrorKind::request_timeout:
    case ErrorKind::payload_too_large:
    case ErrorKind::uri_too_long:
    case ErrorKind::headers_too_large:
      return "invalid_request_error";
    case ErrorKind::unauthorized:
      return "authentication_error";
    case ErrorKind::forbidden:
      return "permission_error";
    case ErrorKind::too_many_requests:
      return "rate_limit_error";
    case ErrorKind::not_implemented:
      return "not_implemented_error";
    case ErrorKind::unavailable:
    case ErrorKind::gateway_timeout:
    case ErrorKind::bad_gateway:
      return "service_unavailable_error";
    case ErrorKind::internal:
      return "server_error";
  }
  return "server_error";
}

ApiError::ApiError(ErrorKind kind_in, std::string message, std::optional<std::string> param_in,
                   std::optional<std::string> code_in)
    : std::runtime_error(std::move(message)),
      kind(kind_in),
      param(std::move(param_in)),
      code(std::move(code_in)) {}

std::string ApiError::body() const { return error_body(kind, what(), param, code); }

std::string error_body(ErrorKind kind, std::string_view message,
                       const std::optional<std::string>& param,
                       const std::optional<std::string>& code) {
  nlohmann::json error = {
      {"message", message},
      {"type", error_type(kind)},
      {"param", param ? nlohmann::json(*param) : nlohmann::json(nullptr)},
      {"code", code ? nlohmann::json(*code) : nlohmann::json(nullptr)},
  };
  return nlohmann::json{{"error", std::move(error)}}.dump(-1, ' ', false,
                                                          nlohmann::json::error_handler_t::replace);
}

}  // namespace switchyard
