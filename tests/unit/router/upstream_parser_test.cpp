#include "router/proxy/upstream_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>

namespace switchyard::proxy {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

class UpstreamParserTest : public ::testing::Test {
 protected:
  // Feeds `text` to the parser; gives how much it used.
  std::size_t put(std::string_view text, error_code& ec) {
    return parser_.put(boost::asio::buffer(text.data(), text.size()), ec);
  }
  void put_header(std::string_view head) {
    error_code ec;
    EXPECT_EQ(put(head, ec), head.size());
    EXPECT_FALSE(ec) << ec.message();
    ASSERT_TRUE(parser_.is_header_done());
  }

  PassedFields fields_{"stale general\r\n", "stale caching\r\n"};
  UpstreamParser parser_{fields_};
};

TEST_F(UpstreamParserTest, KeepsStatusReasonAndVersion) {
  put_header("HTTP/1.0 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(parser_.status(), 418u);
  EXPECT_EQ(parser_.reason(), "I'm a teapot");
  EXPECT_EQ(parser_.version(), 10u);
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(UpstreamParserTest, PassesEndToEndFieldsAsSentAndDropsTheRest) {
  put_header(
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/json\r\n"
      "Connection: keep-alive\r\n"
      "keep-alive: timeout=5\r\n"
      "X-Request-Id: the-workers\r\n"
      "Set-Cookie: a=1\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Proxy-Authenticate: Basic\r\n"
      "Upgrade: h2c\r\n"
      "set-cookie: b=2\r\n"
      "Cache-Control: max-age=5\r\n"
      "X-Accel-Buffering: yes\r\n"
      "X-Other: \tpadded \r\n"
      "\r\n");
  EXPECT_EQ(fields_.general,
            "Content-Type: application/json\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
            "X-Other: padded\r\n");
  EXPECT_EQ(fields_.caching, "Cache-Control: max-age=5\r\nX-Accel-Buffering: yes\r\n");
  EXPECT_TRUE(parser_.chunked());
  EXPECT_TRUE(parser_.keep_alive());
}

TEST_F(UpstreamParserTest, ContentLengthIsLeftToTheRelay) {
  put_header("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(fields_.general, "");
  EXPECT_EQ(parser_.content_length().value_or(0), 3u);
}

TEST_F(UpstreamParserTest, TellsAnEventStreamByItsContentType) {
  put_header("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\r\n");
  EXPECT_TRUE(parser_.is_event_stream());
}

TEST_F(UpstreamParserTest, OtherContentTypesAreNoEventStream) {
  put_header("HTTP/1.1 200 OK\r\nContent-Type: text/event\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(parser_.is_event_stream());
}

TEST_F(UpstreamParserTest, ConnectionCloseIsKnownThoughNotPassedOn) {
  put_header("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_FALSE(parser_.keep_alive());
  EXPECT_EQ(fields_.general, "");
}

TEST_F(UpstreamParserTest, BodyWaitsForAWindow) {
  put_header("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  error_code ec;
  EXPECT_EQ(put("hello", ec), 0u);
  EXPECT_EQ(ec, bhttp::error::need_buffer);
}

TEST_F(UpstreamParserTest, BodyFillsTheWindowThenStops) {
  put_header("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n");
  char window[3];
  parser_.body() = {window, sizeof window};
  error_code ec;
  EXPECT_EQ(put("hello", ec), 3u);
  EXPECT_EQ(ec, bhttp::error::need_buffer);
  EXPECT_EQ(std::string(window, 3), "hel");
  EXPECT_EQ(parser_.body().size, 0u);

  char rest[8];
  parser_.body() = {rest, sizeof rest};
  EXPECT_EQ(put("lo", ec), 2u);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::string(rest, 2), "lo");
  EXPECT_EQ(parser_.body().size, 6u);
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(UpstreamParserTest, ChunkedBodyArrivesWithoutItsFraming) {
  put_header("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  parser_.eager(true);
  char window[32];
  parser_.body() = {window, sizeof window};
  error_code ec;
  const std::string body = "3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  EXPECT_EQ(put(body, ec), body.size());
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(std::string(window, sizeof window - parser_.body().size), "abcde");
  EXPECT_TRUE(parser_.is_done());
}

TEST_F(UpstreamParserTest, MalformedHeaderIsAnError) {
  error_code ec;
  put("HTTP/1.1 200 OK\r\nBad Field: x\r\n\r\n", ec);
  EXPECT_TRUE(ec);
}

}  // namespace
}  // namespace switchyard::proxy
