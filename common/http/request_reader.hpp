// Reads one HTTP/1.1 request off a connection with every limit the daemon promises: a timeout
// on each read, a header size limit, a body limit decided from the header, and refusal of
// ambiguous framing (request smuggling). Shared by the router and switchyard-worker.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>

#include "common/http/deadline.hpp"
#include "common/http/request.hpp"
#include "common/openai_error.hpp"

namespace switchyard::http {

namespace beast = boost::beast;

struct ReadLimits {
  std::uint64_t max_header_bytes = 16 << 10;
  std::chrono::milliseconds header_timeout{10'000};  // first byte to end of header
  std::chrono::milliseconds idle_timeout{75'000};    // keep-alive wait for the next request
  std::chrono::milliseconds body_timeout{30'000};    // longest gap between body bytes
  // The slowest a body may come on the whole, in bytes per second (0: no floor): it may take
  // body_timeout plus one second per min_body_rate bytes received (Apache mod_reqtimeout's
  // MinRate). Without it a body sent a byte a second, each inside the gap, would hold its
  // connection for as many seconds as the body limit has bytes (slow POST).
  std::uint64_t min_body_rate = 500;
  // Decides the body limit once the header is known (the router's limit depends on the path).
  std::function<std::uint64_t(const Request&)> body_limit;
  // Frees the connection's read buffer once a request is read, for a server whose answers may be
  // long streams. The router leaves it to the relay, which frees it only for a stream: a
  // short answer is followed by the next request, which would allocate it again.
  bool release_buffer = true;
};

struct ReadResult {
  enum class Status {
    request,  // the request passed to read_request is complete
    closed,   // the peer closed or stayed idle: nothing to answer
    refused,  // answer `error`, then close the connection
  };
  Status status = Status::closed;
  // Whether the client lets the connection carry another request (Connection and the version),
  // as the parser found it: asking the message again means searching its fields.
  bool keep_alive = false;
  std::optional<ApiError> error;
  // A refusal that came after the whole header was read: `request` holds its fields, so the
  // answer may depend on them (the CORS fields a browser needs to read it).
  bool header_complete = false;
};

// Reads into `request`, the connection's: each of its requests reuses what the one before
// allocated. `first` is true for the first request of a connection, which gets header_timeout
// rather than idle_timeout to start sending. `deadline` is the connection's (it times every
// read).
boost::asio::awaitable<ReadResult> read_request(beast::tcp_stream& stream, Deadline& deadline,
                                                beast::flat_buffer& buffer, Request& request,
                                                const ReadLimits& limits, bool first);

// How long the next read of a body may take when `received` body bytes came in the `elapsed`
// time since it began: body_timeout, cut short to keep min_body_rate (zero once it is behind).
std::chrono::steady_clock::duration body_read_timeout(const ReadLimits& limits,
                                                      std::chrono::steady_clock::duration elapsed,
                                                      std::uint64_t received);

// Writes an OpenAI-style error response; `close` adds Connection: close.
boost::asio::awaitable<void> write_error(beast::tcp_stream& stream, Deadline& deadline,
                                         const ApiError& error, bool close,
                                         unsigned version = 11);

}  // namespace switchyard::http
