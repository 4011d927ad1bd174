#include "router/proxy/relay.hpp"

#include <algorithm>
#include <array>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <memory>
#include <optional>
#include <vector>

#include "common/http/query.hpp"
#include "common/http/socket_io.hpp"
#include "common/openai_error.hpp"
#include "common/sse.hpp"
#include "router/http/cors.hpp"
#include "router/proxy/body_pump.hpp"
#include "router/proxy/hop_by_hop.hpp"

namespace switchyard::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;
using namespace std::literals;

namespace {

// Body bytes read from the worker at a time. The buffer lives on the heap, sized to what the
// answer needs: a proxy of thousands of open streams is judged by its memory per stream, and SSE
// events are small.
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::size_t kSseChunk = 2 * 1024;

// Heads are built with literals of known length and std::to_chars: no strlen per piece and no
// temporary string per number.
void append_decimal(std::string& out, std::uint64_t value) {
  char digits[20];
  // The (first, last) overload would build a temporary string.
  const char* end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, static_cast<std::size_t>(end - digits));
}

// Appends the client's fields that pass on to the worker, each line as the client wrote it: not
// hop-by-hop, and none the relay writes itself (Host, Content-Length, X-Request-Id,
// X-Forwarded-For) or has answered (Expect), nor a name that stands for one of those with '_'.
void append_request_fields(std::string& head, const http::Request& request) {
  for (const http::Request::Field& field : request.fields()) {
    switch (field.id) {
      case http::FieldName::host:
      case http::FieldName::expect:
      case http::FieldName::content_length:
      case http::FieldName::x_request_id:
      case http::FieldName::x_forwarded_for:
        break;
      case http::FieldName::other:
        if (!is_underscore_alias(field.name)) head.append(field.line);
        break;
      default:
        if (!is_hop_by_hop(field.id)) head.append(field.line);
        break;
    }
  }
}

// The worker's request head, written from the client's: Beast's serializer walks a buffer
// sequence of one piece per field on every write, and editing the fields in place costs an
// allocation per field set; a proxy sends each head once, so one flat string is cheaper.
void upstream_request_head(std::string& head, const http::Request& request,
                           const UpstreamKey& key, const RelayOptions& options) {
  head.clear();
  head.append(request.method_string()).append(" "sv);
  head.append(options.base_path);
  http::append_target_without_credentials(
      head, options.target.empty() ? request.target() : options.target);
  head.append(" HTTP/1.1\r\n"sv);
  append_request_fields(head, request);
  head.append("Host: "sv).append(key.host).append(":"sv);
  append_decimal(head, key.port);
  head.append("\r\nX-Request-Id: "sv).append(options.request_id);
  head.append("\r\nX-Forwarded-For: "sv).append(options.client_address);
  head.append("\r\nContent-Length: "sv);
  append_decimal(head, options.body.value_or(request.body()).size());
  head.append("\r\n\r\n"sv);
}

// The client's response head, written from the worker's: its body framing is the relay's
// (Content-Length when the worker sent one, else chunked), and an SSE stream is marked unbuffered
// for any proxy in front.
void client_response_head(std::string& head, const http::Request& request,
                          const UpstreamParser& response, bool is_sse,
                          std::optional<std::uint64_t> length, bool keep_alive,
                          const RelayOptions& options) {
  head.clear();
  head.append(response.version() == 10 ? "HTTP/1.0 "sv : "HTTP/1.1 "sv);
  append_decimal(head, response.status());
  head.append(" "sv).append(response.reason()).append("\r\n"sv);
  head.append(response.passed_fields().general);
  if (is_sse) {
    head.append("Cache-Control: no-cache\r\nX-Accel-Buffering: no\r\n"sv);
  } else {
    head.append(response.passed_fields().caching);
  }
  head.append("X-Request-Id: "sv).append(options.request_id).append("\r\n"sv);
  http::append_cors_lines(head, request);
  // No framing field on an answer without a body: a 204 must not carry one, and a 304's would
  // describe the representation it stands for. Relayed as chunked, a client would read the last
  // chunk as the start of the next response.
  if (!ends_with_header(response.status())) {
    if (length) {
      head.append("Content-Length: "sv);
      append_decimal(head, *length);
      head.append("\r\n"sv);
    } else {
      head.append("Transfer-Encoding: chunked\r\n"sv);
    }
  }
  if (!keep_alive) head.append("Connection: close\r\n"sv);
  head.append("\r\n"sv);
}

bool retryable(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe;
}

