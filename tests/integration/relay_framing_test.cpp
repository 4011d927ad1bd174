// The relay writes the response head and the chunk framing itself (not through Beast's
// serializer): a worker's chunked answer, with chunk extensions and chunks of every size, and a
// content-length answer larger than one relay buffer reach the client byte for byte, correctly
// framed, a 204 ends with its header, an interim 1xx answer is not taken for the answer, bytes a
// worker sends past its answer never reach the next request, and the client connection carries
// the next request afterwards.
#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <atomic>
#include <cstdio>
#include <thread>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using namespace std::literals;

const std::string kBigBody = [] {
  std::string body;
  for (int i = 0; body.size() < 40'000; ++i) body += "line " + std::to_string(i) + "\n";
  return body;
}();
const std::vector<std::string> kChunks = {"{\"pieces\":[", std::string(3000, 'x'), "1,", "2]}"};

// The worker's side: a server that answers GET /health with 200 and each POST by what its body
// asks for ("chunked", "nocontent", "interim", "overlong", "late", "fields", "ssefields",
// "smuggle" or "big"), over keep-alive connections, until the test ends.
class ScriptedUpstream {
 public:
  ScriptedUpstream() : acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedUpstream() {
    stopping_ = true;
    send_late_bytes();  // a "late" answer that was never told to go on does now, and ends
    boost::system::error_code ignored;
    tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  // A "late" answer sends its extra bytes once told to, after the router has had its answer.
  void send_late_bytes() {
    late_bytes_go_ = true;
    late_bytes_go_.notify_all();
  }
  // Whether those bytes have gone out.
  bool late_bytes_sent() const { return late_bytes_sent_; }

 private:
  void serve() {
    std::vector<std::thread> connections;
    while (!stopping_) {
      tcp::socket socket(io_);
      boost::system::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stopping_) break;
      connections.emplace_back(
          [this, socket = std::move(socket)]() mutable { answer(socket); });
    }
    // The router has gone by now (it is destroyed first), so every connection has ended.
    for (auto& connection : connections) connection.join();
  }

  void answer(tcp::socket& socket) {
    std::string input;
    boost::system::error_code ec;
    for (;;) {
      const std::size_t head_end = asio::read_until(socket, asio::dynamic_buffer(input),
                                                    "\r\n\r\n", ec);
      if (ec) return;
      const std::string head = input.substr(0, head_end);
      std::size_t length = 0;
      if (const auto at = head.find("Content-Length: "); at != std::string::npos) {
        length = std::stoul(head.substr(at + 16));
      }
      while (input.size() < head_end + length) {
        char more[4096];
        const std::size_t n = socket.read_some(asio::buffer(more), ec);
        if (ec) return;
        input.append(more, n);
      }
      const std::string body = input.substr(head_end, length);
      input.erase(0, head_end + length);
      std::string reply;
      if (head.starts_with("GET")) {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      } else if (body.find("chunked") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n\r\n";
        for (const auto& chunk : kChunks) {
          char size[32];
          std::snprintf(size, sizeof(size), "%zX;ext=1\r\n", chunk.size());
          reply += size + chunk + "\r\n";
        }
        reply += "0\r\n\r\n";
      } else if (body.find("interim") != std::string::npos) {
        reply = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal";
      } else if (body.find("overlong") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale";
      } else if (body.find("late") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      } else if (body.find("smuggle") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n"
                "0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged";
      } else if (body.find("ssefields") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nCache-Control: max-age=60\r\nX-Accel-Buffering: yes\r\n"
                "Content-Type: text/event-stream\r\nX-Custom: kept\r\nContent-Length: 14\r\n\r\n"
                "data: [DONE]\n\n";
      } else if (body.find("fields") != std::string::npos) {
        reply = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                "Keep-Alive: timeout=5\r\nX-Request-Id: worker-id\r\nCache-Control: max-age=60\r\n"
                "X-Custom: a\r\nX-Accel-Buffering: yes\r\nx-custom: b\r\nContent-Length: 2\r\n"
                "\r\n{}";
      } else if (body.find("nocontent") != std::string::npos) {
        reply = "HTTP/1.1 204 No Content\r\nX-Kind: empty\r\n\r\n";
      } else {
        reply = "HTTP/1.1 201 Created\r\nContent-Type: text/plain\r\nContent-Length: " +
                std::to_string(kBigBody.size()) + "\r\n\r\n" + kBigBody;
      }
      asio::write(socket, asio::buffer(reply), ec);
      if (ec) return;
      if (body.find("late") != std::string::npos) {
        late_bytes_go_.wait(false);
        asio::write(socket, asio::buffer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nstale"sv),
                    ec);
        late_bytes_sent_ = true;
        if (ec) return;
      }
    }
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::atomic<bool> stopping_ = false;
  std::atomic<bool> late_bytes_go_ = false;
  std::atomic<bool> late_bytes_sent_ = false;
  std::thread thread_;
};

std::string request_asking(std::string_view what) {
  return R"({"model":"up","messages":[{"role":"user","content":")" + std::string(what) + "\"}]}";
}

// A whole request as the client sends it; the last of a connection asks to close it.
std::string raw_post(std::string_view what, bool last) {
  const std::string body = request_asking(what);
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
         "application/json\r\n" +
         std::string(last ? "Connection: close\r\n" : "") +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

std::string joined_chunks() {
  std::string all;
  for (const auto& chunk : kChunks) all += chunk;
  return all;
}

class RelayFramingTest : public ::testing::Test {
 protected:
  ScriptedUpstream upstream_;
  TestRouter router_{"  up:\n    url: http://127.0.0.1:" + std::to_string(upstream_.port()) +
                     "\n"};
  void SetUp() override { router_.wait_state("up", "ready"); }

  // What one client connection receives for a request asking for `what`, then one asking for
  // "big" that closes the connection.
  std::string then_big(std::string_view what) {
    bool closed = false;
    std::string raw = raw_exchange(router_.port(), raw_post(what, false) + raw_post("big", true),
                                   std::chrono::seconds(10), &closed);
    EXPECT_TRUE(closed);
    return raw;
  }
};

TEST_F(RelayFramingTest, ChunkedAnswerArrivesWholeAndRechunked) {
  const HttpResponse response =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("chunked"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.header("transfer-encoding"), "chunked");
  EXPECT_EQ(response.header("content-type"), "application/json");
  EXPECT_TRUE(response.header("x-request-id"));
  EXPECT_EQ(response.body, joined_chunks());
}

TEST_F(RelayFramingTest, AnswerLargerThanOneRelayBufferKeepsItsLengthAndStatus) {
  const HttpResponse response =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("big"));
  ASSERT_EQ(response.status, 201);
  EXPECT_EQ(response.header("content-length"), std::to_string(kBigBody.size()));
  EXPECT_FALSE(response.header("transfer-encoding"));
  EXPECT_EQ(response.body, kBigBody);
}

TEST_F(RelayFramingTest, ConnectionCarriesTheNextRequestAfterEachKindOfAnswer) {
  bool closed = false;
  const std::string raw = raw_exchange(
      router_.port(),
      raw_post("chunked", false) + raw_post("big", false) + raw_post("chunked", true),
      std::chrono::seconds(10), &closed);
  EXPECT_TRUE(closed);
  // Every answer is there, in order, each chunked one ending with its last chunk.
  const auto first = raw.find("HTTP/1.1 200 OK\r\n");
  const auto second = raw.find("HTTP/1.1 201 Created\r\n");
  const auto third = raw.find("HTTP/1.1 200 OK\r\n", second);
  ASSERT_NE(first, std::string::npos) << raw.substr(0, 500);
  ASSERT_NE(second, std::string::npos);
  ASSERT_NE(third, std::string::npos);
  EXPECT_LT(first, second);
  const std::string last_chunk = "\r\n0\r\n\r\n";
  EXPECT_EQ(raw.substr(second - last_chunk.size(), last_chunk.size()), last_chunk);
  EXPECT_EQ(raw.substr(third - kBigBody.size(), kBigBody.size()), kBigBody);
  EXPECT_TRUE(raw.ends_with("2]}\r\n0\r\n\r\n")) << raw.substr(raw.size() - 50);
}

// The worker's end-to-end fields reach the client as sent, same-named ones in order; its
// connection-level fields and its request id do not, and the framing is the relay's.
TEST_F(RelayFramingTest, WorkerFieldsPassOnButConnectionLevelOnesDoNot) {
  const std::string raw = then_big("fields");
  const std::string head = raw.substr(0, raw.find("\r\n\r\n") + 4);
  ASSERT_TRUE(head.starts_with("HTTP/1.1 200 OK\r\n")) << head;
  for (const char* kept : {"Content-Type: application/json\r\n", "Cache-Control: max-age=60\r\n",
                           "X-Accel-Buffering: yes\r\n", "Content-Length: 2\r\n"}) {
    EXPECT_NE(head.find(kept), std::string::npos) << kept << " in " << head;
  }
  const auto a = head.find("X-Custom: a\r\n");
  const auto b = head.find("x-custom: b\r\n");
  ASSERT_NE(a, std::string::npos) << head;
  EXPECT_LT(a, b) << head;
  for (const char* dropped : {"Keep-Alive", "keep-alive", "worker-id", "Connection"}) {
    EXPECT_EQ(head.find(dropped), std::string::npos) << dropped << " in " << head;
  }
  EXPECT_EQ(head.find("Content-Length"), head.rfind("Content-Length")) << head;
  EXPECT_EQ(head.find("X-Request-Id"), head.rfind("X-Request-Id")) << head;
  EXPECT_TRUE(raw.substr(head.size()).starts_with("{}HTTP/1.1 201 Created\r\n"))
      << raw.substr(head.size(), 100);
}

// An SSE answer is marked unbuffered and uncached whatever the worker said.
TEST_F(RelayFramingTest, EventStreamReplacesTheWorkersCachingFields) {
  const std::string raw = then_big("ssefields");
  const std::string head = raw.substr(0, raw.find("\r\n\r\n") + 4);
  EXPECT_NE(head.find("Cache-Control: no-cache\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Accel-Buffering: no\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Custom: kept\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("max-age"), std::string::npos) << head;
  EXPECT_EQ(head.find("yes"), std::string::npos) << head;
  EXPECT_NE(raw.find("data: [DONE]\n\n"), std::string::npos) << raw.substr(0, 300);
}

// An answer framed two ways at once is how responses are split: the client gets a 502, not
// either reading of it.
TEST_F(RelayFramingTest, AnswerWithTwoFramingsIsABadGateway) {
  const HttpResponse response =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("smuggle"));
  EXPECT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.body.find("forged"), std::string::npos) << response.body;
}

// A 204 relayed with chunked framing would hand the client a last chunk it reads as the start of
// the next response.
TEST_F(RelayFramingTest, NoContentAnswerEndsWithItsHeader) {
  const std::string raw = then_big("nocontent");
  ASSERT_TRUE(raw.starts_with("HTTP/1.1 204 No Content\r\n")) << raw.substr(0, 300);
  const std::string head = raw.substr(0, raw.find("\r\n\r\n") + 4);
  EXPECT_NE(head.find("X-Kind: empty\r\n"), std::string::npos) << head;
  EXPECT_EQ(head.find("Transfer-Encoding"), std::string::npos) << head;
  EXPECT_EQ(head.find("Content-Length"), std::string::npos) << head;
  EXPECT_TRUE(raw.substr(head.size()).starts_with("HTTP/1.1 201 Created\r\n"))
      << raw.substr(0, 400);
  EXPECT_TRUE(raw.ends_with(kBigBody));
}

TEST_F(RelayFramingTest, InterimAnswerIsSkippedForTheFinalOne) {
  const std::string raw = then_big("interim");
  ASSERT_TRUE(raw.starts_with("HTTP/1.1 200 OK\r\n")) << raw.substr(0, 300);
  const auto second = raw.find("HTTP/1.1 201 Created\r\n");
  ASSERT_NE(second, std::string::npos) << raw.substr(0, 300);
  const std::string first = raw.substr(0, second);
  EXPECT_TRUE(first.ends_with("\r\n\r\nfinal")) << first;
  EXPECT_EQ(first.find("Early Hints"), std::string::npos) << first;
  EXPECT_EQ(first.find("Link:"), std::string::npos) << first;
}

// The worker answers "ok" and then a whole second response nobody asked for. Pooled with those
// bytes, its connection would hand them to the next request as its answer.
TEST_F(RelayFramingTest, BytesPastTheAnswerDoNotReachTheNextRequest) {
  const HttpResponse first =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("overlong"));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "ok");
  const HttpResponse next =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("big"));
  EXPECT_EQ(next.status, 201) << next.body.substr(0, 100);
  EXPECT_EQ(next.body, kBigBody);
}

// The same bytes, sent after the answer, once the connection waits in the router's pool: the
// pool drops a connection that receives anything at rest.
TEST_F(RelayFramingTest, BytesArrivingAtAPooledConnectionDoNotReachTheNextRequest) {
  const HttpResponse first =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("late"));
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body, "ok");
  // The router has passed the answer on, so the connection is back in its pool (or, had the
  // bytes come with the answer, closed).
  upstream_.send_late_bytes();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!upstream_.late_bytes_sent() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(upstream_.late_bytes_sent());
  // On loopback they are in the router's socket once written. A round trip through the router
  // makes its event loop wait on epoll once more, which reports them (a request in the same pass
  // of the loop as their arrival would take the connection first, as in nginx).
  ASSERT_EQ(http_request(router_.port(), "GET", "/v1/models").status, 200);
  const HttpResponse next =
      http_request(router_.port(), "POST", "/v1/chat/completions", request_asking("big"));
  EXPECT_EQ(next.status, 201) << next.body.substr(0, 100);
  EXPECT_TRUE(next.body == kBigBody) << next.body.substr(0, 100);
}

}  // namespace
}  // namespace switchyard::test
