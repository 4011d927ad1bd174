#include "common/http/request_parser.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <vector>

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using namespace std::literals;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::size_t kHeaderLimit = 1024;

// Feeds `text` to a parser `piece` bytes at a time, as a socket might deliver it, keeping what
// the parser left unused in front of the next piece. Gives the last error: need_more while the
// request is incomplete.
error_code feed(RequestParser& parser, std::string_view text, std::size_t piece = SIZE_MAX) {
  std::string pending;
  error_code ec;
  for (std::size_t at = 0; at < text.size() && !parser.is_done();) {
    const std::size_t n = std::min(piece, text.size() - at);
    pending.append(text.substr(at, n));
    at += n;
    do {
      const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (used == 0) break;
    } while (!ec && !parser.is_done() && !pending.empty());
    if (ec && ec != bhttp::error::need_more) return ec;
  }
  return ec;
}

// What an eager parser makes of the whole of `text` at once.
error_code parse_whole(std::string_view text) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  return feed(parser, text);
}

TEST(RequestParser, ReadsTheStartLineAndKeepsEachFieldAsWritten) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  const std::string text =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\n"
      "Host: router\r\n"
      "Authorization: Bearer a\r\n"
      "X-Other: \tpadded \r\n"
      "authorization:Bearer b\r\n"
      "Content-Length: 2\r\n"
      "\r\n"
      "{}";
  EXPECT_FALSE(feed(parser, text));
  ASSERT_TRUE(parser.is_done());
  EXPECT_EQ(&parser.get(), &request);
  EXPECT_EQ(request.method(), bhttp::verb::post);
  EXPECT_EQ(request.method_string(), "POST");
  EXPECT_EQ(request.target(), "/v1/chat/completions?x=1");
  EXPECT_EQ(request.version(), 11u);
  EXPECT_EQ(request.body(), "{}");
  ASSERT_EQ(request.field_count(), 5u);
  const Request::Field other = request.field(2);
  EXPECT_EQ(other.id, FieldName::other);
  EXPECT_EQ(other.name, "X-Other");
  EXPECT_EQ(other.value, "padded");
  EXPECT_EQ(other.line, "X-Other: \tpadded \r\n");
  EXPECT_EQ(request[FieldName::host], "router");
  EXPECT_EQ(request[FieldName::content_type], "");
  EXPECT_THAT(request.values(FieldName::authorization), ElementsAre("Bearer a", "Bearer b"));
  std::vector<std::string_view> names;
  for (const Request::Field& field : request.fields()) names.push_back(field.name);
  EXPECT_THAT(names,
              ElementsAre("Host", "Authorization", "X-Other", "authorization", "Content-Length"));
}

TEST(RequestParser, TheSameRequestInPiecesOfEverySize) {
  const std::string text =
      "POST /a HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"
      "5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer-Field: x\r\n\r\n";
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    Request request;
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    EXPECT_FALSE(feed(parser, text, piece)) << piece;
    ASSERT_TRUE(parser.is_done()) << piece;
    EXPECT_EQ(parser.get().body(), "hello world") << piece;
    EXPECT_EQ(parser.get().target(), "/a") << piece;
    EXPECT_EQ(parser.get().field(2).line, "X-A: 1\r\n") << piece;
  }
}

TEST(RequestParser, StopsAfterTheHeaderUnlessEager) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  const std::string text = "POST /a HTTP/1.1\r\nHost: r\r\nContent-Length: 3\r\n\r\nabc";
  error_code ec;
  const std::size_t used = parser.put(boost::asio::buffer(text), ec);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_FALSE(parser.is_done());
  EXPECT_EQ(parser.content_length().value_or(0), 3u);
  EXPECT_EQ(parser.put(boost::asio::buffer(text.substr(used)), ec), 3u);
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().body(), "abc");
}

TEST(RequestParser, RequestWithoutFramingHasNoBody) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  EXPECT_FALSE(feed(parser, "GET /health HTTP/1.0\r\n\r\n"));
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(parser.get().version(), 10u);
  EXPECT_FALSE(parser.keep_alive());
}

