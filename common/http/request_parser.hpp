// Parses a client's HTTP/1.1 request into a Request, on the framing shared with the response
// parser (common/http/message_parser). Besides what that framing refuses, it refuses what makes a
// request's length ambiguous (request smuggling) with an answer naming the problem: see
// check_framing.
#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/http/message_parser.hpp"
#include "common/http/request.hpp"
#include "common/openai_error.hpp"

namespace switchyard::http {

// RFC 9112 framing checks: several Content-Length fields, Content-Length with
// Transfer-Encoding, a Transfer-Encoding other than one final `chunked`, Transfer-Encoding on
// HTTP/1.0, a missing Host on HTTP/1.1. Returns the error to answer, or nothing.
std::optional<ApiError> check_framing(const Request& request);

class RequestParser final : public MessageParser {
 public:
  // `header_limit` bounds the request line with the fields, however they arrive. The request
  // read goes into `request`, emptied first: a connection reads each of its requests into the
  // same one, so that what it allocated serves them all.
  RequestParser(std::size_t header_limit, Request& request)
      : MessageParser(header_limit, Unframed::empty), request_(request) {
    request_.clear();
  }

  // Body bytes past this fail put() with error::body_limit. No limit until one is set: the
  // reader sets it once the header is known.
  void body_limit(std::uint64_t limit) { body_limit_ = limit; }
  const Request& get() const { return request_; }
  // What to answer when put() refused the header for a reason of its own: its framing
  // (check_framing), or more than kMaxFields fields.
  const std::optional<ApiError>& refusal() const { return refusal_; }

  // Envoy's max_headers_count: a client that sends more is refused with 431. Each field costs
  // a Span and a scan by every lookup.
  static constexpr std::size_t kMaxFields = 100;

 private:
  void on_start_line(std::string_view line, boost::system::error_code& ec) override;
  void on_field(FieldName id, std::string_view line, std::string_view name, std::string_view value,
                boost::system::error_code& ec) override;
  void on_header(boost::system::error_code& ec) override;
  std::size_t on_body(std::string_view bytes, boost::system::error_code& ec) override;

  Request& request_;
  std::uint64_t body_limit_ = UINT64_MAX;
  std::optional<ApiError> refusal_;
};

}  // namespace switchyard::http
