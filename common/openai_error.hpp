// The one place where an error becomes an HTTP status and an OpenAI-style JSON body:
// {"error": {"message", "type", "param", "code"}}. Router and worker both answer through it.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

namespace switchyard {

enum class ErrorKind {
  invalid_request,     // 400
  unauthorized,        // 401
  forbidden,           // 403
  not_found,           // 404
  method_not_allowed,  // 405
  request_timeout,     // 408
  payload_too_large,   // 413
  uri_too_long,        // 414
  headers_too_large,   // 431
  too_many_requests,   // 429
  internal,            // 500
  not_implemented,     // 501
  bad_gateway,         // 502
  unavailable,         // 503
  gateway_timeout,     // 504
};

int http_status(ErrorKind kind);
std::string_view error_type(ErrorKind kind);  // OpenAI's "type" field

struct ApiError : std::runtime_error {
  ApiError(ErrorKind kind, std::string message, std::optional<std::string> param = std::nullopt,
           std::optional<std::string> code = std::nullopt);
  ErrorKind kind;
  std::optional<std::string> param;
  std::optional<std::string> code;
  int retry_after_seconds = 0;  // sent as Retry-After when set (a 429 says when to come back)
  int status() const { return http_status(kind); }
  std::string body() const;  // serialized JSON
};

std::string error_body(ErrorKind kind, std::string_view message,
                       const std::optional<std::string>& param = std::nullopt,
                       const std::optional<std::string>& code = std::nullopt);

}  // namespace switchyard