TEST(RequestParser, EmptyLinesBeforeTheRequestLineAreIgnored) {
  const std::string text = "\r\n\r\nGET /a HTTP/1.1\r\nHost: r\r\n\r\n";
  for (std::size_t piece = 1; piece <= text.size(); ++piece) {
    Request request;
    RequestParser parser(kHeaderLimit, request);
    EXPECT_FALSE(feed(parser, text, piece)) << piece;
    ASSERT_TRUE(parser.is_done()) << piece;
    EXPECT_EQ(parser.get().target(), "/a");
  }
}

TEST(RequestParser, EmptyLinesAreUsedUpAsTheyCome) {
  // A peer sending nothing but empty lines does not make the reader keep them.
  Request request;
  RequestParser parser(kHeaderLimit, request);
  std::string crlfs;
  for (std::size_t i = 0; i < kHeaderLimit; ++i) crlfs += "\r\n";
  error_code ec;
  EXPECT_EQ(parser.put(boost::asio::buffer(crlfs), ec), crlfs.size());
  EXPECT_EQ(ec, bhttp::error::need_more);
  EXPECT_EQ(parser.put(boost::asio::buffer("\r"sv), ec), 0u);
  EXPECT_EQ(ec, bhttp::error::need_more);
}

// What the parser makes of a peer that sent `text` and then closed.
error_code closed_after(std::string_view text) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  error_code ec;
  parser.put(boost::asio::buffer(text), ec);
  parser.put_eof(ec);
  return ec;
}

// Nothing of a request has come with empty lines: the stream ends, no message is cut short.
TEST(RequestParser, EmptyLinesAloneStartNoRequest) {
  EXPECT_EQ(closed_after("\r\n\r\n"), bhttp::error::end_of_stream);
  EXPECT_EQ(closed_after("\r\n\r"), bhttp::error::end_of_stream);
  EXPECT_EQ(closed_after("\r\nG"), bhttp::error::partial_message);
}

TEST(RequestParser, UnknownMethodsKeepTheirName) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  EXPECT_FALSE(feed(parser, "BREW /pot HTTP/1.1\r\nHost: r\r\n\r\n"));
  EXPECT_EQ(parser.get().method(), bhttp::verb::unknown);
  EXPECT_EQ(parser.get().method_string(), "BREW");
}

TEST(RequestParser, MalformedStartLinesAreRefused) {
  const std::pair<std::string_view, bhttp::error> cases[] = {
      {"GE(T /a HTTP/1.1\r\n", bhttp::error::bad_method},
      {" /a HTTP/1.1\r\n", bhttp::error::bad_method},
      {"GET  HTTP/1.1\r\n", bhttp::error::bad_target},
      {"GET /a\x01 HTTP/1.1\r\n", bhttp::error::bad_target},
      {"GET /a\r\n", bhttp::error::bad_version},
      {"GET /a HTTP/2.0\r\n", bhttp::error::bad_version},
      {"GET /a HTTP/1.1 \r\n", bhttp::error::bad_version},
      {"GET /a http/1.1\r\n", bhttp::error::bad_version},
      {"GET /a HTTP/1.x\r\n", bhttp::error::bad_version},
      {"GET /a HTTP/1.1\n", bhttp::error::bad_version},
  };
  for (const auto& [line, expected] : cases) {
    EXPECT_EQ(parse_whole(std::string(line) + "Host: r\r\n\r\n"), expected) << line;
  }
}

