// Both parsers of the proxy against damaged messages: well-formed requests and responses with
// bytes changed, dropped, added and repeated at random (a fixed seed, so a failure repeats),
// delivered in random pieces, with a small body window or limit. Whatever the damage, a parser
// ends in an answer or an error, never reads or writes out of bounds (the sanitizer build runs
// this too), and never takes more bytes than it was given.
#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <random>
#include <string>

#include "common/http/request_parser.hpp"
#include "router/proxy/upstream_parser.hpp"

namespace switchyard {
namespace {

namespace bhttp = boost::beast::http;
using boost::system::error_code;

constexpr int kRounds = 20000;
constexpr std::string_view kAlphabet =
    "\r\n :;,0123456789abcdefABCDEF\t\x01\x7f\xff-/chunkedContent-LengthTransfer-Encoding";

std::string damaged(std::string text, std::mt19937& random) {
  const int changes = static_cast<int>(random() % 6);
  for (int i = 0; i < changes && !text.empty(); ++i) {
    const std::size_t at = random() % text.size();
    const char c = kAlphabet[random() % kAlphabet.size()];
    switch (random() % 4) {
      case 0:
        text[at] = c;
        break;
      case 1:
        text.erase(at, 1 + random() % 4);
        break;
      case 2:
        text.insert(at, 1, c);
        break;
      default:
        text.insert(at, text.substr(random() % text.size(), random() % 20));
        break;
    }
  }
  return text;
}

// Feeds `text` in random pieces; `refill` gives the parser room for body bytes when it asks.
template <class Parser, class Refill>
void feed(Parser& parser, std::string_view text, std::mt19937& random, Refill refill) {
  std::string pending;
  error_code ec;
  for (std::size_t at = 0; at < text.size() && !parser.is_done();) {
    const std::size_t n = std::min<std::size_t>(1 + random() % 40, text.size() - at);
    pending.append(text.substr(at, n));
    at += n;
    for (;;) {
      const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      ASSERT_LE(used, pending.size());
      pending.erase(0, used);
      if (ec == bhttp::error::need_buffer) {
        refill(parser);
        if (used == 0 && pending.empty()) break;
        continue;
      }
      if (ec || parser.is_done() || used == 0) break;
    }
    if (ec && ec != bhttp::error::need_more && ec != bhttp::error::need_buffer) return;
  }
  if (!parser.is_done()) parser.put_eof(ec);
}

TEST(ParserMutation, DamagedRequestsEndInARequestOrAnError) {
  const std::string requests[] = {
      "POST /v1/chat/completions HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
      "Authorization: Bearer x\r\n\r\nhello",
      "POST /a HTTP/1.1\r\nHost: r\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\n",
      "\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"};
  std::mt19937 random(6);
  int complete = 0;
  // One request for every round, as a connection has: nothing of a damaged one may stay behind.
  http::Request request;
  for (int round = 0; round < kRounds; ++round) {
    const std::string text = damaged(requests[random() % std::size(requests)], random);
    http::RequestParser parser(256, request);
    parser.eager(random() % 2 == 0);
    parser.body_limit(64);
    feed(parser, text, random, [](http::RequestParser&) {});
    std::size_t seen = 0;
    for (const http::Request::Field& field : parser.get().fields()) {
      seen += field.line.size();
      EXPECT_LE(field.value.size(), field.line.size());
    }
    EXPECT_LE(seen + parser.get().body().size(), text.size());
    complete += parser.is_done();
  }
  // The damage leaves many messages whole or still well-formed: the parse is exercised to the end.
  EXPECT_GT(complete, kRounds / 10);
}

TEST(ParserMutation, DamagedResponsesEndInAResponseOrAnError) {
  const std::string responses[] = {
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "6\r\ndata: \r\na\r\n0123456789\r\n0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nCache-Control: x\r\n\r\nabc",
      "HTTP/1.0 204 No Content\r\n\r\n", "HTTP/1.1 200 OK\r\n\r\nuntil close"};
  std::mt19937 random(7);
  char window[7];
  int complete = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string text = damaged(responses[random() % std::size(responses)], random);
    proxy::PassedFields fields;
    proxy::UpstreamParser parser(fields);
    parser.eager(true);
    feed(parser, text, random, [&](proxy::UpstreamParser& p) {
      p.body() = {window, 1 + random() % sizeof window};
    });
    EXPECT_LE(fields.general.size() + fields.caching.size(), text.size());
    complete += parser.is_done();
  }
  EXPECT_GT(complete, kRounds / 10);
}

}  // namespace
}  // namespace switchyard
