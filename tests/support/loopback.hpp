// A TCP connection over loopback inside one io_context, for tests of code that reads or writes
// sockets.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace switchyard::test {

// Connects `client` to a fresh listener on 127.0.0.1 and gives the server's end.
inline boost::asio::ip::tcp::socket connect_loopback(boost::asio::io_context& io,
                                                     boost::asio::ip::tcp::socket& client) {
  boost::asio::ip::tcp::acceptor acceptor(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  client.connect(acceptor.local_endpoint());
  return acceptor.accept();
}

}  // namespace switchyard::test
