// Request smuggling and desync cases (catalogue item H10): the request classes of
// aws/http-desync-guardian's severe, ambiguous and bad-header-characters lists, written here as
// our own requests, one or a few per rule, against the request parser. Rules that
// request_parser_test, check_framing_test and the integration SmugglingTest already hold
// (Content-Length with chunked, two Content-Lengths, chunked twice, gzip, Transfer-Encoding on
// HTTP/1.0, most bad chunk sizes) are not repeated here.
//
// What a request the guardian calls severe or ambiguous must get from us: an error from the
// parser (the reader answers 400 and closes), or, where the request is valid HTTP/1.1 and
// harmless, a parse with one framing that every conforming reader agrees on. Each case is fed
// whole and in small pieces: the verdict may not depend on how the bytes arrive.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <optional>
#include <string>

#include "common/http/request_parser.hpp"

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;
using namespace std::literals;
using ::testing::HasSubstr;

constexpr std::size_t kHeaderLimit = 1024;
constexpr std::size_t kPieces[] = {1, 3, SIZE_MAX};

// A request that would be counted if a parser took it for a second one.
constexpr std::string_view kNext = "GET /next HTTP/1.1\r\nHost: r\r\n\r\n";

struct Outcome {
  error_code ec;  // the last error: none once the request is complete
  std::optional<ApiError> refusal;
  bool done = false;
  std::string body;
  std::size_t used = 0;  // the bytes the request took; what follows is the next request's
};

// Feeds `text` to an eager parser `piece` bytes at a time, as a socket might deliver it, keeping
// what the parser left unused in front of the next piece (request_parser_test's way).
Outcome parse(std::string_view text, std::size_t piece) {
  Request request;
  RequestParser parser(kHeaderLimit, request);
  parser.eager(true);
  Outcome out;
  std::string pending;
  for (std::size_t at = 0; at < text.size() && !parser.is_done();) {
    const std::size_t n = std::min(piece, text.size() - at);
    pending.append(text.substr(at, n));
    at += n;
    for (;;) {
      const std::size_t used = parser.put(boost::asio::buffer(pending), out.ec);
      pending.erase(0, used);
      out.used += used;
      if (used == 0 || out.ec || parser.is_done() || pending.empty()) break;
    }
    if (out.ec && out.ec != bhttp::error::need_more) break;
  }
  out.refusal = parser.refusal();
  out.done = parser.is_done();
  out.body = request.body();
  return out;
}

const std::string kPost = "POST /v1/chat/completions HTTP/1.1\r\nHost: r\r\n";

// The request is refused by the parser with `expected`, however it arrives.
void expect_error(std::string_view text, bhttp::error expected) {
  for (const std::size_t piece : kPieces) {
    const Outcome out = parse(text, piece);
    EXPECT_EQ(out.ec, expected) << piece << ": " << text;
    EXPECT_FALSE(out.done) << piece << ": " << text;
  }
}

// The request is refused for its framing (check_framing) with a reason naming `why`.
void expect_refusal(std::string_view text, std::string_view why) {
  for (const std::size_t piece : kPieces) {
    const Outcome out = parse(text, piece);
    EXPECT_EQ(out.ec, bhttp::error::bad_transfer_encoding) << piece << ": " << text;
    ASSERT_TRUE(out.refusal) << piece << ": " << text;
    EXPECT_EQ(out.refusal->status(), 400);
    EXPECT_THAT(out.refusal->what(), HasSubstr(std::string(why))) << text;
  }
}

// `request` followed by kNext parses as `request` alone, with `body`: its framing ends where
// every conforming reader ends it, and the next request is left whole.
void expect_framed(const std::string& request, std::string_view body) {
  const std::string text = request + std::string(kNext);
  for (const std::size_t piece : kPieces) {
    const Outcome out = parse(text, piece);
    EXPECT_FALSE(out.ec) << piece << ": " << out.ec.message() << ": " << request;
    EXPECT_TRUE(out.done) << piece << ": " << request;
    EXPECT_EQ(out.body, body) << piece << ": " << request;
    EXPECT_EQ(out.used, request.size()) << piece << ": " << request;
  }
}

