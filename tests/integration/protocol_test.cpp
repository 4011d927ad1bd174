// The HTTP front against hostile or broken clients (H1, H2, H4, H5, H7): oversized headers and
// bodies, ambiguous framing that could smuggle a request past the router, and slow headers.
// Each is refused with the right status and a closed connection, nothing reaches the worker,
// and the router keeps serving.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// A request the worker would count if it ever got it.
const std::string kSmuggled =
    "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
    "Content-Length: 13\r\n\r\n{\"model\":\"m\"}";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

int status_of(const std::string& response) {
  if (!response.starts_with("HTTP/1.1 ") || response.size() < 12) return 0;
  return std::stoi(response.substr(9, 3));
}

struct BadRequest {
  std::string name;
  std::string bytes;
  int status;
};

// gtest prints the parameter in test names and failures: the name says it all.
void PrintTo(const BadRequest& request, std::ostream* out) { *out << request.name; }

std::vector<BadRequest> smuggling_attempts() {
  const std::string start =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n";
  const std::string chunked_body = "0\r\n\r\n" + kSmuggled;
  return {
      {"ContentLengthAndChunked",
       start + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body, 400},
      {"ChunkedAndContentLength",
       start + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n" + chunked_body, 400},
      {"TwoContentLengths", start + "Content-Length: 3\r\nContent-Length: 5\r\n\r\n{}}" + kSmuggled,
       400},
      {"GzipTransferEncoding", start + "Transfer-Encoding: gzip\r\n\r\n" + kSmuggled, 400},
      {"ChunkedTwiceInOneHeader",
       start + "Transfer-Encoding: chunked, chunked\r\n\r\n" + chunked_body, 400},
      {"GzipThenChunked", start + "Transfer-Encoding: gzip, chunked\r\n\r\n" + chunked_body, 400},
      {"TwoTransferEncodingHeaders",
       start + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked_body,
       400},
      {"ChunkedOnHttp10",
       "POST /v1/chat/completions HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\n"
       "Transfer-Encoding: chunked\r\n\r\n" +
           chunked_body,
       400},
  };
}

class ProtocolTest : public ::testing::Test {
 protected:
  ProtocolTest()
      : router_(model_yaml("m"),
                "limits:\n"
                "  max_header_bytes: 4KiB\n"
                "  max_body_bytes: {text: 1KiB}\n"
                "  header_timeout: 500ms\n") {
    router_.wait_ready("m");
  }

  int worker_requests() { return router_.worker_stats("m")["requests"]; }

  // Sends `bytes` on a fresh connection; expects `status`, Connection: close and the server
  // closing the connection.
  void expect_refused(const std::string& bytes, int status) {
    bool closed = false;
    const std::string response = raw_exchange(router_.port(), bytes, 10s, &closed);
    EXPECT_EQ(status_of(response), status) << response;
    EXPECT_NE(lower(response).find("\r\nconnection: close\r\n"), std::string::npos) << response;
    EXPECT_TRUE(closed) << "the router kept the connection open after " << status;
  }

  void expect_still_serving() {
    const HttpResponse response = router_.chat("m");
    EXPECT_EQ(response.status, 200) << response.body;
  }

  TestRouter router_;
};

TEST_F(ProtocolTest, HeaderBlockOverTheLimitIs431) {
  const std::string filler(5000, 'x');
  expect_refused("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Filler: " + filler + "\r\n\r\n",
                 431);
  // Many small headers count the same as one big one.
  std::string many = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 200; ++i) many += "X-H" + std::to_string(i) + ": 0123456789abcdef\r\n";
  expect_refused(many + "\r\n", 431);
  expect_still_serving();
}

TEST_F(ProtocolTest, RequestLineOverTheLimitIs414AndMoreThanAHundredFieldsIs431) {
  expect_refused(
      "GET /v1/models?q=" + std::string(5000, 'q') + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 414);
  // A small header (1 KiB) with 101 fields.
  std::string many = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 100; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  expect_refused(many + "\r\n", 431);
  expect_still_serving();
}

