#include "router/proxy/relay.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <array>
#include <cstdio>
#include <optional>
#include <vector>

#include "common/openai_error.hpp"
#include "common/sse.hpp"

namespace switchyard::proxy {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using boost::system::error_code;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kWriteTimeout{30};
// Body bytes read from the worker at a time. The buffer lives on the heap, sized to what the
// answer needs: a proxy of thousands of open streams is judged by its memory per stream, and SSE
// events are small.
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::size_t kSseChunk = 2 * 1024;

using UpstreamParser = bhttp::response_parser<bhttp::buffer_body>;
using UpstreamResponse = bhttp::response<bhttp::buffer_body>;

// Removes the hop-by-hop fields and those named in `also`.
void erase_hop_by_hop(bhttp::fields& fields, std::initializer_list<bhttp::field> also) {
  for (auto it = fields.begin(); it != fields.end();) {
    const bool drop = std::find(also.begin(), also.end(), it->name()) != also.end() ||
                      is_hop_by_hop(it->name_string());
    it = drop ? fields.erase(it) : std::next(it);
  }
}

// The client's request becomes the worker's in place: fewer allocations than a copy, and the
// handler needs nothing of it afterwards but its method and target.
void prepare_upstream_request(http::Request& request, const UpstreamKey& key,
                              const RelayOptions& options) {
  erase_hop_by_hop(request.base(),
           {bhttp::field::host, bhttp::field::expect, bhttp::field::content_length});
  if (!options.base_path.empty()) request.target(options.base_path + std::string(request.target()));
  request.version(11);
  request.set(bhttp::field::host, key.host + ":" + std::to_string(key.port));
  request.set("X-Request-Id", options.request_id);
  request.set("X-Forwarded-For", options.client_address);
  request.keep_alive(true);
  request.prepare_payload();
}

void append_fields(std::string& head, const bhttp::fields& fields) {
  for (const auto& field : fields) {
    head.append(field.name_string()).append(": ").append(field.value()).append("\r\n");
  }
  head.append("\r\n");
}

// The request's head as it goes on the wire. Beast's serializer walks a buffer sequence of one
// piece per field on every write; a proxy sends each head once, so one flat string is cheaper.
std::string request_head(const http::Request& request) {
  std::string head;
  head.reserve(256);
  head.append(request.method_string()).append(" ").append(request.target());
  head.append(" HTTP/1.1\r\n");
  append_fields(head, request.base());
  return head;
}

std::string response_head(const UpstreamResponse& response) {
  std::string head;
  head.reserve(256);
  head.append(response.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  head.append(std::to_string(response.result_int())).append(" ");
  head.append(response.reason()).append("\r\n");
  append_fields(head, response.base());
  return head;
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

// The pieces of one gather write.
template <class... Pieces>
std::array<asio::const_buffer, sizeof...(Pieces)> const_buffers(const Pieces&... pieces) {
  return {asio::const_buffer(asio::buffer(pieces))...};
}

// Writes the worker's response (its header edited in place) to the client: in one write when
// the whole body is at hand, else the header and then each piece as it arrives, with the chunk
// framing added here when the response is chunked.
class ClientWriter {
 public:
  ClientWriter(http::Connection& client, const UpstreamResponse& response)
      : client_(client), head_(response_head(response)), chunked_(response.chunked()) {}

  asio::awaitable<bool> header() {
    const bool sent = co_await send(const_buffers(head_));
    head_.clear();
    head_.shrink_to_fit();  // a long stream does not keep it
    co_return sent;
  }

  asio::awaitable<bool> piece(const char* data, std::size_t size) {
    if (size == 0) co_return true;
    if (!chunked_) co_return co_await send(const_buffers(asio::buffer(data, size)));
    char size_line[24];
    const int length = std::snprintf(size_line, sizeof(size_line), "%zx\r\n", size);
    co_return co_await send(const_buffers(asio::buffer(size_line, static_cast<std::size_t>(length)),
                                          asio::buffer(data, size), asio::buffer("\r\n", 2)));
  }

  // The end of the body; a response whose header has not gone yet leaves with it, in one write.
  asio::awaitable<bool> finish(const char* data = nullptr, std::size_t size = 0) {
    static constexpr std::string_view kLastChunk = "0\r\n\r\n";
    if (!head_.empty()) {
      if (!chunked_) {
        co_return co_await send(const_buffers(head_, asio::buffer(data, size)));
      }
      if (!co_await header()) co_return false;
    }
    if (!co_await piece(data, size)) co_return false;
    if (!chunked_) co_return true;
    co_return co_await send(const_buffers(asio::buffer(kLastChunk)));
  }

 private:
  template <class Buffers>
  asio::awaitable<bool> send(const Buffers& buffers) {
    client_.deadline.expires_after(kWriteTimeout);
    auto [ec, n] = co_await asio::async_write(client_.stream.socket(), buffers, kNoThrow);
    // Left armed, it would cancel the ClientWatch's wait during a long silence of the worker.
    client_.deadline.expires_never();
    co_return !ec;
  }

  http::Connection& client_;
  std::string head_;
  bool chunked_;
};

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kFields{
      "connection", "keep-alive",        "proxy-connection", "proxy-authenticate",
      "proxy-authorization", "te",       "trailer",          "transfer-encoding",
      "upgrade",    "authorization"};
  for (auto field : kFields) {
    if (beast::iequals(name, field)) return true;
  }
  return false;
}

asio::awaitable<RelayResult> relay(http::Request& request, http::Connection& client,
                                   ClientWatch& watch, UpstreamPool& pool, const UpstreamKey& key,
                                   const RelayOptions& options) {
  RelayResult result;
  const bool client_keep_alive = request.keep_alive();
  prepare_upstream_request(request, key, options);
  const std::string head = request_head(request);

  UpstreamConnectionPtr upstream;
  std::optional<UpstreamParser> parser;
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
    parser.emplace();
    parser->body_limit(boost::none);  // streams may be far larger than Beast's 8 MiB default
    beast::tcp_stream& stream = upstream->stream;
    watch.on_gone([&stream] { stream.socket().close(); });
    if (watch.gone()) {
      result.client_gone = true;
      co_return result;
    }
    upstream->deadline.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await asio::async_write(
        stream.socket(), const_buffers(head, request.body()), kNoThrow);
    error_code ec = timed_out(write_ec);
    if (!ec) {
      upstream->deadline.expires_after(options.idle_timeout);
      auto [read_ec, read] = co_await bhttp::async_read_header(
          stream.socket(), upstream->buffer, *parser, kNoThrow);
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

  UpstreamResponse& response = parser->get();
  const bool upstream_keep_alive = response.keep_alive();
  const bool is_sse =
      beast::iequals(response[bhttp::field::content_type].substr(0, sse::kContentType.size()),
                     sse::kContentType);
  erase_hop_by_hop(response.base(), {bhttp::field::content_length});
  if (is_sse) {
    // An open stream is judged by its memory: the client's read buffer waits empty meanwhile.
    if (client.read_buffer.size() == 0) client.read_buffer.shrink_to_fit();
    response.set(bhttp::field::cache_control, "no-cache");
    response.set("X-Accel-Buffering", "no");
  }
  response.set("X-Request-Id", options.request_id);
  const auto length = parser->content_length();
  if (length) {
    response.content_length(*length);
  } else {
    response.chunked(true);
  }
  response.keep_alive(client_keep_alive);
  result.status = response.result_int();

  ClientWriter writer(client, response);
  // A small complete answer leaves in one write, header and body together.
  const bool whole = !is_sse && length && *length <= kChunk;
  std::vector<char> buffer(whole ? std::max<std::uint64_t>(*length, 1) : is_sse ? kSseChunk : kChunk);
  if (!whole && !co_await writer.header()) {
    result.client_gone = true;
    co_return result;
  }
  std::size_t held = 0;  // body bytes read but not yet written (whole answers only)
  while (!parser->is_done()) {
    response.body().data = buffer.data() + held;
    response.body().size = buffer.size() - held;
    upstream->deadline.expires_after(options.idle_timeout);
    auto [read_ec, n] =
        co_await bhttp::async_read_some(upstream->stream.socket(), upstream->buffer, *parser,
                                        kNoThrow);
    const error_code ec = timed_out(read_ec);
    const std::size_t got = buffer.size() - held - response.body().size;
    if (whole) {
      held += got;
    } else if (got > 0) {
      if (!co_await writer.piece(buffer.data(), got)) {
        result.client_gone = true;
        co_return result;
      }
    }
    result.bytes += got;
    if (ec && ec != bhttp::error::need_buffer) {
      if (watch.gone()) {
        result.client_gone = true;
        co_return result;
      }
      result.error = ec == beast::error::timeout
                         ? "worker was silent for longer than the idle timeout"
                         : "worker connection broke: " + ec.message();
      if (whole) throw upstream_failure(ec, key);  // nothing was sent: the client gets a 502
      if (is_sse && response.chunked()) {
        // The client gets every event the worker sent, then an error event instead of [DONE].
        const ApiError error = upstream_failure(ec, key);
        const std::string event = sse::named_event("error", error.body());
        if (co_await writer.piece(event.data(), event.size())) co_await writer.finish();
      }
      co_return result;  // keep_alive stays false: the client connection is closed
    }
  }
  upstream->deadline.expires_never();
  // The worker has answered in full: a client leaving from now on must not close a connection
  // that can go back to the pool.
  watch.on_gone(nullptr);
  if (!co_await writer.finish(buffer.data(), held)) {
    result.client_gone = true;
    co_return result;
  }
  // A client that left while the last piece was written has had the socket closed by the watch;
  // pooling it would fail the next request with "Bad file descriptor".
  if (upstream_keep_alive && upstream->stream.socket().is_open()) {
    pool.release(key, std::move(upstream));
  }
  result.keep_alive = client_keep_alive;
  co_return result;
}

}  // namespace switchyard::proxy

