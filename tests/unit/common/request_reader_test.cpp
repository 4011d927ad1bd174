// read_request over a real loopback connection: the test owns both ends inside one io_context,
// writes raw bytes from the client side and looks at what the server side made of them. Only the
// timeout tests wait, for their own 100 ms limits; everything else completes as soon as the bytes
// are there. io_context::run_for bounds every test so that a regression fails instead of hanging.
#include "common/http/request_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "tests/support/loopback.hpp"

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using std::chrono::milliseconds;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Status = ReadResult::Status;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr auto kTestBound = std::chrono::seconds(20);

class RequestReaderTest : public ::testing::Test {
 protected:
  RequestReaderTest() {
    server_.emplace(test::connect_loopback(io_, client_));
    deadline_.emplace(server_->socket());
    limits_.header_timeout = milliseconds(5000);
    limits_.idle_timeout = milliseconds(5000);
    limits_.body_timeout = milliseconds(5000);
    limits_.body_limit = [](const Request&) -> std::uint64_t { return 1024; };
  }

  // Sends `bytes` from the client (without waiting for anyone to read them) and reads one
  // request on the server side.
  ReadResult exchange(std::string bytes, bool first = true) {
    asio::co_spawn(io_, send(std::move(bytes)), asio::detached);
    return read(first);
  }

  ReadResult read(bool first = true) {
    std::optional<ReadResult> result;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          result = co_await read_request(*server_, *deadline_, buffer_, request_, limits_, first);
        },
        asio::detached);
    io_.restart();
    io_.run_for(kTestBound);
    EXPECT_TRUE(result.has_value()) << "read_request did not complete";
    return result ? std::move(*result) : ReadResult{};
  }

  asio::awaitable<void> send(std::string bytes) {
    co_await asio::async_write(client_, asio::buffer(bytes), kNoThrow);
  }

  // What the server wrote back to the client so far, up to the end of the first header.
  std::string client_reads_header() {
    asio::streambuf in;
    boost::system::error_code ec;
    const std::size_t n = asio::read_until(client_, in, "\r\n\r\n", ec);
    return std::string(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
  }

  asio::io_context io_;
  tcp::socket client_{io_};
  std::optional<boost::beast::tcp_stream> server_;
  std::optional<Deadline> deadline_;
  boost::beast::flat_buffer buffer_;
  Request request_;  // the connection's, as the listener keeps it
  ReadLimits limits_;
};

void expect_refused(const ReadResult& result, int status) {
  EXPECT_EQ(result.status, Status::refused);
  ASSERT_TRUE(result.error);
  EXPECT_EQ(result.error->status(), status) << result.error->what();
}

// ---------------------------------------------------------------------------------------------
// Complete requests

TEST_F(RequestReaderTest, CompleteRequestWithContentLength) {
  const ReadResult result = exchange(
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: router\r\nContent-Type: application/json\r\n"
      "Content-Length: 13\r\n\r\n{\"model\":\"m\"}");
  ASSERT_EQ(result.status, Status::request);
  EXPECT_FALSE(result.error);
  EXPECT_EQ(request_.method(), bhttp::verb::post);
  EXPECT_EQ(request_.target(), "/v1/chat/completions?x=1");
  EXPECT_EQ(request_.version(), 11u);
  EXPECT_EQ(request_[FieldName::content_type], "application/json");
  EXPECT_EQ(request_.body(), "{\"model\":\"m\"}");
}

TEST_F(RequestReaderTest, CompleteRequestWithoutBody) {
  const ReadResult result = exchange("GET /health HTTP/1.1\r\nHost: router\r\n\r\n");
  ASSERT_EQ(result.status, Status::request);
  EXPECT_EQ(request_.method(), bhttp::verb::get);
  EXPECT_EQ(request_.body(), "");
}

TEST_F(RequestReaderTest, Http11KeepsTheConnectionUnlessTheClientClosesIt) {
  EXPECT_TRUE(exchange("GET /a HTTP/1.1\r\nHost: r\r\n\r\n").keep_alive);
  EXPECT_FALSE(
      exchange("GET /a HTTP/1.1\r\nHost: r\r\nConnection: TE, Close\r\n\r\n", false).keep_alive);
}