// H3: chunk sizes that two parsers could read two ways are refused, and the connection closed:
// nothing after them can be trusted to start the next request.
TEST_F(ProtocolTest, BadChunkSizesAre400AndClose) {
  for (const char* chunk : {"1x\r\n", "5 0\r\n", "10000000000000005\r\n", "5;e=\"a\nb\"\r\n"}) {
    SCOPED_TRACE(chunk);
    expect_refused(
        std::string("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                    "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n") +
            chunk + "hello\r\n0\r\n\r\n",
        400);
  }
  expect_still_serving();
}

TEST_F(ProtocolTest, HeaderBlockSentInTwoPiecesCountsAsAWhole) {
  // Each piece is below the 4 KiB limit, together they are over it. Beast's header_limit only
  // bounds what it has not parsed yet: the fields of the first piece are consumed as they
  // arrive, so this got through before the router counted the whole block.
  const auto fields = [](char tag, std::size_t bytes) {
    std::string out;
    for (int i = 0; out.size() < bytes; ++i) {
      out += std::string("X-") + tag + std::to_string(i) + ": 0123456789abcdef\r\n";
    }
    return out;
  };
  RawConnection client(router_.port());
  client.send("GET /v1/models HTTP/1.1\r\nHost: localhost\r\n" + fields('a', 3500));
  // A slow client: the router reads the first piece on its own.
  std::string response = client.read_until_closed(100ms);
  if (response.empty()) {
    try {
      client.send(fields('b', 3000) + "\r\n");
    } catch (const std::system_error&) {
      // refused and closed already
    }
    response = client.read_until_closed(10s);
  }
  EXPECT_EQ(status_of(response), 431) << response.substr(0, 200);
  expect_still_serving();
}

TEST_F(ProtocolTest, ContentLengthOverTheBodyLimitIs413BeforeTheBodyIsSent) {
  const int before = worker_requests();
  // Only the header is sent: the answer must come without the router waiting for the body.
  expect_refused(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Content-Length: 1048576\r\n\r\n",
      413);
  EXPECT_EQ(worker_requests(), before);
  expect_still_serving();
}

TEST_F(ProtocolTest, ChunkedBodyGrowingPastTheLimitIs413) {
  const int before = worker_requests();
  const std::string piece = "{\"model\":\"m\",\"x\":\"" + std::string(1500, 'a') + "\"}";
  char size[16];
  std::snprintf(size, sizeof size, "%zx", piece.size());
  expect_refused(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n\r\n" +
          std::string(size) + "\r\n" + piece + "\r\n0\r\n\r\n",
      413);
  EXPECT_EQ(worker_requests(), before);
  expect_still_serving();
}

class SmugglingTest : public ProtocolTest, public ::testing::WithParamInterface<BadRequest> {};

TEST_P(SmugglingTest, AmbiguousFramingIs400AndNothingReachesTheWorker) {
  const int before = worker_requests();
  expect_refused(GetParam().bytes, GetParam().status);
  EXPECT_EQ(worker_requests(), before) << "a request got through to the worker";
  expect_still_serving();
  EXPECT_EQ(worker_requests(), before + 1);
}

INSTANTIATE_TEST_SUITE_P(Framing, SmugglingTest, ::testing::ValuesIn(smuggling_attempts()),
                         [](const auto& info) { return info.param.name; });

TEST_F(ProtocolTest, HeaderNotFinishedWithinHeaderTimeoutIs408) {
  const auto sent = Clock::now();
  // Half a header, then nothing.
  expect_refused("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: appl",
                 408);
  EXPECT_GE(Clock::now() - sent, 450ms);
  EXPECT_LT(Clock::now() - sent, 8s);
  expect_still_serving();
}

TEST_F(ProtocolTest, StillServesAfterEveryKindOfBadInput) {
  const int before = worker_requests();
  expect_refused("GET /v1/models HTTP/1.1\r\nHost: localhost\r\nX-Filler: " +
                     std::string(5000, 'x') + "\r\n\r\n",
                 431);
  expect_refused(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Length: 99999\r\n\r\n",
      413);
  for (const auto& attempt : smuggling_attempts()) {
    SCOPED_TRACE(attempt.name);
    expect_refused(attempt.bytes, attempt.status);
  }
  expect_refused("GET /v1/models HTTP/1.1\r\nHo", 408);
  expect_refused("GARBAGE\r\n\r\n", 400);
  expect_refused("GET /v1/models HTTP/1.1\r\n\r\n", 400);  // no Host
  EXPECT_EQ(worker_requests(), before);

  expect_still_serving();
  // Keep-alive still works too: two requests on one connection.
  const std::string body = R"({"model":"m"})";
  const std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string last =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  const std::string both = raw_exchange(router_.port(), request + last, 10s);
  std::size_t answers = 0;
  for (std::size_t at = both.find("HTTP/1.1 200"); at != std::string::npos;
       at = both.find("HTTP/1.1 200", at + 1)) {
    ++answers;
  }
  EXPECT_EQ(answers, 2u) << both;
  EXPECT_EQ(router_.model_status("m").value()["state"], "ready");
}

}  // namespace
}  // namespace switchyard::test
