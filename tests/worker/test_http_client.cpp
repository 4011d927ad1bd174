#include "test_http_client.hpp"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace switchyard::test {
namespace {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

// Blocking reads give up after `timeout` (EAGAIN), so a hung worker fails a test, never hangs it.
void set_timeouts(tcp::socket& socket, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(socket.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void connect_and_send(tcp::socket& socket, std::uint16_t port, const std::string& method,
                      const std::string& target, const std::string& body,
                      std::chrono::milliseconds timeout,
                      const std::string& content_type = "application/json") {
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_timeouts(socket, timeout);
  bhttp::request<bhttp::string_body> request{bhttp::string_to_verb(method), target, 11};
  request.set(bhttp::field::host, "127.0.0.1");
  if (!body.empty()) request.set(bhttp::field::content_type, content_type);
  request.body() = body;
  request.prepare_payload();
  bhttp::write(socket, request);
}

}  // namespace

HttpResponse http_call(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  connect_and_send(socket, port, method, target, body, timeout);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  bhttp::read(socket, buffer, parser);
  const auto& response = parser.get();
  return {static_cast<int>(response.result_int()),
          std::string(response[bhttp::field::content_type]), response.body()};
}

HttpResponse http_post(std::uint16_t port, const std::string& target, const std::string& body,
                       const std::string& content_type, std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  connect_and_send(socket, port, "POST", target, body, timeout, content_type);
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 << 20);
  bhttp::read(socket, buffer, parser);
  const auto& response = parser.get();
  return {static_cast<int>(response.result_int()),
          std::string(response[bhttp::field::content_type]), response.body()};
}

void send_and_close(std::uint16_t port, const std::string& target, const std::string& body) {
  asio::io_context io;
  tcp::socket socket(io);
  connect_and_send(socket, port, "POST", target, body, std::chrono::seconds(5));
  boost::system::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

HttpResponse http_raw(std::uint16_t port, const std::string& raw,
                      std::chrono::milliseconds timeout) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  set_timeouts(socket, timeout);
  asio::write(socket, asio::buffer(raw));
  boost::beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  bhttp::read(socket, buffer, parser);
  const auto& response = parser.get();
  return {static_cast<int>(response.result_int()),
          std::string(response[bhttp::field::content_type]), response.body()};
}

StreamingCall::StreamingCall(std::uint16_t port, const std::string& target, const std::string& body,
                             std::chrono::milliseconds read_timeout,
                             const std::string& content_type)
    : socket_(io_), parser_(std::make_unique<bhttp::response_parser<bhttp::string_body>>()) {
  connect_and_send(socket_, port, "POST", target, body, read_timeout, content_type);
  parser_->body_limit(64 << 20);
  bhttp::read_header(socket_, buffer_, *parser_);
  status_ = static_cast<int>(parser_->get().result_int());
  content_type_ = std::string(parser_->get()[bhttp::field::content_type]);
}

StreamingCall::~StreamingCall() { abandon(); }

void StreamingCall::abandon() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

std::optional<std::string> StreamingCall::next_event() {
  for (;;) {
    const std::string& body = parser_->get().body();
    if (const auto end = body.find("\n\n", consumed_); end != std::string::npos) {
      std::string event = body.substr(consumed_, end - consumed_);
      consumed_ = end + 2;
      if (event.rfind("data: ", 0) == 0) event.erase(0, 6);
      return event;
    }
    if (parser_->is_done()) return std::nullopt;
    bhttp::read_some(socket_, buffer_, *parser_);
  }
}

std::vector<std::string> StreamingCall::rest() {
  std::vector<std::string> events;
  while (auto event = next_event()) events.push_back(std::move(*event));
  return events;
}

}  // namespace switchyard::test
