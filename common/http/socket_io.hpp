// Reads and writes on a proxy's hot path without the scheduler round trips of Asio's and
// Beast's composed operations. Asio hands even a write that finished at once, and Beast even a
// message that was already buffered, to the scheduler as a posted completion; a proxy does
// several of each per request, and each costs a pass through the event loop. Here what can be
// done at once is done at once, and only the rest waits on the socket.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <tuple>

#include "common/http/deadline.hpp"
#include "common/http/drained_read.hpp"

namespace switchyard::http {

// What one socket read may add to a parser's buffer, as Beast reads.
inline constexpr std::size_t kMaxParserReadSize = 64 * 1024;

// Parses what `buffer` holds, then reads the socket while the parser needs more, until the
// parser has made progress: the header is done, a body piece is out, or the message is complete
// (as Beast's async_read_some). Gives the bytes the parser used. `Parser` is one of Beast's
// parsers or one that speaks their protocol (put, put_eof, got_some, error::need_more).
template <class Parser>
boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
    boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer, Parser& parser) {
  namespace bhttp = boost::beast::http;
  boost::system::error_code ec;
  std::size_t used_total = 0;
  for (bool read = buffer.size() == 0;; read = true) {
    if (read) {
      const std::size_t size = boost::beast::read_size(buffer, kMaxParserReadSize);
      if (size == 0) {
        ec = bhttp::error::buffer_overflow;
        co_return std::tuple(ec, used_total);
      }
      auto [read_ec, n] = co_await async_read_drained(
          socket, buffer.prepare(size), boost::asio::as_tuple(boost::asio::use_awaitable));
      buffer.commit(n);
      if (read_ec == boost::asio::error::eof) {
        if (!parser.got_some()) {
          ec = bhttp::error::end_of_stream;
          co_return std::tuple(ec, used_total);
        }
        // A body that ends with the connection is complete now; any other is cut short.
        parser.put_eof(ec);
        co_return std::tuple(ec, used_total);
      }
      if (read_ec) {
        ec = read_ec;
        co_return std::tuple(ec, used_total);
      }
    }
    const std::size_t used = parser.put(buffer.data(), ec);
    buffer.consume(used);
    used_total += used;
    if (ec != bhttp::error::need_more) co_return std::tuple(ec, used_total);
    ec = {};
  }
}

// Writes what the socket takes without waiting, and gives how much that was; a full socket
// buffer is not an error.
template <class ConstBuffers>
std::size_t write_now(boost::asio::ip::tcp::socket& socket, const ConstBuffers& buffers,
                      boost::system::error_code& ec) {
  ec = {};
  // Without this a socket write that cannot go at once would block the event loop.
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  const std::size_t written = ec ? 0 : socket.write_some(buffers, ec);
  if (ec == boost::asio::error::would_block) ec = {};
  return written;
}

// Writes what the socket takes without waiting; only the rest, if any, is awaited, under
// `deadline` (which is left disarmed afterwards). A write that went at once costs no timer.
template <class ConstBuffers>
boost::asio::awaitable<boost::system::error_code> write_all(boost::asio::ip::tcp::socket& socket,
                                                            Deadline& deadline,
                                                            Deadline::Clock::duration timeout,
                                                            const ConstBuffers& buffers) {
  boost::system::error_code ec;
  const std::size_t written = write_now(socket, buffers, ec);
  if (ec || written == boost::asio::buffer_size(buffers)) co_return ec;
  boost::beast::buffers_suffix<ConstBuffers> rest(buffers);
  rest.consume(written);
  deadline.expires_after(timeout);
  auto [write_ec, n] = co_await boost::asio::async_write(
      socket, rest, boost::asio::as_tuple(boost::asio::use_awaitable));
  deadline.expires_never();
  co_return write_ec;
}

}  // namespace switchyard::http
