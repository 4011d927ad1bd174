#include "common/http/request_reader.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <string>

#include "common/http/drained_read.hpp"
#include "common/http/socket_io.hpp"

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = beast::http;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kErrorWriteTimeout{10};

ReadResult refuse(ApiError error) {
  return ReadResult{ReadResult::Status::refused, {}, false, std::move(error)};
}

ReadResult refuse(ErrorKind kind, std::string message) {
  return refuse(ApiError(kind, std::move(message)));
}

ReadResult closed() { return ReadResult{}; }

ReadResult refuse_parse_error(const error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return refuse(ErrorKind::headers_too_large, "request header fields too large");
  }
  if (ec == bhttp::error::body_limit) {
    return refuse(ErrorKind::payload_too_large, "request body too large");
  }
  return refuse(ErrorKind::invalid_request, "malformed HTTP request: " + ec.message());
}

}  // namespace

std::optional<ApiError> check_framing(const RequestHeader& header) {
  std::size_t content_lengths = 0;
  std::size_t transfer_encodings = 0;
  std::size_t hosts = 0;
  std::string_view transfer_encoding;
  for (const auto& field : header) {
    switch (field.name()) {
      case bhttp::field::content_length: ++content_lengths; break;
      case bhttp::field::transfer_encoding:
        ++transfer_encodings;
        transfer_encoding = field.value();
        break;
      case bhttp::field::host: ++hosts; break;
      default: break;
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
    if (header.version() < 11) {
      return ApiError(ErrorKind::invalid_request, "Transfer-Encoding on an HTTP/1.0 request");
    }
    if (transfer_encodings > 1) {
      return ApiError(ErrorKind::invalid_request, "several Transfer-Encoding headers");
    }
    std::string value(transfer_encoding);
    boost::algorithm::trim(value);
    if (!boost::algorithm::iequals(value, "chunked")) {
      return ApiError(ErrorKind::invalid_request,
                      "unsupported Transfer-Encoding '" + value + "': only chunked is accepted");
    }
  }
  if (header.version() >= 11 && hosts == 0) {
    return ApiError(ErrorKind::invalid_request, "missing Host header");
  }
  if (hosts > 1) {
    return ApiError(ErrorKind::invalid_request, "several Host headers");
  }
  return std::nullopt;
}

namespace {

// What read_request does between reading the header and reading the body, out of the coroutine:
// GCC gives every local of a coroutine its own place in the frame, and a frame larger than the
// 1020 bytes Asio recycles costs a malloc and a free per request. Checks the framing and the body
// limit, and sets the limit on the parser; gives the reason to refuse the request, if any (on the
// heap, for the same reason).
std::unique_ptr<ApiError> check_header(bhttp::request_parser<bhttp::string_body>& parser,
                                       const ReadLimits& limits) {
  const RequestHeader& header = parser.get().base();
  if (auto error = check_framing(header)) return std::make_unique<ApiError>(std::move(*error));
  const std::uint64_t body_limit = limits.body_limit ? limits.body_limit(header) : (1u << 20);
  if (auto length = parser.content_length(); length && *length > body_limit) {
    return std::make_unique<ApiError>(
        ErrorKind::payload_too_large, "request body of " + std::to_string(*length) +
                                          " bytes exceeds the limit of " +
                                          std::to_string(body_limit) + " bytes");
  }
  parser.body_limit(body_limit);
  return nullptr;
}

// Tells a client that sent "Expect: 100-continue" to go on with the body; false when it left.
asio::awaitable<bool> send_continue(beast::tcp_stream& stream, unsigned version) {
  bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, version};
  auto [ec, n] = co_await bhttp::async_write(stream, go_on, kNoThrow);
  co_return !ec;
}

}  // namespace

asio::awaitable<ReadResult> read_request(beast::tcp_stream& stream, Deadline& deadline,
                                         beast::flat_buffer& buffer, const ReadLimits& limits,
                                         bool first) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.eager(false);
  // Beast checks Content-Length against its own 1 MiB default while reading the header; the real
  // limit depends on the header and is set once it is known (below).
  parser.body_limit(boost::none);
  // Whatever way this returns, the connection's deadline is not left running.
  struct Disarm {
    Deadline& deadline;
    ~Disarm() { deadline.expires_never(); }
  } disarm{deadline};

  // A new connection's header is due header_timeout after it opened. On a kept-alive one the
  // wait for the next request is idle time, not a slow client; its header_timeout starts with
  // its first byte.
  const bool waits_idle = !first && buffer.size() == 0;
  deadline.expires_after(waits_idle ? limits.idle_timeout : limits.header_timeout);
  if (buffer.size() == 0) {
    auto [ec, n] = co_await async_read_drained(stream.socket(), buffer.prepare(4096), kNoThrow);
    if (ec) co_return closed();
    buffer.commit(n);
    if (waits_idle) deadline.expires_after(limits.header_timeout);
  }

  // Beast's header_limit bounds only the fields not yet parsed by one put(): complete fields are
  // consumed as they arrive, so a header sent in pieces grows past it. Count the whole block.
  std::uint64_t header_bytes = 0;
  while (!parser.is_header_done()) {
    auto [ec, n] = co_await read_some(stream.socket(), buffer, parser);
    header_bytes += n;
    if (ec) {
      if (deadline.expired()) {
        co_return refuse(ErrorKind::request_timeout, "timed out reading the request header");
      }
      if (ec == bhttp::error::end_of_stream) co_return closed();
      co_return refuse_parse_error(ec);
    }
    if (header_bytes > limits.max_header_bytes) {
      co_return refuse(ErrorKind::headers_too_large, "request header fields too large");
    }
  }

  if (auto error = check_header(parser, limits)) co_return refuse(std::move(*error));
  if (!parser.is_done() &&
      boost::algorithm::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
    deadline.expires_after(limits.header_timeout);
    if (!co_await send_continue(stream, parser.get().version())) co_return closed();
  }

  while (!parser.is_done()) {
    deadline.expires_after(limits.body_timeout);
    auto [ec, n] = co_await read_some(stream.socket(), buffer, parser);
    if (ec) {
      if (deadline.expired()) {
        co_return refuse(ErrorKind::request_timeout, "timed out reading the request body");
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == bhttp::error::partial_message) {
        co_return closed();
      }
      co_return refuse_parse_error(ec);
    }
  }

  // The connection may now sit in a long stream: its read buffer is not kept for it meanwhile.
  if (limits.release_buffer && buffer.size() == 0) buffer.shrink_to_fit();
  const bool keep_alive = parser.keep_alive();
  co_return ReadResult{ReadResult::Status::request, parser.release(), keep_alive, std::nullopt};
}

asio::awaitable<void> write_error(beast::tcp_stream& stream, Deadline& deadline,
                                  const ApiError& error, bool close, unsigned version) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(error.status()),
                                               version};
  response.set(bhttp::field::content_type, "application/json");
  if (error.kind == ErrorKind::unauthorized) {
    response.set(bhttp::field::www_authenticate, "Bearer");
  }
  response.keep_alive(!close);
  response.body() = error.body();
  response.prepare_payload();
  deadline.expires_after(kErrorWriteTimeout);
  co_await bhttp::async_write(stream, response, kNoThrow);
  deadline.expires_never();
  if (close) {
    error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

}  // namespace switchyard::http