TEST_F(RequestReaderTest, Http10KeepsTheConnectionOnlyWhenAsked) {
  EXPECT_FALSE(exchange("GET /a HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(exchange("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false).keep_alive);
}

TEST_F(RequestReaderTest, ChunkedRequestWithinTheLimit) {
  const ReadResult result = exchange(
      "POST /v1/embeddings HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
  ASSERT_EQ(result.status, Status::request);
  EXPECT_EQ(request_.body(), "hello world");
}

// The empty line after the first body (some clients send one) is skipped, not taken for a
// malformed request.
TEST_F(RequestReaderTest, PipelinedRequestsAreReadOneAfterTheOther) {
  const ReadResult first = exchange(
      "POST /a HTTP/1.1\r\nHost: r\r\nContent-Length: 1\r\n\r\nA\r\n"
      "POST /b HTTP/1.1\r\nHost: r\r\nContent-Length: 2\r\n\r\nBB");
  ASSERT_EQ(first.status, Status::request);
  EXPECT_EQ(request_.target(), "/a");
  EXPECT_EQ(request_.body(), "A");
  const ReadResult second = read(false);
  ASSERT_EQ(second.status, Status::request);
  EXPECT_EQ(request_.target(), "/b");
  EXPECT_EQ(request_.body(), "BB");
}

TEST_F(RequestReaderTest, BodyLimitComesFromTheHeader) {
  limits_.body_limit = [](const Request& request) -> std::uint64_t {
    return request.target() == "/big" ? 100 : 10;
  };
  const std::string body(50, 'x');
  EXPECT_EQ(exchange("POST /big HTTP/1.1\r\nHost: r\r\nContent-Length: 50\r\n\r\n" + body).status,
            Status::request);
}

TEST_F(RequestReaderTest, BodyAboveBeastsDefaultLimitButWithinOursIsRead) {
  // Beast's request parser refuses bodies over 1 MiB by itself unless told otherwise; the router
  // allows 4 MiB for text and 32 MiB for images and audio.
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 4u << 20; };
  const std::string body((2u << 20) + 7, 'b');
  const ReadResult result =
      exchange("POST /v1/images/edits HTTP/1.1\r\nHost: r\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_EQ(result.status, Status::request) << (result.error ? result.error->what() : "");
  EXPECT_EQ(request_.body().size(), body.size());
}

TEST_F(RequestReaderTest, ChunkedBodyAboveBeastsDefaultLimitButWithinOursIsRead) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 4u << 20; };
  const std::string chunk(1u << 20, 'c');
  std::string bytes = "POST /x HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 2; ++i) bytes += "100000\r\n" + chunk + "\r\n";
  bytes += "0\r\n\r\n";
  const ReadResult result = exchange(bytes);
  ASSERT_EQ(result.status, Status::request) << (result.error ? result.error->what() : "");
  EXPECT_EQ(request_.body().size(), 2u << 20);
}

// ---------------------------------------------------------------------------------------------
// Refusals

TEST_F(RequestReaderTest, HeaderOverTheLimitIs431) {
  limits_.max_header_bytes = 1024;
  const ReadResult result =
      exchange("GET / HTTP/1.1\r\nHost: r\r\nX-Pad: " + std::string(3000, 'p') + "\r\n\r\n");
  expect_refused(result, 431);
  EXPECT_EQ(result.error->kind, ErrorKind::headers_too_large);
  EXPECT_FALSE(result.header_complete);
}

TEST_F(RequestReaderTest, RequestLineOverTheLimitIs414) {
  limits_.max_header_bytes = 1024;
  // Empty lines first: skipped, they are not part of the line.
  const ReadResult line =
      exchange("\r\n\r\nGET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: r\r\n\r\n");
  expect_refused(line, 414);
  EXPECT_EQ(line.error->kind, ErrorKind::uri_too_long);
  EXPECT_NE(std::string(line.error->what()).find("1024"), std::string::npos) << line.error->what();
}