// Content-Length values other than one plain decimal (guardian: severe). A list, two numbers, a
// fraction, a number past 64 bits, a sign or a control or non-ASCII byte next to the digits: a
// reader that takes the first number, or wraps, frames the body differently. Refused.
TEST(Desync, ContentLengthThatIsNotOneDecimalIsRefused) {
  for (const std::string_view value :
       {"100,100"sv, "100, 100"sv, "100 100"sv, "100.100"sv, "18446744073709551616"sv,
        "18446744073709551621"sv, "+5"sv, "0x10"sv, ""sv, "\"5\""sv, "5\xa0"sv,
        "\xa0"
        "5"sv}) {
    expect_error(kPost + "Content-Length: " + std::string(value) + "\r\n\r\n",
                 bhttp::error::bad_content_length);
  }
  // Control characters fail the field syntax before the value is read as a number.
  for (const std::string_view value : {"5\x11"sv,
                                       "\x01"
                                       "5"sv,
                                       "5\x01"sv, "5\0"sv}) {
    expect_error(kPost + "Content-Length: " + std::string(value) + "\r\n\r\n",
                 bhttp::error::bad_value);
  }
}

// Whitespace around the value is the field syntax's (OWS), and leading zeros are still one
// decimal: valid, and read the same by every reader. Framed by that length.
TEST(Desync, ContentLengthWithPaddingOrLeadingZerosFramesThatLength) {
  expect_framed(kPost + "Content-Length: \t5 \r\n\r\nhello", "hello");
  expect_framed(kPost + "Content-Length: 0005\r\n\r\nhello", "hello");
}

// Transfer-Encoding values other than exactly `chunked` (guardian: severe). An unknown coding, a
// coding after chunked, a near-miss name, or a stray byte around it leaves readers to disagree
// on whether the body is chunked. Refused: controls by the field syntax, the rest by
// check_framing.
TEST(Desync, TransferEncodingOtherThanChunkedIsRefused) {
  for (const std::string_view value :
       {"xchunked"sv, "chunked, identity"sv, "identity, chunked"sv, "chunked,chunked"sv,
        "chunked;x=1"sv, "\"chunked\""sv, "chun ked"sv,
        "\xa0"
        "chunked"sv,
        "chunked\xa0"sv}) {
    expect_refusal(kPost + "Transfer-Encoding: " + std::string(value) + "\r\n\r\n0\r\n\r\n",
                   "Transfer-Encoding");
  }
  for (const std::string_view value : {"chunked\x11"sv,
                                       "\x01"
                                       "chunked"sv,
                                       "chunked\x01"sv, "chunked\0"sv}) {
    expect_error(kPost + "Transfer-Encoding: " + std::string(value) + "\r\n\r\n0\r\n\r\n",
                 bhttp::error::bad_value);
  }
}

// Coding names are case-insensitive and the value may be padded: still one chunked coding that
// every reader agrees on. Framed as chunked.
TEST(Desync, ChunkedInAnyCaseOrPaddedIsChunked) {
  expect_framed(kPost + "Transfer-Encoding: \tCHUNKED \r\n\r\n5\r\nhello\r\n0\r\n\r\n", "hello");
}

// Content-Length beside a Transfer-Encoding that is not chunked (guardian: ambiguous). Refused
// for having both, whatever the coding.
TEST(Desync, ContentLengthBesideAnyTransferEncodingIsRefused) {
  expect_refusal(kPost + "Transfer-Encoding: gzip\r\nContent-Length: 5\r\n\r\nhello", "both");
}

// A framing field whose name is damaged by whitespace, a control or a non-ASCII byte
// (guardian: ambiguous, SuspiciousHeader). A reader that strips or ignores the odd byte sees
// Transfer-Encoding or Content-Length; one that does not sees another field. A field name is a
// token: refused, also when a good Content-Length stands beside it.
TEST(Desync, FramingFieldNameWithAStrayByteIsRefused) {
  for (const std::string_view name : {
           "Transfer-Encoding "sv,
           "Transfer-Encoding\t"sv,
           " Transfer-Encoding"sv,
           "\tTransfer-Encoding"sv,
           "Transfer- Encoding"sv,
           "Transfer-Encoding x"sv,
           "transfer-encoding XY"sv,
           "Transfer-Encoding \x01"sv,
           "\x01Transfer-Encoding"sv,
           "\x01\x01Transfer-Encoding"sv,
           "Transfer-Encoding\x01"sv,
           "Transfer-Encoding\x88"sv,
           "Tran\xc5\xbf"
           "fer-Encoding"sv,              // U+017F, long s
           "Transfer-Encod\xc4\xb1ng"sv,  // U+0131, dotless i
           "Transfer\xe2\x80\x95"
           "Encoding"sv,                       // U+2015, horizontal bar
           "\xe2\x80\x83Transfer-Encoding"sv,  // U+2003, em space
           "\0Transfer-Encoding"sv,
           "Transfer-Encoding\0"sv,
       }) {
    expect_error(kPost + std::string(name) + ": chunked\r\n\r\n0\r\n\r\n", bhttp::error::bad_field);
    expect_error(kPost + std::string(name) + ": chunked\r\nContent-Length: 5\r\n\r\nhello",
                 bhttp::error::bad_field);
  }
  for (const std::string_view name : {
           "Content-Length "sv,
           " Content-Length"sv,
           "\x01"
           "Content-Length"sv,
           "\x01\x01"
           "Content-Length"sv,
           "Content-Length\x01"sv,
           "\xa0"
           "Content-Length"sv,
           "Content-Length\xc2\xa0"sv,  // U+00A0, no-break space
           "Content-Length\r"sv,
       }) {
    expect_error(kPost + std::string(name) + ": 5\r\nContent-Length: 3\r\n\r\nhello",
                 bhttp::error::bad_field);
  }
}

