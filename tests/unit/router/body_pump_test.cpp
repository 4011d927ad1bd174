// BodyPump over real loopback connections inside one io_context: a fake worker writes raw HTTP
// on one connection, and a fake client reads what the pump writes on the other. Each test runs
// the io_context for a bounded time, so a pump that waits when it should not fails the test
// instead of hanging it.
#include "router/proxy/body_pump.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <chrono>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace switchyard::proxy {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kTestBound = std::chrono::seconds(20);
constexpr auto kIdleTimeout = std::chrono::milliseconds(10'000);

// The pieces the client side sees, with the chunk framing checked and taken off.
std::string unchunk(std::string_view wire) {
  std::string body;
  while (!wire.empty()) {
    const auto line_end = wire.find("\r\n");
    if (line_end == std::string_view::npos) ADD_FAILURE() << "no chunk size line in " << wire;
    if (line_end == std::string_view::npos) return body;
    const std::size_t size = std::stoul(std::string(wire.substr(0, line_end)), nullptr, 16);
    wire.remove_prefix(line_end + 2);
    if (size == 0) {
      EXPECT_EQ(wire, "\r\n");
      return body;
    }
    body.append(wire.substr(0, size));
    EXPECT_EQ(wire.substr(size, 2), "\r\n");
    wire.remove_prefix(std::min(wire.size(), size + 2));
  }
  return body;
}

class BodyPumpTest : public ::testing::Test {
 protected:
  BodyPumpTest() {
    tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    tcp::socket to_worker(io_);
    to_worker.connect(acceptor.local_endpoint());
    worker_.emplace(acceptor.accept());
    upstream_.emplace(beast::tcp_stream(std::move(to_worker)));
    client_socket_.connect(acceptor.local_endpoint());
    client_stream_.emplace(acceptor.accept());
    client_deadline_.emplace(client_stream_->socket());
    client_.emplace(http::Connection{*client_stream_, *client_deadline_, client_read_buffer_, ""});
  }

  // Hands the pump a response whose header (and whatever follows it in `buffered`) was read
  // already, as the relay does.
  void header_read(const std::string& buffered) {
    upstream_->buffer.commit(
        asio::buffer_copy(upstream_->buffer.prepare(buffered.size()), asio::buffer(buffered)));
    error_code ec;
    upstream_->buffer.consume(parser_.put(upstream_->buffer.data(), ec));
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser_.is_header_done());
  }

  // Runs the pump, and `driver` beside it, until both are done or the bound passes.
  void run(std::size_t body_buffer_size, bool chunked,
           std::function<asio::awaitable<void>()> driver = nullptr) {
    body_buffer_.resize(body_buffer_size);
    pump_.emplace(*upstream_, parser_, body_buffer_, body_buffer_size, *client_, chunked,
                  kIdleTimeout);
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await pump_->async_run(asio::use_awaitable);
          pump_done_ = true;
          // The client's side ends with the body, so that reading it to the end terminates.
          error_code ignored;
          client_stream_->socket().shutdown(tcp::socket::shutdown_send, ignored);
        },
        asio::detached);
    if (driver) asio::co_spawn(io_, driver(), asio::detached);
    io_.run_for(kTestBound);
    ASSERT_TRUE(pump_done_) << "the pump did not finish";
  }

  // What the client received, read to the end of its connection.
  std::string received() {
    std::string wire;
    error_code ec;
    asio::read(client_socket_, asio::dynamic_buffer(wire), ec);
    return wire;
  }

  asio::awaitable<void> worker_writes(std::string bytes) {
    co_await asio::async_write(*worker_, asio::buffer(bytes), asio::use_awaitable);
  }

  // Reads from the client's side until `expected` has arrived in full, or fails the test.
  asio::awaitable<void> client_awaits(std::string expected) {
    std::string got(expected.size(), '\0');
    co_await asio::async_read(client_socket_, asio::buffer(got), asio::use_awaitable);
    EXPECT_EQ(got, expected);
  }

  asio::io_context io_;
  std::optional<tcp::socket> worker_;
  std::optional<UpstreamConnection> upstream_;
  tcp::socket client_socket_{io_};
  std::optional<beast::tcp_stream> client_stream_;
  std::optional<http::Deadline> client_deadline_;
  beast::flat_buffer client_read_buffer_;
  std::optional<http::Connection> client_;
  PassedFields passed_fields_;
  UpstreamParser parser_{passed_fields_};
  std::vector<char> body_buffer_;
  std::optional<BodyPump> pump_;
  bool pump_done_ = false;
};

constexpr std::string_view kChunkedHead =
    "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