TEST_F(RequestReaderTest, LongLineWithinTheLimitThenLongFieldsIs431) {
  limits_.max_header_bytes = 1024;
  const ReadResult fields = exchange("GET /" + std::string(900, 'a') +
                                     " HTTP/1.1\r\nX-Pad: " + std::string(300, 'p') + "\r\n\r\n");
  expect_refused(fields, 431);
}

TEST_F(RequestReaderTest, ContentLengthAboveTheLimitIs413WithoutReadingTheBody) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 100; };
  // Only the header is sent: were the body awaited, this would end in a 408 after body_timeout.
  limits_.body_timeout = std::chrono::seconds(60);
  const ReadResult result =
      exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\nContent-Length: 1000000\r\n\r\n");
  expect_refused(result, 413);
  EXPECT_EQ(result.error->kind, ErrorKind::payload_too_large);
  // The header is whole: the answer may depend on its fields (the CORS ones).
  EXPECT_TRUE(result.header_complete);
  EXPECT_EQ(request_.target(), "/v1/chat/completions");
}

TEST_F(RequestReaderTest, ContentLengthJustAtTheLimitIsAccepted) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 10; };
  const ReadResult result =
      exchange("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 10\r\n\r\n0123456789");
  ASSERT_EQ(result.status, Status::request);
  EXPECT_EQ(request_.body(), "0123456789");
}

TEST_F(RequestReaderTest, ContentLengthOneAboveTheLimitIs413) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 10; };
  expect_refused(exchange("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 11\r\n\r\n01234567890"),
                 413);
}

TEST_F(RequestReaderTest, ChunkedBodyGrowingPastTheLimitIs413) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 16; };
  const ReadResult result = exchange(
      "POST / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
      "a\r\n0123456789\r\na\r\n0123456789\r\n0\r\n\r\n");
  expect_refused(result, 413);
  EXPECT_EQ(result.error->kind, ErrorKind::payload_too_large);
  EXPECT_TRUE(result.header_complete);
}

TEST_F(RequestReaderTest, BadChunkSizeIs400) {
  const ReadResult result = exchange(
      "POST / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n1x\r\nA\r\n0\r\n\r\n");
  expect_refused(result, 400);
  EXPECT_EQ(result.error->kind, ErrorKind::invalid_request);
}

TEST_F(RequestReaderTest, MalformedRequestLineIs400) {
  const ReadResult result = exchange("this is not http\r\n\r\n");
  expect_refused(result, 400);
  EXPECT_FALSE(result.header_complete);
}

TEST_F(RequestReaderTest, AmbiguousFramingIs400) {
  expect_refused(exchange("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 3\r\n"
                          "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
                 400);
}

TEST_F(RequestReaderTest, RepeatedEqualContentLengthIs400) {
  // Beast lets this through; check_framing does not.
  expect_refused(exchange("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 3\r\n"
                          "Content-Length: 3\r\n\r\nabc"),
                 400);
}

TEST_F(RequestReaderTest, TransferEncodingGzipIs400) {
  expect_refused(exchange("POST / HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: gzip\r\n\r\nxxxx"),
                 400);
}

TEST_F(RequestReaderTest, MissingHostIs400) {
  expect_refused(exchange("GET / HTTP/1.1\r\n\r\n"), 400);
}

// ---------------------------------------------------------------------------------------------
// Timeouts and closed connections

TEST_F(RequestReaderTest, PartialHeaderTimesOutWith408) {
  limits_.header_timeout = milliseconds(100);
  // The client sends half a header and then stays connected, saying nothing.
  const ReadResult result = exchange("POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\n");
  expect_refused(result, 408);
  EXPECT_EQ(result.error->kind, ErrorKind::request_timeout);
  EXPECT_FALSE(result.header_complete);
}

TEST_F(RequestReaderTest, SlowBodyTimesOutWith408) {
  limits_.body_timeout = milliseconds(100);
  const ReadResult result =
      exchange("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 10\r\n\r\n01234");
  expect_refused(result, 408);
  EXPECT_TRUE(result.header_complete);
}

// H7 slow POST: every byte inside the gap, but the body as a whole slower than min_body_rate.
TEST_F(RequestReaderTest, BodyTrickledInsideTheGapTimesOutAtTheMinimumRate) {
  limits_.body_timeout = milliseconds(500);
  limits_.min_body_rate = 10;
  std::optional<ReadResult> result;
  std::chrono::steady_clock::duration took{};
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        const auto began = std::chrono::steady_clock::now();
        result = co_await read_request(*server_, *deadline_, buffer_, request_, limits_, true);
        took = std::chrono::steady_clock::now() - began;
      },
      asio::detached);
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await send("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 100\r\n\r\n");
        asio::steady_timer pause(io_);
        // 5 bytes/s, each far inside the 500 ms gap: the body would take 20 s.
        for (int i = 0; i < 100 && !result; ++i) {
          pause.expires_after(milliseconds(200));
          co_await pause.async_wait(kNoThrow);
          co_await asio::async_write(client_, asio::buffer("x", 1), kNoThrow);
        }
      },
      asio::detached);
  io_.run_for(kTestBound);
  ASSERT_TRUE(result.has_value()) << "read_request did not complete";
  expect_refused(*result, 408);
  // 500 ms of grace plus 1 s per 10 bytes: it falls behind after about 5 bytes.
  EXPECT_LT(took, std::chrono::seconds(10));
}