// Names no parser reads as a framing field, though they look like one: `_` and repeated `-` are
// token characters, so these are valid, ordinary fields (guardian: ambiguous, for servers that
// fold `_` into `-`). They frame nothing: the request has no body and what follows is the next
// request.
TEST(Desync, LookalikeFramingNamesAreOrdinaryFields) {
  for (const std::string_view name : {"Transfer_Encoding"sv, "Content_Length"sv,
                                      "Transfer---Encoding"sv, "Transfer___Encoding"sv}) {
    expect_framed(kPost + std::string(name) + ": 5\r\n\r\n", "");
  }
}

// A field name that is empty or only whitespace (guardian: ambiguous, EmptyHeader): refused.
TEST(Desync, FieldNameOfWhitespaceOnlyIsRefused) {
  expect_error(kPost + "  \t\t : chunked\r\nContent-Length: 5\r\n\r\nhello",
               bhttp::error::bad_field);
  expect_error(kPost + ":X:Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\nhello",
               bhttp::error::bad_field);
}

// Folded field lines (obs-fold; guardian: severe). A reader that unfolds sees one field, one that
// splits on each line sees a second, e.g. a Transfer-Encoding. Refused, whether the fold carries
// a framing field, continues one, or is introduced by a bare LF.
TEST(Desync, FoldedFramingFieldsAreRefused) {
  expect_error(kPost + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", bhttp::error::bad_field);
  expect_error(kPost + "Transfer-Encoding: chunked\r\n\t, identity\r\n\r\n0\r\n\r\n",
               bhttp::error::bad_field);
  expect_error(kPost + "Content-Length: 5\r\nX-A: a\r\n Transfer-Encoding: chunked\r\n\r\nhello",
               bhttp::error::bad_field);
  expect_error(kPost + "Content-Length: 5\r\nX-A: a\n Transfer-Encoding: chunked\r\n\r\nhello",
               bhttp::error::bad_field);
}

// CR, LF and NUL where a line does not end (guardian: severe). A reader that takes a bare CR or
// LF for a line end sees the rest as a field of its own, e.g. a second Content-Length. Refused:
// in a name as a bad field, in a value as a bad value, and lines ended by a bare LF or by CR CR
// LF as bad fields.
TEST(Desync, BareCrLfOrNulInAFieldIsRefused) {
  const std::pair<std::string, bhttp::error> cases[] = {
      {"X-A\n: Content-Length: 9\r\n", bhttp::error::bad_field},
      {"X-A\0: 9\r\n"s, bhttp::error::bad_field},
      {"\0X-A: v\r\n"s, bhttp::error::bad_field},
      {"X-A: v\rContent-Length: 9\r\n", bhttp::error::bad_value},
      {"X-A: v\nContent-Length: 9\r\n", bhttp::error::bad_field},
      {"X-A: \0v\r\n"s, bhttp::error::bad_value},
      {"X-A: v\0\r\n"s, bhttp::error::bad_value},
      {"X-A: v\0Content-Length: 9\r\n"s, bhttp::error::bad_value},
      {"X-A: v\r\r\n", bhttp::error::bad_value},
      {"X-A: v\n", bhttp::error::bad_field},
  };
  for (const auto& [field, expected] : cases) {
    expect_error(kPost + "Content-Length: 5\r\n" + field + "\r\nhello", expected);
  }
  // The blank line that ends the header, as a bare LF or with a CR too many (a line of its own,
  // refused once the next request's blank line ends the header).
  expect_error(kPost + "Content-Length: 5\r\n\nhello", bhttp::error::bad_field);
  expect_error(kPost + "Content-Length: 5\r\n\r\r\nhello" + std::string(kNext),
               bhttp::error::bad_field);
}

// A method with a control character (guardian: severe): refused.
TEST(Desync, MethodWithAControlIsRefused) {
  expect_error("PO\x01ST /a HTTP/1.1\r\nHost: r\r\nContent-Length: 0\r\n\r\n",
               bhttp::error::bad_method);
}

// Framing on an HTTP/0.9 request line (guardian: ambiguous): HTTP/0.9 has no fields, so
// neither Content-Length nor Transfer-Encoding means anything there. We speak HTTP/1.x only:
// refused.
TEST(Desync, Http09RequestLineIsRefused) {
  expect_error("POST /a HTTP/0.9\r\nContent-Length: 5\r\n\r\nhello", bhttp::error::bad_version);
  expect_error("POST /a HTTP/0.9\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
               bhttp::error::bad_version);
}

// GET and HEAD with a body (guardian: ambiguous, for servers that ignore a GET's body and read it
// as the next request). RFC 9112 frames it the same as any other request, and the router answers
// GET and HEAD itself, passing no body on: framed, with the body read, so that none of it is
// taken for the next request.
TEST(Desync, GetOrHeadWithABodyIsFramedAndTheBodyReadPast) {
  const std::string smuggled(kNext);
  expect_framed("GET /v1/models HTTP/1.1\r\nHost: r\r\nContent-Length: " +
                    std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled,
                smuggled);
  expect_framed(
      "HEAD /v1/models HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n"
      "hello\r\n0\r\n\r\n",
      "hello");
}

// Chunk-size lines that other readers take differently: leading whitespace or a sign, a bare CR
// or a NUL in the line or its extension, data ended by a bare LF or CR. Refused as bad chunks.
TEST(Desync, ChunkFramingOtherReadersTakeDifferentlyIsRefused) {
  for (const std::string_view body : {
           " 5\r\nhello\r\n0\r\n\r\n"sv,
           "+5\r\nhello\r\n0\r\n\r\n"sv,
           "5\r\r\nhello\r\n0\r\n\r\n"sv,
           "5;a\rb\r\nhello\r\n0\r\n\r\n"sv,
           "5;a\0b\r\nhello\r\n0\r\n\r\n"sv,
           "5\r\nhello\n0\r\n\r\n"sv,
           "5\r\nhello\r0\r\n\r\n"sv,
           "0\n\n"sv,
       }) {
    expect_error(
        kPost + "Transfer-Encoding: chunked\r\n\r\n" + std::string(body) + std::string(kNext),
        bhttp::error::bad_chunk);
  }
}

// Leading zeros leave one size (chunk-size is 1*HEXDIG): a reader either takes that size or
// refuses the line, none takes another. Framed.
TEST(Desync, ChunkSizeWithLeadingZerosFramesThatSize) {
  expect_framed(
      kPost + "Transfer-Encoding: chunked\r\n\r\n000000000000000000005\r\nhello\r\n0\r\n\r\n",
      "hello");
}

// The trailer section after the last chunk is field lines, each ended by CRLF. A reader that
// accepts a bare LF as a line end (RFC 9112 2.2 lets it) ends the section at the first LF LF or
// LF CRLF, and takes what follows for the next request; one that waits for CRLF CRLF takes that
// request for trailers, and the two count requests differently. Refused, as is a trailer line
// that is not a field at all.
TEST(Desync, TrailerSectionThatIsNotFieldLinesIsRefused) {
  for (const std::string_view trailers : {
           "X-T: 1\n\r\n"sv,
           "\n"sv,
           "X-T: 1\r\n\n"sv,
           "X-T: 1\r\n folded\r\n\r\n"sv,
           "X-T: a\rb\r\n\r\n"sv,
           "X-T: a\0b\r\n\r\n"sv,
           "no colon\r\n\r\n"sv,
           "X T: 1\r\n\r\n"sv,
       }) {
    expect_error(kPost + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n" +
                     std::string(trailers) + std::string(kNext),
                 bhttp::error::bad_field);
  }
}

// Well-formed trailers end the body where every reader ends it.
TEST(Desync, WellFormedTrailersEndTheBody) {
  expect_framed(kPost +
                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n"
                    "X-U:\r\n\r\n",
                "hello");
}

}  // namespace
}  // namespace switchyard::http
