#include "router/proxy/body_pump.hpp"

#include <boost/beast/http/error.hpp>
#include <algorithm>
#include <charconv>

#include "common/http/socket_io.hpp"

namespace switchyard::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;

namespace {
// The least one socket read of the worker's asks for, as Beast reads.
constexpr std::size_t kMinReadSize = 512;
}  // namespace

BodyPiece::BodyPiece(const char* data, std::size_t size, bool chunked) {
  if (!chunked) {
    buffers_ = {asio::const_buffer(data, size), {}, {}};
    return;
  }
  char* end = std::to_chars(size_line_, size_line_ + 16, size, 16).ptr;
  *end++ = '\r';
  *end++ = '\n';
  buffers_ = {asio::const_buffer(size_line_, static_cast<std::size_t>(end - size_line_)),
              asio::const_buffer(data, size), asio::const_buffer("\r\n", 2)};
}

BodyPump::BodyPump(UpstreamConnection& upstream, UpstreamParser& parser,
                   std::span<char> body_buffer, std::size_t read_size,
                   http::Connection& client, bool chunked, std::chrono::milliseconds idle_timeout)
    : upstream_(upstream),
      parser_(parser),
      body_buffer_(body_buffer),
      read_size_(read_size),
      client_(client),
      chunked_(chunked),
      idle_timeout_(idle_timeout) {
  // One put() then parses all that was read, chunk headers and bodies alike, not one step.
  parser_.eager(true);
}

BodyPump::Next BodyPump::parse() {
  for (;;) {
    if (parse_error_) {
      upstream_error_ = parse_error_;
      return Next::done;
    }
    if (parser_.is_done()) return Next::done;
    if (upstream_.buffer.size() == 0) return read();
    auto& body = parser_.body();
    body.data = body_buffer_.data();
    body.size = body_buffer_.size();
    error_code ec;
    upstream_.buffer.consume(parser_.put(upstream_.buffer.data(), ec));
    const std::size_t got = body_buffer_.size() - body.size;
    bytes_ += got;
    const bool need_more = ec == bhttp::error::need_more;
    if (!need_more && ec != bhttp::error::need_buffer) parse_error_ = ec;
    if (got > 0 && write(got) != Next::read) return client_failed_ ? Next::done : Next::write;
    if (need_more && !parse_error_) return read();
  }
}

BodyPump::Next BodyPump::read() {
  auto& buffer = upstream_.buffer;
  const std::size_t size = std::min({std::max({read_size_, kMinReadSize,
                                               buffer.capacity() - buffer.size()}),
                                     http::kMaxParserReadSize, buffer.max_size() - buffer.size()});
  if (size == 0) {
    upstream_error_ = bhttp::error::buffer_overflow;
    return Next::done;
  }
  read_into_ = buffer.prepare(size);
  upstream_.deadline.expires_after(idle_timeout_);
  return Next::read;
}

BodyPump::Next BodyPump::on_read(const error_code& ec, std::size_t size) {
  upstream_.buffer.commit(size);
  if (ec == asio::error::eof) {
    // A body that ends with the connection is complete now; any other is cut short.
    parser_.put_eof(upstream_error_);
    return Next::done;
  }
  if (ec) {
    upstream_error_ = ec;
    return Next::done;
  }
  return parse();
}

// Writes what the client's socket takes at once. Gives Next::read when all of it went (the
// caller goes on parsing); Next::write when the rest is left in unwritten_, under the client's
// deadline; Next::done when the client failed.
BodyPump::Next BodyPump::write(std::size_t size) {
  piece_.emplace(body_buffer_.data(), size, chunked_);
  const auto& buffers = piece_->buffers();
  error_code ec;
  const std::size_t written = http::write_now(client_.stream.socket(), buffers, ec);
  if (ec) {
    client_failed_ = true;
    return Next::done;
  }
  if (written == asio::buffer_size(buffers)) return Next::read;
  unwritten_.emplace(buffers);
  unwritten_->consume(written);
  client_.deadline.expires_after(kWriteTimeout);
  return Next::write;
}

BodyPump::Next BodyPump::on_written(const error_code& ec) {
  client_.deadline.expires_never();
  if (ec) {
    client_failed_ = true;
    return Next::done;
  }
  return parse();
}

}  // namespace switchyard::proxy