ApiError upstream_failure(const error_code& ec, const UpstreamKey& key) {
  if (ec == beast::error::timeout) {
    return ApiError(ErrorKind::gateway_timeout,
                    "model '" + key.model + "' did not answer in time", std::nullopt,
                    "upstream_timeout");
  }
  return ApiError(ErrorKind::bad_gateway,
                  "the worker of model '" + key.model + "' failed: " + ec.message(),
                  std::nullopt, "upstream_error");
}

// A parser for the next response on `upstream`.
UpstreamParser& new_parser(UpstreamConnection& upstream) {
  return upstream.parser.emplace(upstream.passed_fields);
}

// The pieces of one gather write.
template <class... Pieces>
std::array<asio::const_buffer, sizeof...(Pieces)> const_buffers(const Pieces&... pieces) {
  return {asio::const_buffer(asio::buffer(pieces))...};
}

// Writes the worker's response to the client: in one write when the whole body is at hand, else
// the header and then each piece as it arrives, with the chunk framing added here when the
// response is chunked.
class ClientWriter {
 public:
  // The head waits in the connection's head buffer until it is sent.
  ClientWriter(http::Connection& client, bool chunked)
      : client_(client), head_(client.head_buffer), chunked_(chunked) {}

  asio::awaitable<bool> header() {
    const bool sent = !co_await send(const_buffers(head_));
    head_.clear();
    head_.shrink_to_fit();  // a long stream does not keep it
    co_return sent;
  }

  asio::awaitable<bool> piece(const char* data, std::size_t size) {
    if (size == 0) co_return true;
    const BodyPiece piece(data, size, chunked_);
    co_return !co_await send(piece.buffers());
  }

  // Ends an SSE stream that broke off with an event naming the error.
  asio::awaitable<void> error_event(error_code ec, const UpstreamKey& key) {
    const std::string event = sse::named_event("error", upstream_failure(ec, key).body());
    if (co_await piece(event.data(), event.size())) co_await finish();
  }

  // The end of the body. A response whose header has not gone yet leaves with it: in one write
  // when it has a Content-Length (the small answers that are read whole).
  asio::awaitable<bool> finish(const char* data = nullptr, std::size_t size = 0) {
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    if (!head_.empty()) {
      if (!chunked_) {
        co_return !co_await send(const_buffers(head_, asio::buffer(data, size)));
      }
      if (!co_await header()) co_return false;
    }
    if (!co_await piece(data, size)) co_return false;
    if (!chunked_) co_return true;
    co_return !co_await send(const_buffers(asio::buffer(kLastChunk)));
  }

 private:
  // The deadline is left disarmed after each write: armed, it would cancel the ClientWatch's
  // wait during a long silence of the worker.
  template <class Buffers>
  asio::awaitable<error_code> send(const Buffers& buffers) {
    return http::write_all(client_.stream.socket(), client_.deadline, kWriteTimeout, buffers);
  }

  http::Connection& client_;
  std::string& head_;
  bool chunked_;
};

}  // namespace

