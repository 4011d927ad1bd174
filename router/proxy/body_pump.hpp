// Relays a response body that is passed on piece by piece (an SSE stream, a large or chunked
// answer) from the worker's socket to the client's, each piece the moment it is read.
//
// This is the one loop that runs once per SSE event, so it is written with plain completion
// handlers rather than coroutines: as nested coroutines (read, frame, write) each event cost
// three coroutine frames and as many resumptions, more than the reads and writes themselves.
// The relay coroutine awaits the whole body once.
#pragma once

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <chrono>
#include <cstdint>
#include <span>
#include <utility>

#include "common/http/drained_read.hpp"
#include "router/http/handler.hpp"
#include "router/proxy/upstream_pool.hpp"

namespace switchyard::proxy {

// How long a write to the client may wait for the client to read.
constexpr std::chrono::seconds kWriteTimeout{30};

// One piece of body as the client gets it: as is, or framed as one HTTP chunk.
class BodyPiece {
 public:
  BodyPiece(const char* data, std::size_t size, bool chunked);
  BodyPiece(const BodyPiece&) = delete;
  BodyPiece& operator=(const BodyPiece&) = delete;
  // Points into this object: valid while it lives.
  const std::array<boost::asio::const_buffer, 3>& buffers() const { return buffers_; }

 private:
  char size_line_[24];
  std::array<boost::asio::const_buffer, 3> buffers_;
};

class BodyPump {
 public:
  // `parser` has read the response header; `body_buffer` takes each piece read. One read of
  // the worker's socket takes up to `read_size` bytes (at least 512, as Beast reads): small for
  // SSE, where the memory of each open stream counts, large for bulk bodies.
  BodyPump(UpstreamConnection& upstream, UpstreamParser& parser, std::span<char> body_buffer,
           std::size_t read_size, http::Connection& client, bool chunked,
           std::chrono::milliseconds idle_timeout);
  BodyPump(const BodyPump&) = delete;
  BodyPump& operator=(const BodyPump&) = delete;

  // Completes, with signature void(), when the body has been relayed in full or either side
  // failed; then the accessors below say which.
  template <class CompletionToken>
  auto async_run(CompletionToken&& token);

  // Why the worker's side ended the relay early: a socket error (operation_aborted when the
  // idle deadline or a closing client cancelled the read) or a malformed body.
  boost::system::error_code upstream_error() const { return upstream_error_; }
  // A write to the client failed or timed out.
  bool client_failed() const { return client_failed_; }
  std::uint64_t bytes() const { return bytes_; }

 private:
  enum class Next { read, write, done };

  template <class Handler>
  struct Op;

  // Each returns what to wait for next, with read_into_ or unwritten_ set to match.
  Next parse();
  Next on_read(const boost::system::error_code& ec, std::size_t size);
  Next on_written(const boost::system::error_code& ec);
  Next read();
  Next write(std::size_t size);

  template <class Handler>
  void proceed(Next next, Op<Handler>&& op);

  UpstreamConnection& upstream_;
  UpstreamParser& parser_;
  std::span<char> body_buffer_;
  std::size_t read_size_;
  http::Connection& client_;
  bool chunked_;
  std::chrono::milliseconds idle_timeout_;

  bool writing_ = false;  // which side the pending operation is on
  boost::asio::mutable_buffer read_into_;
  std::optional<BodyPiece> piece_;
  std::optional<boost::beast::buffers_suffix<std::array<boost::asio::const_buffer, 3>>> unwritten_;
  boost::system::error_code parse_error_;  // held while the piece read before it is written
  boost::system::error_code upstream_error_;
  bool client_failed_ = false;
  std::uint64_t bytes_ = 0;
};

template <class Handler>
struct BodyPump::Op {
  BodyPump& pump;
  Handler handler;

  void operator()(const boost::system::error_code& ec, std::size_t size) {
    BodyPump& self = pump;
    self.proceed(self.writing_ ? self.on_written(ec) : self.on_read(ec, size), std::move(*this));
  }
};

template <class Handler>
void BodyPump::proceed(Next next, Op<Handler>&& op) {
  writing_ = next == Next::write;
  switch (next) {
    case Next::read:
      http::async_read_drained(upstream_.stream.socket(), read_into_, std::move(op));
      return;
    case Next::write:
      boost::asio::async_write(client_.stream.socket(), *unwritten_, std::move(op));
      return;
    case Next::done:
      upstream_.deadline.expires_never();
      std::move(op.handler)();
      return;
  }
}

template <class CompletionToken>
auto BodyPump::async_run(CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void()>(
      [this](auto handler) {
        // Started from the scheduler: what is buffered already may be the whole body, and a
        // handler must not complete inside its own initiation.
        using Handler = decltype(handler);
        boost::asio::post(upstream_.stream.socket().get_executor(),
                          [this, op = Op<Handler>{*this, std::move(handler)}]() mutable {
                            proceed(parse(), std::move(op));
                          });
      },
      token);
}

}  // namespace switchyard::proxy