TEST(RequestParser, MalformedFieldsAreRefused) {
  const std::pair<std::string_view, bhttp::error> cases[] = {
      {"No colon\r\n", bhttp::error::bad_field},
      {": empty name\r\n", bhttp::error::bad_field},
      {"Bad Name: x\r\n", bhttp::error::bad_field},
      {"X-A: 1\r\n folded\r\n", bhttp::error::bad_field},
      {"X-A: bare\nX-B: 2\r\n", bhttp::error::bad_field},
      {"X-A: nul\x01\r\n", bhttp::error::bad_value},
      {"X-A: cr\rinside\r\n", bhttp::error::bad_value},
      {std::string_view("X-A: nul\0inside\r\n", 17), bhttp::error::bad_value},
      {"X-A : space before the colon\r\n", bhttp::error::bad_field},
      {"X-A\t: tab before the colon\r\n", bhttp::error::bad_field},
      {"Content-Length: 1x\r\n", bhttp::error::bad_content_length},
      {"Content-Length: -1\r\n", bhttp::error::bad_content_length},
  };
  for (const auto& [field, expected] : cases) {
    EXPECT_EQ(parse_whole("POST /a HTTP/1.1\r\nHost: r\r\n" + std::string(field) + "\r\n"),
              expected)
        << field;
  }
}

TEST(RequestParser, AmbiguousFramingIsRefusedWithTheReason) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"Content-Length: 1\r\nContent-Length: 1\r\n", "several Content-Length"},
      {"Content-Length: 1\r\nTransfer-Encoding: chunked\r\n", "both Content-Length"},
      {"Transfer-Encoding: gzip, chunked\r\n", "unsupported Transfer-Encoding 'gzip, chunked'"},
      {"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "several Transfer"},
  };
  for (const auto& [fields, why] : cases) {
    Request request;
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    EXPECT_TRUE(feed(parser, "POST /a HTTP/1.1\r\nHost: r\r\n" + std::string(fields) + "\r\n"));
    ASSERT_TRUE(parser.refusal()) << fields;
    EXPECT_THAT(parser.refusal()->what(), HasSubstr(std::string(why)));
  }
}

TEST(RequestParser, HeaderLimitCountsTheWholeHeaderHoweverItArrives) {
  const std::string field = "X-Pad: " + std::string(100, 'p') + "\r\n";
  std::string text = "GET /a HTTP/1.1\r\nHost: r\r\n";
  while (text.size() < kHeaderLimit) text += field;
  text += "\r\n";
  for (const std::size_t piece : {std::size_t{7}, std::size_t{128}, text.size()}) {
    Request request;
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    EXPECT_EQ(feed(parser, text, piece), bhttp::error::header_limit) << piece;
  }
}

TEST(RequestParser, AHundredFieldsPassAndOneMoreIsRefusedWith431) {
  const auto with_fields = [](int count) {
    std::string text = "GET /a HTTP/1.1\r\nHost: r\r\n";
    for (int i = 1; i < count; ++i) text += "X-" + std::to_string(i) + ": v\r\n";
    return text + "\r\n";
  };
  constexpr std::size_t kRoomy = 16 * 1024;
  Request request;
  RequestParser hundred(kRoomy, request);
  EXPECT_FALSE(feed(hundred, with_fields(100)));
  EXPECT_EQ(request.field_count(), 100u);
  EXPECT_FALSE(hundred.refusal());

  RequestParser more(kRoomy, request);
  EXPECT_EQ(feed(more, with_fields(101)), bhttp::error::header_limit);
  ASSERT_TRUE(more.refusal());
  EXPECT_EQ(more.refusal()->status(), 431);
  EXPECT_THAT(more.refusal()->what(), HasSubstr("more than 100 header fields"));
}

// Found by the fuzzer: the room reserved for a body came from the client's Content-Length alone.
TEST(RequestParser, ABodyReservesNoMoreThanItsLimitOrSixtyFourMiB) {
  const std::string head =
      "POST /a HTTP/1.1\r\nHost: r\r\nContent-Length: 1000000000000000\r\n\r\n";
  Request request;
  RequestParser unlimited(kHeaderLimit, request);
  unlimited.eager(true);
  EXPECT_EQ(feed(unlimited, head + "xyz"), bhttp::error::need_more);
  EXPECT_EQ(request.body(), "xyz");
  EXPECT_LE(request.body().capacity(), 64u << 20);

  Request limited_request;
  RequestParser limited(kHeaderLimit, limited_request);
  limited.eager(true);
  limited.body_limit(1000);
  EXPECT_EQ(feed(limited, head + "xyz"), bhttp::error::need_more);
  EXPECT_LE(limited_request.body().capacity(), 1000u);
}

