#include "router/proxy/upstream_parser.hpp"

#include <algorithm>
#include <boost/beast/http/error.hpp>
#include <cstring>

#include "common/sse.hpp"
#include "router/http/cors.hpp"
#include "router/proxy/hop_by_hop.hpp"

namespace switchyard::proxy {

using boost::system::error_code;
using error = boost::beast::http::error;
using http::FieldName;
using namespace std::literals;

UpstreamParser::UpstreamParser(PassedFields& fields)
    : MessageParser(kHeaderLimit, Unframed::until_close), fields_(fields) {
  fields_.general.clear();
  fields_.caching.clear();
}

void UpstreamParser::on_start_line(std::string_view line, error_code& ec) {
  // HTTP/1.x SP 3DIGIT SP reason-phrase; a missing reason with its space is tolerated.
  ec = error::bad_version;
  if (line.size() < 12 || !line.starts_with("HTTP/1."sv) || line[7] < '0' || line[7] > '9' ||
      line[8] != ' ') {
    return;
  }
  const auto code = http::parse_decimal(line.substr(9, 3));
  if (!code || *code < 100) return;
  if (line.size() > 12 && (line[12] != ' ' || !http::is_field_text(line.substr(13)))) return;
  set_version(10 + static_cast<unsigned>(line[7] - '0'));
  status_ = static_cast<unsigned>(*code);
  if (line.size() > 12) reason_.assign(line.substr(13));
  ec = {};
}

void UpstreamParser::on_field(FieldName id, std::string_view line, std::string_view name,
                              std::string_view value, error_code&) {
  std::string* into = &fields_.general;
  switch (id) {
    case FieldName::content_length:  // the relay frames the body itself
    case FieldName::x_request_id:    // always the relay's
      return;
    case FieldName::content_type:
      event_stream_ = http::is_named(value.substr(0, sse::kContentType.size()), sse::kContentType);
      break;
    case FieldName::cache_control:
    case FieldName::x_accel_buffering:
      into = &fields_.caching;
      break;
    default:
      // A worker's own CORS answer (llama-server sends one) must not widen the router's.
      if (is_hop_by_hop(id) || http::is_cors_field(name)) return;
      break;
  }
  into->append(line);  // as the worker wrote it
}

void UpstreamParser::on_header(error_code&) {
  if (ends_with_header(status_)) set_no_body();
}

std::size_t UpstreamParser::on_body(std::string_view bytes, error_code& ec) {
  if (body_.data == nullptr || body_.size == 0) {
    ec = error::need_buffer;
    return 0;
  }
  const std::size_t n = std::min(bytes.size(), body_.size);
  std::memcpy(body_.data, bytes.data(), n);
  body_.data += n;
  body_.size -= n;
  if (n < bytes.size()) ec = error::need_buffer;
  return n;
}

}  // namespace switchyard::proxy
