#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <limits>
#include <stdexcept>
#include <type_traits>

namespace switchyard::test {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kResponseBodyLimit = 1ULL << 30;

struct OpResult {
  beast::error_code ec;
  std::size_t bytes = 0;
};

// Runs the one asynchronous operation that `initiate` starts on `io` to completion. Async
// operations (not blocking calls) because tcp_stream's deadline only applies to them.
template <class Initiate>
OpResult run(asio::io_context& io, Initiate&& initiate) {
  OpResult result;
  initiate([&result](beast::error_code ec, auto... rest) {
    result.ec = ec;
    if constexpr (sizeof...(rest) == 1 && (std::is_integral_v<decltype(rest)> && ...)) {
      result.bytes = (rest, ...);
    }
  });
  io.restart();
  io.run();
  return result;
}

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

HeaderMap header_map(const http::fields& fields) {
  HeaderMap map;
  for (const auto& field : fields) map.emplace(lowercase(field.name_string()), field.value());
  return map;
}

std::string describe(std::uint16_t port, std::string_view method, std::string_view target) {
  return std::string(method) + " " + std::string(target) + " on port " + std::to_string(port);
}

[[noreturn]] void fail(const std::string& what, std::string_view step, beast::error_code ec) {
  throw std::runtime_error(what + ": " + std::string(step) + ": " + ec.message());
}

void connect(asio::io_context& io, beast::tcp_stream& stream, std::uint16_t port,
             Clock::time_point deadline, const std::string& what) {
  const asio::ip::tcp::endpoint endpoint(asio::ip::address_v4::loopback(), port);
  stream.expires_at(deadline);
  const auto [ec, bytes] =
      run(io, [&](auto handler) { stream.async_connect(endpoint, std::move(handler)); });
  if (ec) fail(what, "connect", ec);
}

http::request<http::string_body> make_request(std::uint16_t port, std::string_view method,
                                              std::string_view target, std::string_view body,
                                              const Headers& headers) {
  http::request<http::string_body> request;
  if (const http::verb verb = http::string_to_verb(method); verb != http::verb::unknown) {
    request.method(verb);
  } else {
    request.method_string(method);
  }
  request.target(target);
  request.version(11);
  bool has_host = false;
  bool has_type = false;
  bool has_framing = false;
  for (const auto& [name, value] : headers) {
    request.insert(name, value);
    has_host |= beast::iequals(name, "host");
    has_type |= beast::iequals(name, "content-type");
    has_framing |=
        beast::iequals(name, "content-length") || beast::iequals(name, "transfer-encoding");
  }
  if (!has_host) request.set(http::field::host, "127.0.0.1:" + std::to_string(port));
  if (!body.empty() && !has_type) request.set(http::field::content_type, "application/json");
  request.body() = std::string(body);
  if (!has_framing) request.prepare_payload();
  return request;
}

}  // namespace

nlohmann::json HttpResponse::json() const { return nlohmann::json::parse(body); }

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  const auto it = headers.find(lowercase(name));
  return it == headers.end() ? std::nullopt : std::optional<std::string>(it->second);
}

HttpResponse http_request(std::uint16_t port, std::string_view method, std::string_view target,
                          std::string_view body, const Headers& headers,
                          std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const std::string what = describe(port, method, target);
  asio::io_context io;
  beast::tcp_stream stream(io);
  connect(io, stream, port, deadline, what);

  const auto request = make_request(port, method, target, body, headers);
  stream.expires_at(deadline);
  const OpResult written =
      run(io, [&](auto handler) { http::async_write(stream, request, std::move(handler)); });

  // Read even after a failed write: a server may answer (413, 401) and close before taking it all.
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  if (request.method() == http::verb::head) parser.skip(true);
  stream.expires_at(deadline);
  const OpResult read =
      run(io, [&](auto handler) { http::async_read(stream, buffer, parser, std::move(handler)); });
  if (read.ec) fail(what, written.ec ? "write" : "read", written.ec ? written.ec : read.ec);

  auto response = parser.release();
  return HttpResponse{static_cast<int>(response.result_int()), header_map(response),
                      std::move(response.body())};
}