asio::awaitable<RelayResult> relay(const http::Request& request, http::Connection& client,
                                   ClientWatch& watch, UpstreamPool& pool, const UpstreamKey& key,
                                   const RelayOptions& options) {
  RelayResult result;
  const bool client_keep_alive = client.keep_alive;
  std::string& head = client.head_buffer;
  upstream_request_head(head, request, key, options);

  UpstreamConnectionPtr upstream;
  UpstreamParser* parser = nullptr;  // the connection's: kept out of this coroutine's frame
  // The watch must not reach a connection this relay has dropped.
  struct ForgetOnExit {
    ClientWatch& watch;
    ~ForgetOnExit() { watch.on_gone(nullptr); }
  } forget_on_exit{watch};
  // The upstream deadline cancels the pending operation; name that a timeout, as Beast would.
  const auto timed_out = [&upstream](error_code ec) {
    return ec == asio::error::operation_aborted && upstream->deadline.expired()
               ? error_code(beast::error::timeout)
               : ec;
  };
  // A pooled connection the worker closed meanwhile fails at once: retry once on a new one.
  for (int attempt = 0;; ++attempt) {
    try {
      upstream = co_await pool.acquire(key);
    } catch (const boost::system::system_error& e) {
      throw upstream_failure(e.code(), key);
    }
    parser = &new_parser(*upstream);
    beast::tcp_stream& stream = upstream->stream;
    watch.on_gone([&stream] { stream.socket().close(); });
    if (watch.gone()) {
      result.client_gone = true;
      co_return result;
    }
    error_code ec = timed_out(
        co_await http::write_all(stream.socket(), upstream->deadline, kWriteTimeout,
                                 const_buffers(head, options.body.value_or(request.body()))));
    if (!ec) upstream->deadline.expires_after(options.idle_timeout);
    // An interim answer (1xx, such as 103 Early Hints) comes before the real one on the same
    // connection. It is dropped, not forwarded: clients of this API have no use for it, and an
    // HTTP/1.0 client must not get one. The real answer is read after it.
    while (!ec && (!parser->is_header_done() || parser->status() / 100 == 1)) {
      if (parser->is_header_done()) parser = &new_parser(*upstream);
      auto [read_ec, read] = co_await http::read_some(stream.socket(), upstream->buffer, *parser);
      ec = timed_out(read_ec);
    }
    if (watch.gone()) {
      result.client_gone = true;
      co_return result;
    }
    if (!ec) break;
    if (upstream->reused && attempt == 0 && retryable(ec)) continue;
    throw upstream_failure(ec, key);
  }

  const bool upstream_keep_alive = parser->keep_alive();
  const bool bodiless = ends_with_header(parser->status());
  const bool is_sse = !bodiless && parser->is_event_stream();
  // An open stream is judged by its memory: the client's read buffer waits empty meanwhile.
  if (is_sse && client.read_buffer.size() == 0) client.read_buffer.shrink_to_fit();
  const auto length = bodiless ? std::optional<std::uint64_t>(0) : parser->content_length();
  result.status = parser->status();
  // The worker's request head has served: the buffer takes the client's response head.
  client_response_head(head, request, *parser, is_sse, length, client_keep_alive, options);
  ClientWriter writer(client, !length);
  // A small complete answer leaves in one write, header and body together.
  const bool whole = !is_sse && length && *length <= kChunk;
  std::vector<char> buffer(whole    ? std::max<std::uint64_t>(*length, 1)
                           : is_sse ? kSseChunk
                                    : kChunk);
  if (!whole && !co_await writer.header()) {
    result.client_gone = true;
    co_return result;
  }
  error_code ec;
  std::size_t held = 0;  // body bytes read but not yet written (whole answers only)
  if (whole) {
    while (!ec && !parser->is_done()) {
      parser->body().data = buffer.data() + held;
      parser->body().size = buffer.size() - held;
      upstream->deadline.expires_after(options.idle_timeout);
      auto [read_ec, n] =
          co_await http::read_some(upstream->stream.socket(), upstream->buffer, *parser);
      held = buffer.size() - parser->body().size;
      if (read_ec != bhttp::error::need_buffer) ec = read_ec;
    }
    upstream->deadline.expires_never();
    result.bytes = held;
  } else {
    // On the heap: in the frame, it would push it past the size Asio recycles, for every request.
    const auto pump = std::make_unique<BodyPump>(*upstream, *parser, buffer,
                                                 is_sse ? 0 : buffer.size(), client, !length,
                                                 options.idle_timeout);
    co_await pump->async_run(asio::use_awaitable);
    result.bytes = pump->bytes();
    if (pump->client_failed()) {
      result.client_gone = true;
      co_return result;
    }
    ec = pump->upstream_error();
    // A bulk body's reads grew the worker connection's buffer; a pooled connection keeps none.
    if (!is_sse && upstream->buffer.size() == 0) upstream->buffer.shrink_to_fit();
  }
  if (ec) {
    ec = timed_out(ec);
    if (watch.gone()) {
      result.client_gone = true;
      co_return result;
    }
    result.error = ec == beast::error::timeout
                       ? "worker was silent for longer than the idle timeout"
                       : "worker connection broke: " + ec.message();
    if (whole) throw upstream_failure(ec, key);  // nothing was sent: the client gets a 502
    if (is_sse && !length) {
      // The client gets every event the worker sent, then an error event instead of [DONE].
      co_await writer.error_event(ec, key);
    }
    co_return result;  // keep_alive stays false: the client connection is closed
  }
  // The worker has answered in full: a client leaving from now on must not close a connection
  // that can go back to the pool.
  watch.on_gone(nullptr);
  if (!co_await writer.finish(buffer.data(), held)) {
    result.client_gone = true;
    co_return result;
  }
  // A client that left while the last piece was written has had the socket closed by the watch;
  // pooling it would fail the next request with "Bad file descriptor".
  // Bytes the worker sent past the end of its answer would be read as the answer to the next
  // request on the connection: a connection with any left over is not pooled.
  if (upstream_keep_alive && upstream->stream.socket().is_open() && upstream->buffer.size() == 0) {
    pool.release(key, std::move(upstream));
  }
  result.keep_alive = client_keep_alive;
  co_return result;
}

}  // namespace switchyard::proxy

