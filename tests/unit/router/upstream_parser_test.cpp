#include "router/proxy/upstream_parser.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>
#include <string>
#include <utility>

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

// Each field passes on byte for byte as the worker wrote it, optional whitespace included.
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
      "Access-Control-Allow-Origin: *\r\n"
      "access-control-allow-headers: *\r\n"
      "Access-Control-: not a CORS field\r\n"
      "\r\n");
  EXPECT_EQ(fields_.general,
            "Content-Type: application/json\r\nSet-Cookie: a=1\r\nset-cookie: b=2\r\n"
            "X-Other: \tpadded \r\n"
            "Access-Control-: not a CORS field\r\n");
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

// Whatever way the bytes are split between puts, the same body comes out: each split point of a
// chunked response with extensions, a chunk split over reads, and trailers.
TEST(UpstreamParserSplit, ChunkedResponseParsesTheSameAtEverySplit) {
  const std::string wire =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
      "5;name=value\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (std::size_t split = 0; split <= wire.size(); ++split) {
    SCOPED_TRACE(split);
    PassedFields fields;
    UpstreamParser parser(fields);
    parser.eager(true);
    char window[64];
    parser.body() = {window, sizeof window};
    std::string pending;
    for (const std::string_view piece :
         {std::string_view(wire).substr(0, split), std::string_view(wire).substr(split)}) {
      pending += piece;
      error_code ec;
      pending.erase(0, parser.put(boost::asio::buffer(pending), ec));
      if (ec) {
        ASSERT_EQ(ec, bhttp::error::need_more) << ec.message();
      }
    }
    EXPECT_TRUE(parser.is_done());
    EXPECT_EQ(pending, "");
    EXPECT_EQ(std::string(window, sizeof window - parser.body().size),
              "helloabcdefghijklmnopqrstuvwxyz");
    EXPECT_EQ(fields.general, "X-A: 1\r\n");
  }
}

TEST_F(UpstreamParserTest, HeaderArrivingInPiecesIsParsedOnceWhole) {
  error_code ec;
  EXPECT_EQ(put("HTTP/1.1 200 OK\r\nX-A: 1\r\n\r", ec), 0u);
  EXPECT_EQ(ec, bhttp::error::need_more);
  EXPECT_FALSE(parser_.is_header_done());
  const std::string whole = "HTTP/1.1 200 OK\r\nX-A: 1\r\n\r\nbody";
  EXPECT_EQ(put(whole, ec), whole.size() - 4);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(fields_.general, "X-A: 1\r\n");
}

TEST_F(UpstreamParserTest, NotEagerStopsAfterTheHeader) {
  error_code ec;
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
  EXPECT_EQ(put(head + "body", ec), head.size());
  EXPECT_FALSE(ec);
  EXPECT_FALSE(parser_.is_done());
}

TEST_F(UpstreamParserTest, BodyWithoutLengthEndsWhenTheWorkerCloses) {
  put_header("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n");
  EXPECT_FALSE(parser_.keep_alive());
  char window[16];
  parser_.body() = {window, sizeof window};
  error_code ec;
  EXPECT_EQ(put("all of it", ec), 9u);
  EXPECT_EQ(ec, bhttp::error::need_more);
  parser_.put_eof(ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_TRUE(parser_.is_done());
  EXPECT_EQ(std::string(window, 9), "all of it");
}

TEST_F(UpstreamParserTest, CloseBeforeTheEndOfALengthIsAPartialMessage) {
  put_header("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n");
  error_code ec;
  parser_.put_eof(ec);
  EXPECT_EQ(ec, bhttp::error::partial_message);
}

TEST_F(UpstreamParserTest, AnswersWithoutABodyEndWithTheirHeader) {
  for (const char* head : {"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
                           "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
                           "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"}) {
    SCOPED_TRACE(head);
    PassedFields fields;
    UpstreamParser parser(fields);
    error_code ec;
    const std::string text = std::string(head) + "HTTP/1.1 200 OK\r\n";
    EXPECT_EQ(parser.put(boost::asio::buffer(text), ec), std::strlen(head));
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_TRUE(parser.is_done());
  }
}

TEST_F(UpstreamParserTest, KeepAliveFollowsVersionAndConnection) {
  const auto keeps = [](std::string_view head) {
    PassedFields fields;
    UpstreamParser parser(fields);
    error_code ec;
    parser.put(boost::asio::buffer(head.data(), head.size()), ec);
    EXPECT_FALSE(ec) << head;
    return parser.keep_alive();
  };
  EXPECT_TRUE(keeps("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keeps("HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_FALSE(keeps("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"));
  EXPECT_TRUE(keeps("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"));
}

// Malformed responses: each is an error, never a guess at the framing.
TEST(UpstreamParserErrors, MalformedResponsesAreRefused) {
  const std::pair<const char*, bhttp::error> cases[] = {
      {"HTTP/2 200 OK\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.1 20 OK\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.1 099 Low\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", bhttp::error::bad_version},
      {"HTTP/1.1 200 OK\r\nNo-Colon\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\n: empty name\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nX-A: 1\nX-B: 2\r\n\r\n", bhttp::error::bad_field},
      {"HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", bhttp::error::bad_value},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", bhttp::error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
       bhttp::error::bad_content_length},
      {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
       bhttp::error::bad_transfer_encoding},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5 x\r\n", bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n",
       bhttp::error::bad_chunk},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", bhttp::error::bad_chunk},
  };
  for (const auto& [text, expected] : cases) {
    SCOPED_TRACE(text);
    PassedFields fields;
    UpstreamParser parser(fields);
    parser.eager(true);
    char window[8];
    parser.body() = {window, sizeof window};
    error_code ec;
    parser.put(boost::asio::buffer(std::string_view(text)), ec);
    EXPECT_EQ(ec, expected) << ec.message();
  }
}

TEST(UpstreamParserErrors, HeaderLongerThanTheLimitIsRefused) {
  PassedFields fields;
  UpstreamParser parser(fields);
  const std::string head =
      "HTTP/1.1 200 OK\r\nX-Big: " + std::string(UpstreamParser::kHeaderLimit, 'x') + "\r\n\r\n";
  error_code ec;
  parser.put(boost::asio::buffer(head), ec);
  EXPECT_EQ(ec, bhttp::error::header_limit);
}

TEST(UpstreamParserErrors, EndlessChunkExtensionIsRefused) {
  PassedFields fields;
  UpstreamParser parser(fields);
  parser.eager(true);
  const std::string wire = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
                           std::string(UpstreamParser::kChunkLineLimit, 'e');
  error_code ec;
  parser.put(boost::asio::buffer(wire), ec);
  EXPECT_EQ(ec, bhttp::error::bad_chunk);
}

}  // namespace
}  // namespace switchyard::proxy
