// bench_upstream: the upstream every proxy in the benchmark stands in front of. One thread, one
// coroutine per keep-alive connection (Boost.Beast), no logging.
//
//   bench_upstream --port N [--host 127.0.0.1] [--sse-events 50] [--sse-interval-ms 20]
//
//   GET  /health   200 {"status":"ok"}
//   POST any path  a fixed ~400-byte chat.completion JSON; with "stream":true in the body, a chunked
//                  SSE stream of --sse-events events --sse-interval-ms apart, each
//                  {"seq":i,"t_us":<steady_clock µs at write>,...} padded to ~200 bytes, then
//                  data: [DONE]. t_us is CLOCK_MONOTONIC, comparable across local processes.
//
// Prints "listening on PORT" once bound (port 0 picks a free one).
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  int sse_events = 50;
  int sse_interval_ms = 20;
};

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A chat.completion of exactly 400 bytes (padded in the content).
std::string fixed_json() {
  std::string head =
      R"({"id":"chatcmpl-bench0000000000000000","object":"chat.completion","created":1700000000,)"
      R"("model":"bench","choices":[{"index":0,"message":{"role":"assistant","content":")";
  std::string tail =
      R"("},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12,)"
      R"("total_tokens":21}})";
  const std::size_t pad = 400 - head.size() - tail.size();
  return head + std::string(pad, 'x') + tail;
}

std::string sse_event(int seq) {
  char head[96];
  std::snprintf(head, sizeof(head), R"(data: {"seq":%d,"t_us":%lld,"pad":")", seq,
                static_cast<long long>(now_us()));
  std::string event = head;
  event.append(200 - event.size() - 4, 'y');
  event += "\"}\n\n";
  return event;
}

class Server {
 public:
  explicit Server(const Options& options) : options_(options), json_(fixed_json()) {}

  asio::awaitable<void> accept(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (ec) continue;
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), asio::detached);
    }
  }

 private:
  asio::awaitable<void> session(tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      auto [ec, n] = co_await http::async_read(socket, buffer, request, use_tuple);
      if (ec) break;
      bool open = false;
      if (request.method() == http::verb::get && request.target() == "/health") {
        open = co_await reply(socket, request, R"({"status":"ok"})");
      } else if (request.body().find("\"stream\":true") != std::string::npos ||
                 request.body().find("\"stream\": true") != std::string::npos) {
        open = co_await stream(socket, request);
      } else {
        open = co_await reply(socket, request, json_);
      }
      if (!open) break;
    }
    beast::error_code ignored;
    socket.shutdown(tcp::socket::shutdown_send, ignored);
  }

  asio::awaitable<bool> reply(tcp::socket& socket, const http::request<http::string_body>& request,
                              const std::string& body) {
    http::response<http::string_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = body;
    response.prepare_payload();
    auto [ec, n] = co_await http::async_write(socket, response, use_tuple);
    co_return !ec && response.keep_alive();
  }

  asio::awaitable<bool> stream(tcp::socket& socket, const http::request<http::string_body>& request) {
    http::response<http::empty_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, "text/event-stream");
    response.set(http::field::cache_control, "no-cache");
    response.keep_alive(request.keep_alive());
    response.chunked(true);
    http::response_serializer<http::empty_body> serializer{response};
    if (auto [ec, n] = co_await http::async_write_header(socket, serializer, use_tuple); ec) {
      co_return false;
    }
    asio::steady_timer timer(socket.get_executor());
    for (int seq = 0; seq < options_.sse_events; ++seq) {
      if (seq > 0) {
        timer.expires_after(std::chrono::milliseconds(options_.sse_interval_ms));
        if (auto [ec] = co_await timer.async_wait(use_tuple); ec) co_return false;
      }
      const std::string event = sse_event(seq);
      auto [ec, n] =
          co_await asio::async_write(socket, http::make_chunk(asio::buffer(event)), use_tuple);
      if (ec) co_return false;
    }
    static const std::string done = "data: [DONE]\n\n";
    auto [ec, n] = co_await asio::async_write(socket, http::make_chunk(asio::buffer(done)), use_tuple);
    if (ec) co_return false;
    std::tie(ec, n) = co_await asio::async_write(socket, http::make_chunk_last(), use_tuple);
    co_return !ec && response.keep_alive();
  }

  const Options options_;
  const std::string json_;
};

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = static_cast<unsigned short>(std::atoi(value));
    else if (flag == "--sse-events") options.sse_events = std::atoi(value);
    else if (flag == "--sse-interval-ms") options.sse_interval_ms = std::atoi(value);
    else {
      std::cerr << "bench_upstream: unknown flag " << flag << "\n";
      return 2;
    }
  }
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  const tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(4096);
  std::cout << "listening on " << acceptor.local_endpoint().port() << std::endl;
  Server server(options);
  asio::co_spawn(io, server.accept(acceptor), asio::detached);
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](auto, int) { io.stop(); });
  io.run();
  return 0;
}
