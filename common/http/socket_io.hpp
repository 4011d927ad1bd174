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
#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <tuple>

#include "common/http/deadline.hpp"

namespace switchyard::http {

// Parses what `buffer` holds, then reads the socket while the parser needs more, until the
// parser has made progress: the header is done, a body piece is out, or the message is complete
// (as Beast's async_read_some). Gives the bytes the parser used.
template <bool isRequest>
boost::asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
    boost::asio::ip::tcp::socket& socket, boost::beast::flat_buffer& buffer,
    boost::beast::http::basic_parser<isRequest>& parser);

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
