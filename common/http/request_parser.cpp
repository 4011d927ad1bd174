#include "common/http/request_parser.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <string>

namespace switchyard::http {

using boost::system::error_code;
using error = boost::beast::http::error;
using namespace std::literals;

namespace {

// origin-form, absolute-form, authority-form or `*`: visible characters, and obs-text that some
// clients send unencoded; no spaces or controls.
bool is_target(std::string_view target) {
  bool valid = !target.empty();
  for (const char c : target) {
    const auto byte = static_cast<unsigned char>(c);
    valid &= byte > 0x20 && byte != 0x7f;
  }
  return valid;
}

}  // namespace

std::optional<ApiError> check_framing(const Request& request) {
  std::size_t content_lengths = 0;
  std::size_t transfer_encodings = 0;
  std::size_t hosts = 0;
  std::string_view transfer_encoding;
  for (const Request::Field& field : request.fields()) {
    switch (field.id) {
      case FieldName::content_length:
        ++content_lengths;
        break;
      case FieldName::transfer_encoding:
        ++transfer_encodings;
        transfer_encoding = field.value;
        break;
      case FieldName::host:
        ++hosts;
        break;
      default:
        break;
    }
  }
  if (content_lengths > 1) {
    return ApiError(ErrorKind::invalid_request, "several Content-Length headers");
  }
  if (transfer_encodings > 0) {
    if (content_lengths > 0) {
      return ApiError(ErrorKind::invalid_request,
                      "both Content-Length and Transfer-Encoding are present");
    }
    if (request.version() < 11) {
      return ApiError(ErrorKind::invalid_request, "Transfer-Encoding on an HTTP/1.0 request");
    }
    if (transfer_encodings > 1) {
      return ApiError(ErrorKind::invalid_request, "several Transfer-Encoding headers");
    }
    if (!boost::beast::iequals(transfer_encoding, "chunked")) {
      return ApiError(ErrorKind::invalid_request, "unsupported Transfer-Encoding '" +
                                                      std::string(transfer_encoding) +
                                                      "': only chunked is accepted");
    }
  }
  if (request.version() >= 11 && hosts == 0) {
    return ApiError(ErrorKind::invalid_request, "missing Host header");
  }
  if (hosts > 1) {
    return ApiError(ErrorKind::invalid_request, "several Host headers");
  }
  return std::nullopt;
}

void RequestParser::on_start_line(std::string_view line, error_code& ec) {
  // method SP request-target SP HTTP-version
  const std::size_t method_end = std::min(line.find(' '), line.size());
  const std::string_view method = line.substr(0, method_end);
  if (!is_token(method)) {
    ec = error::bad_method;
    return;
  }
  line.remove_prefix(std::min(method_end + 1, line.size()));
  const std::size_t target_end = std::min(line.find(' '), line.size());
  const std::string_view target = line.substr(0, target_end);
  if (!is_target(target)) {
    ec = error::bad_target;
    return;
  }
  const std::string_view version = line.substr(std::min(target_end + 1, line.size()));
  if (target_end == line.size() || version.size() != 8 || !version.starts_with("HTTP/1."sv) ||
      version[7] < '0' || version[7] > '9') {
    ec = error::bad_version;
    return;
  }
  const unsigned number = 10 + static_cast<unsigned>(version[7] - '0');
  set_version(number);
  request_.set_start_line(method, target, number);
}

void RequestParser::on_field(FieldName id, std::string_view line, std::string_view name,
                             std::string_view value, error_code& ec) {
  if (request_.field_count() == kMaxFields) {
    refusal_ = ApiError(ErrorKind::headers_too_large,
                        "more than " + std::to_string(kMaxFields) + " header fields");
    ec = error::header_limit;
    return;
  }
  request_.add_field(id, line, name, value);
}

void RequestParser::on_header(error_code& ec) {
  refusal_ = check_framing(request_);
  if (refusal_) ec = error::bad_transfer_encoding;
}

std::size_t RequestParser::on_body(std::string_view bytes, error_code& ec) {
  std::string& body = request_.body();
  if (bytes.size() > body_limit_ - body.size()) {
    ec = error::body_limit;
    return 0;
  }
  // Room for the whole body at once, but never more than the limit allows, nor more than a
  // large upload needs to start with: the length is the client's word (a fuzzed 33 TB one
  // reached reserve() when no limit had been set yet).
  constexpr std::uint64_t kMostReservedAtOnce = 64ull << 20;
  if (body.empty() && content_length()) {
    body.reserve(std::min({*content_length(), body_limit_, kMostReservedAtOnce}));
  }
  body.append(bytes);
  return bytes.size();
}

}  // namespace switchyard::http
