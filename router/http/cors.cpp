#include "router/http/cors.hpp"

#include "common/http/message_parser.hpp"
#include "common/http/request.hpp"
#include "common/openai_error.hpp"

namespace switchyard::http {

namespace {

// Long enough that a page's requests seldom wait for a preflight, short enough that a change
// to allowed_origins reaches open pages soon.
constexpr std::string_view kMaxAgeSeconds = "600";

// Besides Access-Control-Allow-Origin. A page cannot read a field unless it is exposed: the id
// to quote in a report, the wait before a retry.
constexpr std::pair<std::string_view, std::string_view> kAnswerFields[] = {
    {"Vary", "Origin"},
    {"Access-Control-Expose-Headers", "X-Request-Id, Retry-After"},
};

// RFC 9110 5.6.1: tokens separated by commas and optional whitespace; empty items are allowed.
bool is_field_name_list(std::string_view list) {
  bool names = true;
  for_each_element(list,
                   [&names](std::string_view element) { names = names && is_token(element); });
  return names;
}

}  // namespace

bool is_cors_field(std::string_view name) {
  constexpr std::string_view kPrefix = "access-control-";
  return name.size() > kPrefix.size() && is_named(name.substr(0, kPrefix.size()), kPrefix);
}

bool is_preflight(const Request& request) {
  return request.method() == boost::beast::http::verb::options &&
         !request[FieldName::origin].empty() &&
         !request[FieldName::access_control_request_method].empty();
}

void add_cors_fields(HeaderList& fields, const Request& request) {
  const std::string_view origin = request[FieldName::origin];
  if (origin.empty()) return;
  fields.emplace_back("Access-Control-Allow-Origin", origin);
  for (const auto& [name, value] : kAnswerFields) fields.emplace_back(name, value);
}

void append_cors_lines(std::string& head, const Request& request) {
  const std::string_view origin = request[FieldName::origin];
  if (origin.empty()) return;
  head.append("Access-Control-Allow-Origin: ").append(origin).append("\r\n");
  for (const auto& [name, value] : kAnswerFields) {
    head.append(name).append(": ").append(value).append("\r\n");
  }
}

HeaderList preflight_fields(const Request& request) {
  const std::string_view asked = request[FieldName::access_control_request_headers];
  if (!is_field_name_list(asked)) {
    throw ApiError(ErrorKind::invalid_request,
                   "Access-Control-Request-Headers must be a comma-separated list of field names",
                   std::nullopt, "invalid_preflight");
  }
  HeaderList fields{
      {"Access-Control-Allow-Origin", std::string(request[FieldName::origin])},
      {"Access-Control-Allow-Methods", "GET, POST"},
      {"Access-Control-Max-Age", std::string(kMaxAgeSeconds)},
      {"Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"}};
  if (!asked.empty()) fields.emplace_back("Access-Control-Allow-Headers", asked);
  return fields;
}

}  // namespace switchyard::http
