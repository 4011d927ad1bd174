#include "router/proxy/upstream_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>

#include "common/sse.hpp"
#include "router/proxy/hop_by_hop.hpp"

namespace switchyard::proxy {

namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;
using namespace std::literals;

UpstreamParser::UpstreamParser(PassedFields& fields) : fields_(fields) {
  fields_.general.clear();
  fields_.caching.clear();
}

void UpstreamParser::on_request_impl(bhttp::verb, beast::string_view, beast::string_view, int,
                                     error_code&) {}

void UpstreamParser::on_response_impl(int code, beast::string_view reason, int version,
                                      error_code&) {
  status_ = static_cast<unsigned>(code);
  reason_.assign(reason);
  version_ = static_cast<unsigned>(version);
}

void UpstreamParser::on_field_impl(bhttp::field name, beast::string_view name_string,
                                   beast::string_view value, error_code&) {
  std::string* into = &fields_.general;
  switch (name) {
    case bhttp::field::content_length:  // the relay frames the body itself
      return;
    case bhttp::field::content_type:
      event_stream_ = beast::iequals(value.substr(0, sse::kContentType.size()), sse::kContentType);
      break;
    case bhttp::field::cache_control:
      into = &fields_.caching;
      break;
    case bhttp::field::unknown:
      // The request id is always the relay's.
      if (beast::iequals(name_string, "x-request-id")) return;
      if (beast::iequals(name_string, "x-accel-buffering")) into = &fields_.caching;
      break;
    default:
      if (is_hop_by_hop(name)) return;
      break;
  }
  into->append(name_string).append(": "sv).append(value).append("\r\n"sv);
}

void UpstreamParser::on_header_impl(error_code&) {}

void UpstreamParser::on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) {}

std::size_t UpstreamParser::on_body_impl(beast::string_view body, error_code& ec) {
  if (body_.data == nullptr) {
    ec = bhttp::error::need_buffer;
    return 0;
  }
  const std::size_t n = std::min(body.size(), body_.size);
  std::memcpy(body_.data, body.data(), n);
  body_.data += n;
  body_.size -= n;
  if (n < body.size()) ec = bhttp::error::need_buffer;
  return n;
}

void UpstreamParser::on_chunk_header_impl(std::uint64_t, beast::string_view, error_code&) {}

std::size_t UpstreamParser::on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                               error_code& ec) {
  return on_body_impl(body, ec);
}

void UpstreamParser::on_finish_impl(error_code&) {}

}  // namespace switchyard::proxy
