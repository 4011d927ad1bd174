// A blocking HTTP/1.1 client for black-box tests against 127.0.0.1: whole requests, SSE streams
// read event by event with their arrival time, and raw byte exchanges for framing attacks.
// Every call takes a deadline; nothing here waits forever.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace switchyard::test {

// Request headers in sending order; a name may repeat.
using Headers = std::vector<std::pair<std::string, std::string>>;
// Response headers; names lowercased.
using HeaderMap = std::multimap<std::string, std::string>;

struct HttpResponse {
  int status = 0;
  HeaderMap headers;
  std::string body;

  nlohmann::json json() const;  // throws nlohmann::json::parse_error when the body is not JSON
  // First value of the header `name` (any case), if present.
  std::optional<std::string> header(std::string_view name) const;
};

// One request on a fresh connection to 127.0.0.1:port, read to the end of the response.
// A non-empty body gets Content-Type: application/json unless `headers` names one; Content-Length
// is computed unless `headers` sets Content-Length or Transfer-Encoding.
// Throws std::runtime_error on connect failure, a broken response, or when `timeout` passes.
HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body = {}, const Headers& headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));

struct SseEvent {
  std::string data;   // the event's data: lines joined by '\n' (e.g. "[DONE]")
  std::string event;  // its event: name; empty when none
  std::chrono::steady_clock::time_point received;  // when its last byte was read
};

// Why an SseStream has no more events to give.
enum class StreamEnd { open, complete, connection_lost, timed_out, closed_by_client };

// Sends one request and reads the response incrementally, so a test sees each event when it
// arrives. Works for non-SSE answers too: status(), headers() and body() show e.g. a JSON error.
class SseStream {
 public:
  // Connects, sends the request (as http_request does) and reads the response header.
  // Throws std::runtime_error when that fails or `timeout` passes first.
  SseStream(std::uint16_t port, std::string_view method, std::string_view target,
            std::string_view body = {}, const Headers& headers = {},
            std::chrono::milliseconds timeout = std::chrono::seconds(10));
  SseStream(const SseStream&) = delete;
  SseStream& operator=(const SseStream&) = delete;

  int status() const { return status_; }
  const HeaderMap& headers() const { return headers_; }
  const std::string& body() const { return body_; }  // every body byte received so far
  StreamEnd end() const { return end_; }

  // The next complete event; nullopt once the response ended, the connection dropped, close()
  // was called, or `timeout` passed (end() tells which; a timeout also ends the stream).
  std::optional<SseEvent> next_event(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Drops the connection at once, mid-stream if need be, as a departing client would.
  void close();

 private:
  void read_more(std::chrono::steady_clock::time_point deadline);
  void parse_lines(std::chrono::steady_clock::time_point received);

  boost::asio::io_context io_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  boost::beast::http::response_parser<boost::beast::http::buffer_body> parser_;
  int status_ = 0;
  HeaderMap headers_;
  std::string body_;
  std::size_t parsed_ = 0;  // body_ up to here has been split into lines
  SseEvent pending_;        // the event whose lines are being read
  bool pending_has_data_ = false;
  std::deque<SseEvent> ready_;
  StreamEnd end_ = StreamEnd::open;
};

// Writes `raw` as is, then reads until the server closes the connection or `timeout` passes,
// returning every byte read. `server_closed`, when given, says whether the server closed (or
// reset) the connection rather than the timeout ending the read. Throws if it cannot connect.
std::string raw_exchange(std::uint16_t port, std::string_view raw,
                         std::chrono::milliseconds timeout = std::chrono::seconds(5),
                         bool* server_closed = nullptr);

}  // namespace switchyard::test
