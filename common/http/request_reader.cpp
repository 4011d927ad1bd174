#include "common/http/request_reader.hpp"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <string>

#include "common/http/drained_read.hpp"
#include "common/http/request_parser.hpp"
#include "common/http/socket_io.hpp"

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = beast::http;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kErrorWriteTimeout{10};

ReadResult refuse(ApiError error) {
  return ReadResult{ReadResult::Status::refused, false, std::move(error)};
}

ReadResult refuse(ErrorKind kind, std::string message) {
  return refuse(ApiError(kind, std::move(message)));
}

ReadResult closed() { return ReadResult{}; }

// A refusal once the header is complete (see ReadResult::header_complete).
ReadResult refuse_after_header(ApiError error) {
  ReadResult result = refuse(std::move(error));
  result.header_complete = true;
  return result;
}

ApiError parse_error(const error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return ApiError(ErrorKind::headers_too_large, "request header fields too large");
  }
  if (ec == bhttp::error::body_limit) {
    return ApiError(ErrorKind::payload_too_large, "request body too large");
  }
  return ApiError(ErrorKind::invalid_request, "malformed HTTP request: " + ec.message());
}

// Why a header was refused: the parser's own answer (framing, too many fields), a request line
// over the header limit (414, as nginx answers), or the parse error. A header refused for its
// size is still all in `buffer`.
ReadResult refuse_header(const RequestParser& parser, const error_code& ec,
                         const beast::flat_buffer& buffer, std::uint64_t header_limit) {
  if (parser.refusal()) return refuse(*parser.refusal());
  const std::string_view unread(static_cast<const char*>(buffer.data().data()), buffer.size());
  // Empty lines before the request line, which the parser skips, are not part of it.
  const std::size_t start = std::min(unread.find_first_not_of("\r\n"), unread.size());
  if (ec == bhttp::error::header_limit &&
      unread.substr(start, header_limit).find('\n') == std::string_view::npos) {
    return refuse(ErrorKind::uri_too_long, "request line longer than the limit of " +
                                               std::to_string(header_limit) + " bytes");
  }
  return refuse(parse_error(ec));
}

// What read_request does between reading the header and reading the body, out of the coroutine:
// GCC gives every local of a coroutine its own place in the frame, and a frame larger than the
// 1020 bytes Asio recycles costs a malloc and a free per request. Checks the body limit and sets
// it on the parser; gives the reason to refuse the request, if any (on the heap, for the same
// reason).
std::unique_ptr<ApiError> check_header(RequestParser& parser, const ReadLimits& limits) {
  const std::uint64_t body_limit = limits.body_limit ? limits.body_limit(parser.get()) : (1u << 20);
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

std::chrono::steady_clock::duration body_read_timeout(const ReadLimits& limits,
                                                      std::chrono::steady_clock::duration elapsed,
                                                      std::uint64_t received) {
  using Duration = std::chrono::steady_clock::duration;
  const Duration gap = limits.body_timeout;
  if (limits.min_body_rate == 0) return gap;
  // Whole seconds of allowance first, so that a large body cannot overflow the product.
  const std::uint64_t rate = limits.min_body_rate;
  const Duration earned =
      std::chrono::seconds(received / rate) +
      std::chrono::duration_cast<Duration>(std::chrono::seconds(received % rate)) / rate;
  const Duration left = gap + earned - elapsed;
  return std::clamp(left, Duration::zero(), gap);
}

asio::awaitable<ReadResult> read_request(beast::tcp_stream& stream, Deadline& deadline,
                                         beast::flat_buffer& buffer, Request& request,
                                         const ReadLimits& limits, bool first) {
  RequestParser parser(limits.max_header_bytes, request);
  parser.eager(false);
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

  while (!parser.is_header_done()) {
    auto [ec, n] = co_await read_some(stream.socket(), buffer, parser);
    if (ec) {
      if (deadline.expired()) {
        co_return refuse(ErrorKind::request_timeout, "timed out reading the request header");
      }
      if (ec == bhttp::error::end_of_stream) co_return closed();
      co_return refuse_header(parser, ec, buffer, limits.max_header_bytes);
    }
  }

  if (auto error = check_header(parser, limits)) co_return refuse_after_header(std::move(*error));
  if (!parser.is_done() &&
      beast::iequals(parser.get()[FieldName::expect], "100-continue")) {
    deadline.expires_after(limits.header_timeout);
    if (!co_await send_continue(stream, parser.get().version())) co_return closed();
  }

  const auto body_began = Deadline::Clock::now();
  std::uint64_t body_received = 0;
  while (!parser.is_done()) {
    deadline.expires_after(
        body_read_timeout(limits, Deadline::Clock::now() - body_began, body_received));
    auto [ec, n] = co_await read_some(stream.socket(), buffer, parser);
    body_received += n;
    if (ec) {
      if (deadline.expired()) {
        co_return refuse_after_header(
            ApiError(ErrorKind::request_timeout, "timed out reading the request body"));
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == bhttp::error::partial_message) {
        co_return closed();
      }
      co_return refuse_after_header(parse_error(ec));
    }
  }

  // The connection may now sit in a long stream: its read buffer is not kept for it meanwhile.
  if (limits.release_buffer && buffer.size() == 0) buffer.shrink_to_fit();
  co_return ReadResult{ReadResult::Status::request, parser.keep_alive(), std::nullopt};
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
