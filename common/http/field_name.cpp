#include "common/http/field_name.hpp"

namespace switchyard::http {

FieldName field_name(std::string_view name) {
  using enum FieldName;
  switch (name.size()) {
    case 2:
      if (is_named(name, "te")) return te;
      break;
    case 4:
      if (is_named(name, "host")) return host;
      break;
    case 6:
      if (is_named(name, "expect")) return expect;
      if (is_named(name, "origin")) return origin;
      break;
    case 7:
      if (is_named(name, "upgrade")) return upgrade;
      if (is_named(name, "trailer")) return trailer;
      break;
    case 10:
      if (is_named(name, "connection")) return connection;
      if (is_named(name, "keep-alive")) return keep_alive;
      break;
    case 12:
      if (is_named(name, "content-type")) return content_type;
      if (is_named(name, "x-request-id")) return x_request_id;
      break;
    case 13:
      if (is_named(name, "authorization")) return authorization;
      if (is_named(name, "cache-control")) return cache_control;
      break;
    case 14:
      if (is_named(name, "content-length")) return content_length;
      break;
    case 15:
      if (is_named(name, "x-forwarded-for")) return x_forwarded_for;
      break;
    case 16:
      if (is_named(name, "proxy-connection")) return proxy_connection;
      break;
    case 17:
      if (is_named(name, "transfer-encoding")) return transfer_encoding;
      if (is_named(name, "x-accel-buffering")) return x_accel_buffering;
      break;
    case 18:
      if (is_named(name, "proxy-authenticate")) return proxy_authenticate;
      break;
    case 19:
      if (is_named(name, "proxy-authorization")) return proxy_authorization;
      break;
    case 29:
      if (is_named(name, "access-control-request-method")) return access_control_request_method;
      break;
    case 30:
      if (is_named(name, "access-control-request-headers")) return access_control_request_headers;
      break;
    default:
      break;
  }
  return other;
}

}  // namespace switchyard::http
