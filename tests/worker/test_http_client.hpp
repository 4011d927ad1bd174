// A small synchronous HTTP/1.1 client for the worker's black-box tests: whole responses, and
// streams read event by event with a deadline on every read.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::test {

struct HttpResponse {
  int status = 0;
  std::string content_type;
  std::string body;
  nlohmann::json json() const { return nlohmann::json::parse(body); }
};

// One request on a fresh connection; throws on a connection error or after `timeout`.
HttpResponse http_call(std::uint16_t port, const std::string& method, const std::string& target,
                       const std::string& body = {},
                       std::chrono::milliseconds timeout = std::chrono::seconds(30));

// A POST with the given Content-Type (multipart uploads, ...).
HttpResponse http_post(std::uint16_t port, const std::string& target, const std::string& body,
                       const std::string& content_type,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Sends `raw` bytes as they are and reads one response (for requests a well-behaved client
// would not send).
HttpResponse http_raw(std::uint16_t port, const std::string& raw,
                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Sends a request and closes the connection without reading the answer.
void send_and_close(std::uint16_t port, const std::string& target, const std::string& body);

// A request whose response is read incrementally (an SSE stream).
class StreamingCall {
 public:
  StreamingCall(std::uint16_t port, const std::string& target, const std::string& body,
                std::chrono::milliseconds read_timeout = std::chrono::seconds(30),
                const std::string& content_type = "application/json");
  ~StreamingCall();

  int status() const { return status_; }
  const std::string& content_type() const { return content_type_; }
  // The next SSE event's data ("[DONE]" included), or nothing at the end of the response.
  std::optional<std::string> next_event();
  // Every remaining event, until the end of the response.
  std::vector<std::string> rest();
  // Closes the connection without reading further (a client that goes away).
  void abandon();
  // Whole body when the response was not a stream (an error answered as JSON).
  std::string body_so_far() const { return parser_->get().body(); }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
  std::unique_ptr<boost::beast::http::response_parser<boost::beast::http::string_body>> parser_;
  std::size_t consumed_ = 0;  // bytes of the body already returned as events
  int status_ = 0;
  std::string content_type_;
};

}  // namespace switchyard::test