TEST(BodyReadTimeout, TheGapUntilTheBodyFallsBehindTheMinimumRate) {
  using std::chrono::seconds;
  ReadLimits limits;
  limits.body_timeout = seconds(30);
  limits.min_body_rate = 500;
  EXPECT_EQ(body_read_timeout(limits, seconds(0), 0), seconds(30));
  EXPECT_EQ(body_read_timeout(limits, seconds(10), 0), seconds(20));
  EXPECT_EQ(body_read_timeout(limits, seconds(40), 0), seconds(0));
  EXPECT_EQ(body_read_timeout(limits, seconds(40), 10 * 500), seconds(0));
  EXPECT_EQ(body_read_timeout(limits, seconds(40), 15 * 500), seconds(5));
  EXPECT_EQ(body_read_timeout(limits, seconds(40), 1'000'000), seconds(30)) << "never past the gap";
  EXPECT_EQ(body_read_timeout(limits, seconds(1), 250), seconds(29) + milliseconds(500));
  // A body the size of the largest limits: no overflow.
  EXPECT_EQ(body_read_timeout(limits, seconds(3600), std::uint64_t{1} << 40), seconds(30));
  limits.min_body_rate = 0;
  EXPECT_EQ(body_read_timeout(limits, std::chrono::hours(10), 0), seconds(30)) << "no floor";
}

TEST_F(RequestReaderTest, IdleKeepAliveConnectionIsClosedQuietly) {
  limits_.idle_timeout = milliseconds(100);
  limits_.header_timeout = std::chrono::seconds(60);  // must not be the one that applies
  const ReadResult result = read(/*first=*/false);
  EXPECT_EQ(result.status, Status::closed);
  EXPECT_FALSE(result.error);
}

TEST_F(RequestReaderTest, FirstRequestThatNeverStartsIsClosedQuietly) {
  limits_.header_timeout = milliseconds(100);
  limits_.idle_timeout = std::chrono::seconds(60);  // must not be the one that applies
  const ReadResult result = read(/*first=*/true);
  EXPECT_EQ(result.status, Status::closed);
  EXPECT_FALSE(result.error);
}

TEST_F(RequestReaderTest, PeerClosingBeforeARequestIsClosed) {
  client_.shutdown(tcp::socket::shutdown_send);
  const ReadResult result = read();
  EXPECT_EQ(result.status, Status::closed);
  EXPECT_FALSE(result.error);
}