TEST(RequestParser, BodyPastTheLimitIsRefused) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  EXPECT_FALSE(feed(parser, "POST /a HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"));
  parser.body_limit(8);
  EXPECT_EQ(feed(parser, "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n"), bhttp::error::body_limit);
  EXPECT_EQ(parser.get().body(), "hello");
}

TEST(RequestParser, BadChunksAreRefused) {
  // 17 hex digits overflow 64 bits; "5 0" is two numbers; a bare LF may not hide in a quoted
  // chunk extension (trafficserver#10580, picohttpparser#78).
  for (std::string_view body :
       {"x\r\n", "5\r\nhelloX\r\n", "5 x\r\nhello\r\n", "\r\n", "1x\r\nh\r\n", "5 0\r\nhello\r\n",
        "10000000000000005\r\nhello\r\n", "5;ext=\"a\nb\"\r\nhello\r\n", "5\nhello\r\n",
        "-5\r\nhello\r\n", "0x5\r\nhello\r\n"}) {
    Request request;
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    EXPECT_EQ(feed(parser, "POST /a HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n" +
                               std::string(body)),
              bhttp::error::bad_chunk)
        << body;
  }
}

TEST(Request, MadeInCode) {
  Request request(bhttp::verb::post, "/v1/embeddings");
  request.insert("Content-Type", "application/json");
  request.insert("X-Request-Id", "abc");
  EXPECT_EQ(request.method_string(), "POST");
  EXPECT_EQ(request.target(), "/v1/embeddings");
  EXPECT_EQ(request.version(), 11u);
  EXPECT_EQ(request[FieldName::content_type], "application/json");
  EXPECT_EQ(request[FieldName::x_request_id], "abc");
  EXPECT_EQ(request.field(1).line, "X-Request-Id: abc\r\n");
}

TEST(Request, FieldsSurviveAMove) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  EXPECT_FALSE(feed(parser, "GET / HTTP/1.1\r\nHost: r\r\n\r\n"));
  const Request moved = std::move(request);
  EXPECT_EQ(moved[FieldName::host], "r");
  EXPECT_EQ(moved.target(), "/");
}

// A connection reads each request into the same Request: nothing of the one before may show.
TEST(Request, ReadIntoAUsedOneKeepsNothingOfTheLast) {
  Request request;
  {
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    ASSERT_FALSE(feed(parser,
                      "POST /first HTTP/1.1\r\nHost: r\r\nAuthorization: Bearer a\r\n"
                      "Content-Length: 5\r\n\r\nhello"));
  }
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  ASSERT_FALSE(feed(parser, "GET /second HTTP/1.0\r\nX-A: 1\r\n\r\n"));
  EXPECT_EQ(request.method(), bhttp::verb::get);
  EXPECT_EQ(request.target(), "/second");
  EXPECT_EQ(request.version(), 10u);
  ASSERT_EQ(request.field_count(), 1u);
  EXPECT_EQ(request.field(0).line, "X-A: 1\r\n");
  EXPECT_EQ(request[FieldName::authorization], "");
  EXPECT_EQ(request.body(), "");
}

// What an idle connection holds on to between requests: a usual JSON body's room, not an
// upload's.
TEST(Request, ClearKeepsTheRoomOfAUsualBodyOnly) {
  Request request;
  request.body().assign(4096, 'x');
  const std::size_t usual = request.body().capacity();
  request.clear();
  EXPECT_EQ(request.body().capacity(), usual);
  request.body().assign(1 << 20, 'x');
  request.clear();
  EXPECT_LT(request.body().capacity(), 64u * 1024);
}

}  // namespace
}  // namespace switchyard::http
