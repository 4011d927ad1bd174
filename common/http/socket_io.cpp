#include "common/http/socket_io.hpp"

#include "common/http/drained_read.hpp"

#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http/error.hpp>

namespace switchyard::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

namespace {
// What one socket read may add to the buffer, as Beast reads.
constexpr std::size_t kMaxReadSize = 64 * 1024;
}  // namespace

template <bool isRequest>
asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
    asio::ip::tcp::socket& socket, beast::flat_buffer& buffer,
    bhttp::basic_parser<isRequest>& parser) {
  boost::system::error_code ec;
  std::size_t used_total = 0;
  for (bool read = buffer.size() == 0;; read = true) {
    if (read) {
      const std::size_t size = beast::read_size(buffer, kMaxReadSize);
      if (size == 0) {
        ec = bhttp::error::buffer_overflow;
        co_return std::tuple(ec, used_total);
      }
      auto [read_ec, n] = co_await async_read_drained(socket, buffer.prepare(size),
                                                      asio::as_tuple(asio::use_awaitable));
      buffer.commit(n);
      if (read_ec == asio::error::eof) {
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

template asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some<true>(
    asio::ip::tcp::socket&, beast::flat_buffer&, bhttp::basic_parser<true>&);
template asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some<false>(
    asio::ip::tcp::socket&, beast::flat_buffer&, bhttp::basic_parser<false>&);

}  // namespace switchyard::http