// Empty lines start no request (RFC 9112 2.2): a peer that sends only those and leaves gets
// no 400 written to a socket nobody reads.
TEST_F(RequestReaderTest, PeerClosingAfterEmptyLinesOnlyIsClosed) {
  asio::co_spawn(io_, send("\r\n\r\n"), asio::detached);
  io_.poll();
  client_.shutdown(tcp::socket::shutdown_send);
  const ReadResult result = read();
  EXPECT_EQ(result.status, Status::closed);
  EXPECT_FALSE(result.error);
}

TEST_F(RequestReaderTest, PeerClosingInTheMiddleOfTheBodyIsClosed) {
  asio::co_spawn(io_, send("POST / HTTP/1.1\r\nHost: r\r\nContent-Length: 10\r\n\r\n0123"),
                 asio::detached);
  io_.poll();
  client_.shutdown(tcp::socket::shutdown_send);
  const ReadResult result = read();
  EXPECT_EQ(result.status, Status::closed);
}

// ---------------------------------------------------------------------------------------------
// Expect: 100-continue

TEST_F(RequestReaderTest, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  std::string interim;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await send(
            "POST /v1/audio/transcriptions HTTP/1.1\r\nHost: r\r\nExpect: 100-continue\r\n"
            "Content-Length: 5\r\n\r\n");
        // The body is sent only once the server asked for it.
        asio::streambuf in;
        auto [ec, n] = co_await asio::async_read_until(client_, in, "\r\n\r\n", kNoThrow);
        if (ec) co_return;
        interim.assign(asio::buffers_begin(in.data()), asio::buffers_begin(in.data()) + n);
        co_await send("hello");
      },
      asio::detached);
  const ReadResult result = read();
  EXPECT_THAT(interim, StartsWith("HTTP/1.1 100 Continue\r\n"));
  ASSERT_EQ(result.status, Status::request);
  EXPECT_EQ(request_.body(), "hello");
}

TEST_F(RequestReaderTest, ExpectContinueWithTooLargeABodyIsRefusedWithoutAnInterimResponse) {
  limits_.body_limit = [](const Request&) -> std::uint64_t { return 4; };
  const ReadResult result =
      exchange("POST / HTTP/1.1\r\nHost: r\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  expect_refused(result, 413);
  // Nothing was written to the client.
  client_.non_blocking(true);
  char byte;
  boost::system::error_code ec;
  client_.read_some(asio::buffer(&byte, 1), ec);
  EXPECT_EQ(ec, asio::error::would_block);
}

// ---------------------------------------------------------------------------------------------
// write_error

TEST_F(RequestReaderTest, WriteErrorSendsJsonAndClosesWhenAsked) {
  // write_error keeps a reference to the error: it must outlive the coroutine.
  const ApiError error(ErrorKind::payload_too_large, "too big");
  asio::co_spawn(io_, write_error(*server_, *deadline_, error, /*close=*/true), asio::detached);
  io_.run_for(kTestBound);
  asio::streambuf in;
  boost::system::error_code ec;
  asio::read(client_, in, ec);  // until the server's shutdown
  const std::string response(asio::buffers_begin(in.data()), asio::buffers_end(in.data()));
  EXPECT_THAT(response, StartsWith("HTTP/1.1 413 "));
  EXPECT_THAT(response, HasSubstr("Content-Type: application/json\r\n"));
  EXPECT_THAT(response, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(response, HasSubstr(R"("message":"too big")"));
  EXPECT_THAT(response, ::testing::Not(HasSubstr("WWW-Authenticate")));
}

TEST_F(RequestReaderTest, WriteErrorAsksForBearerOn401) {
  const ApiError error(ErrorKind::unauthorized, "no key");
  asio::co_spawn(io_, write_error(*server_, *deadline_, error, /*close=*/false), asio::detached);
  io_.run_for(kTestBound);
  const std::string header = client_reads_header();
  EXPECT_THAT(header, StartsWith("HTTP/1.1 401 "));
  EXPECT_THAT(header, HasSubstr("WWW-Authenticate: Bearer\r\n"));
  EXPECT_THAT(header, ::testing::Not(HasSubstr("Connection: close")));
}

}  // namespace
}  // namespace switchyard::http