TEST_F(BodyPumpTest, PassesEachEventOnBeforeTheWorkerSendsTheNext) {
  header_read(std::string(kChunkedHead) + "d\r\ndata: first\n\n\r\n");
  run(2048, true, [this]() -> asio::awaitable<void> {
    // The event buffered with the header goes out without anything more from the worker.
    co_await client_awaits("d\r\ndata: first\n\n\r\n");
    co_await worker_writes("e\r\ndata: second\n\n\r\n");
    co_await client_awaits("e\r\ndata: second\n\n\r\n");
    // A chunk split across two socket reads.
    co_await worker_writes("d\r\ndata: th");
    co_await worker_writes("ird\n\n\r\n0\r\n\r\n");
  });
  EXPECT_EQ(unchunk(received()), "data: third\n\n");
  EXPECT_FALSE(pump_->upstream_error()) << pump_->upstream_error().message();
  EXPECT_FALSE(pump_->client_failed());
  EXPECT_EQ(pump_->bytes(), 13u + 14u + 13u);
}

TEST_F(BodyPumpTest, EventLargerThanTheBodyBufferArrivesWhole) {
  const std::string event = "data: " + std::string(300, 'x') + "\n\n";
  std::ostringstream chunk;
  chunk << std::hex << event.size() << "\r\n" << event << "\r\n0\r\n\r\n";
  header_read(std::string(kChunkedHead));
  run(64, true, [&]() -> asio::awaitable<void> { co_await worker_writes(chunk.str()); });
  EXPECT_EQ(unchunk(received()), event);
  EXPECT_FALSE(pump_->upstream_error()) << pump_->upstream_error().message();
  EXPECT_EQ(pump_->bytes(), event.size());
}

TEST_F(BodyPumpTest, ClientSlowerThanTheWorkerGetsEveryByteInOrder) {
  // Far more than the socket buffers hold: most writes go only in part at first.
  std::string body(16 * 1024 * 1024, '\0');
  for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
  header_read("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
  // Pieces larger than the socket's send buffer: most go only in part at first.
  client_stream_->socket().set_option(asio::socket_base::send_buffer_size(16 * 1024));
  std::string wire;
  run(256 * 1024, false, [&]() -> asio::awaitable<void> {
    auto write = worker_writes(body);
    asio::co_spawn(io_, std::move(write), asio::detached);
    // The client reads only after the worker has sent a good part of the body.
    asio::steady_timer pause(io_, std::chrono::milliseconds(200));
    co_await pause.async_wait(asio::use_awaitable);
    wire.resize(body.size());
    co_await asio::async_read(client_socket_, asio::buffer(wire), asio::use_awaitable);
  });
  EXPECT_TRUE(wire == body) << "the client's copy differs from the worker's";
  EXPECT_FALSE(pump_->upstream_error()) << pump_->upstream_error().message();
  EXPECT_FALSE(pump_->client_failed());
  EXPECT_EQ(pump_->bytes(), body.size());
}

TEST_F(BodyPumpTest, BodyThatEndsWithTheConnectionIsComplete) {
  header_read("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello, ");
  run(2048, false, [this]() -> asio::awaitable<void> {
    co_await worker_writes("world");
    worker_->close();
  });
  EXPECT_EQ(received(), "hello, world");
  EXPECT_FALSE(pump_->upstream_error()) << pump_->upstream_error().message();
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(BodyPumpTest, WorkerClosingMidChunkIsAPartialMessage) {
  header_read(std::string(kChunkedHead) + "d\r\ndata: first\n\n\r\n10\r\ndata: se");
  run(2048, true, [this]() -> asio::awaitable<void> {
    worker_->close();
    co_return;
  });
  // What the worker did send was passed on, and the stream left unterminated.
  EXPECT_EQ(unchunk(received()), "data: first\n\ndata: se");
  EXPECT_EQ(pump_->upstream_error(), bhttp::error::partial_message);
  EXPECT_FALSE(pump_->client_failed());
}

TEST_F(BodyPumpTest, MalformedChunkHeaderEndsTheRelayWithAParseError) {
  header_read(std::string(kChunkedHead) + "d\r\ndata: first\n\n\r\nzz\r\n");
  run(2048, true);
  EXPECT_EQ(unchunk(received()), "data: first\n\n");
  EXPECT_EQ(pump_->upstream_error(), bhttp::error::bad_chunk);
}

TEST_F(BodyPumpTest, ClientThatLeftIsReportedAsTheClientFailing) {
  header_read(std::string(kChunkedHead));
  client_socket_.close();
  run(2048, true, [this]() -> asio::awaitable<void> {
    // The first write after the client left may still succeed; the ones after it fail.
    for (int i = 0; i < 50 && !pump_done_; ++i) {
      co_await worker_writes("d\r\ndata: event\n\n\r\n");
      asio::steady_timer pause(io_, std::chrono::milliseconds(5));
      co_await pause.async_wait(asio::use_awaitable);
    }
    worker_->close();
  });
  EXPECT_TRUE(pump_->client_failed());
  EXPECT_FALSE(pump_->upstream_error());
}

}  // namespace
}  // namespace switchyard::proxy
