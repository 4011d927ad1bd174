// read_some and write_all over a real loopback connection inside one io_context. Each test runs
// the io_context for a bounded time, so a read that waits when it should not fails the test
// instead of hanging it.
#include "common/http/socket_io.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "tests/support/loopback.hpp"

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kTestBound = std::chrono::seconds(20);
const std::string kRequest =
    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";

class SocketIoTest : public ::testing::Test {
 protected:
  SocketIoTest() {
    server_.emplace(test::connect_loopback(io_, client_));
  }

  // Runs one read_some on the server side and gives what it returned, or nothing when it did not
  // complete within `bound` (it waited for bytes that were never sent).
  std::optional<std::tuple<error_code, std::size_t>> read_once(
      std::chrono::milliseconds bound = std::chrono::milliseconds(2000)) {
    std::optional<std::tuple<error_code, std::size_t>> result;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          result = co_await read_some(*server_, buffer_, parser_);
        },
        asio::detached);
    io_.restart();
    io_.run_for(bound);
    return result;
  }

  asio::io_context io_;
  tcp::socket client_{io_};
  std::optional<tcp::socket> server_;
  beast::flat_buffer buffer_;
  bhttp::request_parser<bhttp::string_body> parser_;
};

TEST_F(SocketIoTest, ParsesWhatIsBufferedWithoutReadingTheSocket) {
  // The whole request is already buffered and nothing is in the socket: a read would wait.
  const auto n = asio::buffer_copy(buffer_.prepare(kRequest.size()), asio::buffer(kRequest));
  buffer_.commit(n);
  parser_.eager(true);
  const auto result = read_once();
  ASSERT_TRUE(result.has_value()) << "read_some waited on the socket";
  EXPECT_FALSE(std::get<0>(*result));
  EXPECT_EQ(std::get<1>(*result), kRequest.size());
  EXPECT_TRUE(parser_.is_done());
  EXPECT_EQ(parser_.get().body(), "hello");
  EXPECT_EQ(buffer_.size(), 0u);
}

TEST_F(SocketIoTest, ReadsTheSocketUntilTheParserMakesProgress) {
  // Half a header buffered, the rest arriving later: one call must read until the header is done.
  const std::string first = kRequest.substr(0, 20);
  buffer_.commit(asio::buffer_copy(buffer_.prepare(first.size()), asio::buffer(first)));
  asio::write(client_, asio::buffer(kRequest.substr(20)));
  const auto result = read_once();
  ASSERT_TRUE(result.has_value());
  EXPECT_FALSE(std::get<0>(*result));
  EXPECT_TRUE(parser_.is_header_done());
  EXPECT_EQ(parser_.get().target(), "/v1/chat/completions");
}

TEST_F(SocketIoTest, ClosedBeforeAnyByteIsEndOfStream) {
  client_.close();
  const auto result = read_once();
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(std::get<0>(*result), bhttp::error::end_of_stream);
}

TEST_F(SocketIoTest, ClosedInsideABodyIsAPartialMessage) {
  parser_.eager(true);
  asio::write(client_, asio::buffer(kRequest.substr(0, kRequest.size() - 2)));
  client_.shutdown(tcp::socket::shutdown_send);
  error_code ec;
  for (int reads = 0; reads < 4 && !ec; ++reads) {
    const auto result = read_once();
    ASSERT_TRUE(result.has_value());
    ec = std::get<0>(*result);
  }
  EXPECT_EQ(ec, bhttp::error::partial_message);
  EXPECT_FALSE(parser_.is_done());
}

TEST_F(SocketIoTest, WriteAllDeliversMoreThanTheSocketTakesAtOnce) {
  // Far more than loopback socket buffers hold: the first write is partial and the rest must
  // follow, in order, while the peer reads.
  std::string payload(16 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<char>(i * 7 + i / 4096);
  Deadline deadline(*server_);
  std::optional<error_code> written;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        const std::string head = "head:";
        const std::array<asio::const_buffer, 2> buffers{asio::buffer(head), asio::buffer(payload)};
        written = co_await write_all(*server_, deadline, std::chrono::seconds(10), buffers);
      },
      asio::detached);
  std::string received(5 + payload.size(), '\0');
  std::optional<error_code> read_ec;
  asio::async_read(client_, asio::buffer(received),
                   [&](error_code ec, std::size_t) { read_ec = ec; });
  io_.run_for(kTestBound);
  ASSERT_TRUE(written.has_value());
  EXPECT_FALSE(*written);
  ASSERT_TRUE(read_ec.has_value());
  EXPECT_FALSE(*read_ec);
  EXPECT_EQ(received.substr(0, 5), "head:");
  EXPECT_TRUE(received.compare(5, std::string::npos, payload) == 0) << "payload corrupted";
  EXPECT_FALSE(deadline.expired());
}

TEST_F(SocketIoTest, WriteAllReportsAClosedPeer) {
  client_.close();
  Deadline deadline(*server_);
  std::optional<error_code> written;
  const std::string payload(4 << 20, 'x');
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        // The first write may still land in the socket buffer; the next ones must fail.
        error_code ec;
        for (int i = 0; i < 8 && !ec; ++i) {
          ec = co_await write_all(*server_, deadline, std::chrono::seconds(10),
                                  std::array{asio::buffer(payload)});
        }
        written = ec;
      },
      asio::detached);
  io_.run_for(kTestBound);
  ASSERT_TRUE(written.has_value());
  EXPECT_TRUE(*written == asio::error::broken_pipe || *written == asio::error::connection_reset)
      << written->message();
}

}  // namespace
}  // namespace switchyard::http