SseStream::SseStream(std::uint16_t port, std::string_view method, std::string_view target,
                     std::string_view body, const Headers& headers,
                     std::chrono::milliseconds timeout)
    : stream_(io_) {
  const auto deadline = Clock::now() + timeout;
  const std::string what = describe(port, method, target);
  connect(io_, stream_, port, deadline, what);

  const auto request = make_request(port, method, target, body, headers);
  stream_.expires_at(deadline);
  const OpResult written =
      run(io_, [&](auto handler) { http::async_write(stream_, request, std::move(handler)); });

  parser_.body_limit(std::numeric_limits<std::uint64_t>::max());
  stream_.expires_at(deadline);
  const OpResult read = run(io_, [&](auto handler) {
    http::async_read_header(stream_, buffer_, parser_, std::move(handler));
  });
  if (read.ec) fail(what, written.ec ? "write" : "read header", written.ec ? written.ec : read.ec);

  status_ = static_cast<int>(parser_.get().result_int());
  headers_ = header_map(parser_.get());
  if (parser_.is_done()) end_ = StreamEnd::complete;
}

std::optional<SseEvent> SseStream::next_event(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (ready_.empty() && end_ == StreamEnd::open) read_more(deadline);
  if (ready_.empty()) return std::nullopt;
  SseEvent event = std::move(ready_.front());
  ready_.pop_front();
  return event;
}

void SseStream::close() {
  beast::error_code ignored;
  stream_.socket().close(ignored);
  ready_.clear();
  end_ = StreamEnd::closed_by_client;
}

void SseStream::read_more(Clock::time_point deadline) {
  char chunk[16 * 1024];
  auto& window = parser_.get().body();
  window.data = chunk;
  window.size = sizeof chunk;
  stream_.expires_at(deadline);
  // read_some returns after any progress, possibly only a chunk header; the loop in next_event
  // calls again until a whole event is in.
  OpResult read = run(io_, [&](auto handler) {
    http::async_read_some(stream_, buffer_, parser_, std::move(handler));
  });
  const auto received = Clock::now();
  body_.append(chunk, sizeof chunk - window.size);
  window.data = nullptr;
  window.size = 0;

  if (read.ec == http::error::need_buffer) read.ec = {};  // the window filled up; not an error
  if (read.ec == beast::error::timeout) {
    end_ = StreamEnd::timed_out;
  } else if (read.ec) {
    end_ = StreamEnd::connection_lost;
  } else if (parser_.is_done()) {
    end_ = StreamEnd::complete;
  }
  parse_lines(received);
}

// The event-stream grammar, reduced to what OpenAI streams use: data: and event: lines, a blank
// line ends an event, comments and other fields are skipped.
void SseStream::parse_lines(Clock::time_point received) {
  for (;;) {
    const auto newline = body_.find('\n', parsed_);
    if (newline == std::string::npos) return;
    std::string_view line(body_.data() + parsed_, newline - parsed_);
    parsed_ = newline + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) {
      if (pending_has_data_) {
        pending_.received = received;
        ready_.push_back(std::move(pending_));
      }
      pending_ = SseEvent{};
      pending_has_data_ = false;
      continue;
    }
    const auto colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
    if (field == "data") {
      if (pending_has_data_) pending_.data += '\n';
      pending_.data += value;
      pending_has_data_ = true;
    } else if (field == "event") {
      pending_.event = value;
    }
  }
}

std::string raw_exchange(std::uint16_t port, std::string_view raw,
                         std::chrono::milliseconds timeout, bool* server_closed) {
  const auto deadline = Clock::now() + timeout;
  asio::io_context io;
  beast::tcp_stream stream(io);
  connect(io, stream, port, deadline, "raw exchange on port " + std::to_string(port));

  // A failed write is no failure here: the server may reject the bytes and close early.
  stream.expires_at(deadline);
  run(io, [&](auto handler) { asio::async_write(stream, asio::buffer(raw), std::move(handler)); });

  std::string received;
  char chunk[16 * 1024];
  OpResult read;
  do {
    stream.expires_at(deadline);
    read = run(
        io, [&](auto handler) { stream.async_read_some(asio::buffer(chunk), std::move(handler)); });
    received.append(chunk, read.bytes);
  } while (!read.ec);
  if (server_closed) *server_closed = read.ec != beast::error::timeout;
  return received;
}

}  // namespace switchyard::test
