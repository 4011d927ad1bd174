#include "common/http/request_reader.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/algorithm/string/trim.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <memory>
#include <string>

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = beast::http;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

ReadResult refuse(ErrorKind kind, std::string message) {
  ReadResult result;
  result.status = ReadResult::Status::refused;
  result.error.emplace(kind, std::move(message));
  return result;
}

ReadResult closed() { return ReadResult{}; }

// tcp_stream's own timeout closes the socket when it passes, which leaves no way to send the 408
// the client is owed. This deadline only cancels the pending read; tcp_stream's timeout stays set
// kBackstop later in case a read ignores the cancel.
constexpr std::chrono::seconds kBackstop{1};

class ReadDeadline {
 public:
  ReadDeadline(beast::tcp_stream& stream, std::chrono::milliseconds timeout)
      : state_(std::make_shared<State>()), timer_(stream.get_executor(), timeout) {
    // The handler may run after this object is gone (it is queued, then we return): it touches
    // the socket only while `done` is unset, i.e. while read_request still waits on it.
    timer_.async_wait([state = state_, &socket = stream.socket()](const error_code& ec) {
      if (ec || state->done) return;
      state->passed = true;
      error_code ignored;
      socket.cancel(ignored);
    });
  }
  ~ReadDeadline() {
    state_->done = true;
    timer_.cancel();
  }
  ReadDeadline(const ReadDeadline&) = delete;
  ReadDeadline& operator=(const ReadDeadline&) = delete;

  bool passed() const { return state_->passed; }

 private:
  struct State {
    bool done = false;
    bool passed = false;
  };
  std::shared_ptr<State> state_;
  asio::steady_timer timer_;
};

ReadResult refuse_parse_error(const error_code& ec, bool after_header) {
  if (ec == bhttp::error::header_limit) {
    return refuse(ErrorKind::headers_too_large, "request header fields too large");
  }
  if (ec == bhttp::error::body_limit) {
    return refuse(ErrorKind::payload_too_large, "request body too large");
  }
  if (ec == beast::error::timeout) {
    return refuse(ErrorKind::request_timeout,
                  after_header ? "timed out reading the request body"
                               : "timed out reading the request header");
  }
  return refuse(ErrorKind::invalid_request, "malformed HTTP request: " + ec.message());
}

}  // namespace

std::optional<ApiError> check_framing(const RequestHeader& header) {
  const auto content_lengths = header.count(bhttp::field::content_length);
  const auto transfer_encodings = header.count(bhttp::field::transfer_encoding);
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
    std::string value(header[bhttp::field::transfer_encoding]);
    boost::algorithm::trim(value);
    if (!boost::algorithm::iequals(value, "chunked")) {
      return ApiError(ErrorKind::invalid_request,
                      "unsupported Transfer-Encoding '" + value + "': only chunked is accepted");
    }
  }
  if (header.version() >= 11 && header.count(bhttp::field::host) == 0) {
    return ApiError(ErrorKind::invalid_request, "missing Host header");
  }
  if (header.count(bhttp::field::host) > 1) {
    return ApiError(ErrorKind::invalid_request, "several Host headers");
  }
  return std::nullopt;
}

asio::awaitable<ReadResult> read_request(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                         const ReadLimits& limits, bool first) {
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(limits.max_header_bytes));
  parser.eager(false);
  // Beast checks Content-Length against its own 1 MiB default while reading the header; the real
  // limit depends on the header and is set once it is known (below).
  parser.body_limit(boost::none);

  if (buffer.size() == 0) {
    // Waiting for a request to start is idle time (keep-alive), not a slow client.
    stream.expires_after(first ? limits.header_timeout : limits.idle_timeout);
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kNoThrow);
    if (ec) co_return closed();
    buffer.commit(n);
  }

  {
    const ReadDeadline deadline(stream, limits.header_timeout);
    stream.expires_after(limits.header_timeout + kBackstop);
    // Beast's header_limit bounds only the fields not yet parsed by one put(): complete fields are
    // consumed as they arrive, so a header sent in pieces grows past it. Count the whole block.
    std::uint64_t header_bytes = 0;
    while (!parser.is_header_done()) {
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kNoThrow);
      header_bytes += n;
      if (ec) {
        if (deadline.passed()) {
          co_return refuse(ErrorKind::request_timeout, "timed out reading the request header");
        }
        if (ec == bhttp::error::end_of_stream) co_return closed();
        co_return refuse_parse_error(ec, false);
      }
      if (header_bytes > limits.max_header_bytes) {
        co_return refuse(ErrorKind::headers_too_large, "request header fields too large");
      }
    }
  }

  const RequestHeader& header = parser.get().base();
  if (auto error = check_framing(header)) {
    ReadResult result = refuse(error->kind, error->what());
    co_return result;
  }

  const std::uint64_t body_limit = limits.body_limit ? limits.body_limit(header) : (1u << 20);
  if (auto length = parser.content_length(); length && *length > body_limit) {
    co_return refuse(ErrorKind::payload_too_large,
                     "request body of " + std::to_string(*length) + " bytes exceeds the limit of " +
                         std::to_string(body_limit) + " bytes");
  }
  parser.body_limit(body_limit);

  if (!parser.is_done() &&
      boost::algorithm::iequals(header[bhttp::field::expect], "100-continue")) {
    bhttp::response<bhttp::empty_body> go_on{bhttp::status::continue_, header.version()};
    stream.expires_after(limits.header_timeout);
    if (auto [ec, n] = co_await bhttp::async_write(stream, go_on, kNoThrow); ec) {
      co_return closed();
    }
  }

  while (!parser.is_done()) {
    const ReadDeadline gap(stream, limits.body_timeout);
    stream.expires_after(limits.body_timeout + kBackstop);
    auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kNoThrow);
    if (ec) {
      if (gap.passed()) {
        co_return refuse(ErrorKind::request_timeout, "timed out reading the request body");
      }
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == bhttp::error::partial_message) {
        co_return closed();
      }
      co_return refuse_parse_error(ec, true);
    }
  }
  stream.expires_never();

  ReadResult result;
  result.status = ReadResult::Status::request;
  result.request = parser.release();
  co_return result;
}

asio::awaitable<void> write_error(beast::tcp_stream& stream, const ApiError& error, bool close,
                                  unsigned version) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(error.status()),
                                               version};
  response.set(bhttp::field::content_type, "application/json");
  if (error.kind == ErrorKind::unauthorized) {
    response.set(bhttp::field::www_authenticate, "Bearer");
  }
  response.keep_alive(!close);
  response.body() = error.body();
  response.prepare_payload();
  stream.expires_after(std::chrono::seconds(10));
  co_await bhttp::async_write(stream, response, kNoThrow);
  if (close) {
    error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

}  // namespace switchyard::http
