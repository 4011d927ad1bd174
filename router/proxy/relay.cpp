#include "router/proxy/relay.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <array>
#include <optional>

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
constexpr std::size_t kChunk = 64 * 1024;

using UpstreamRequest = bhttp::request<bhttp::string_body>;
using UpstreamParser = bhttp::response_parser<bhttp::buffer_body>;

UpstreamRequest make_upstream_request(http::Request& request, const UpstreamKey& key,
                                      const RelayOptions& options) {
  UpstreamRequest upstream{request.method(), options.base_path + std::string(request.target()),
                           11};
  for (const auto& field : request.base()) {
    if (is_hop_by_hop(field.name_string()) || field.name() == bhttp::field::host ||
        field.name() == bhttp::field::expect || field.name() == bhttp::field::content_length) {
      continue;
    }
    upstream.insert(field.name_string(), field.value());
  }
  upstream.set(bhttp::field::host, key.host + ":" + std::to_string(key.port));
  upstream.set("X-Request-Id", options.request_id);
  upstream.set("X-Forwarded-For", options.client_address);
  upstream.keep_alive(true);
  upstream.body() = std::move(request.body());
  upstream.prepare_payload();
  return upstream;
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

// Writes the response header then body pieces; knows whether the client is still there.
class ClientWriter {
 public:
  ClientWriter(beast::tcp_stream& client, bhttp::response<bhttp::buffer_body>& response)
      : client_(client), serializer_(response), response_(response) {}

  asio::awaitable<bool> header() {
    client_.expires_after(kWriteTimeout);
    auto [ec, n] = co_await bhttp::async_write_header(client_, serializer_, kNoThrow);
    co_return !ec;
  }

  asio::awaitable<bool> piece(const char* data, std::size_t size) {
    response_.body().data = const_cast<char*>(data);
    response_.body().size = size;
    response_.body().more = true;
    client_.expires_after(kWriteTimeout);
    auto [ec, n] = co_await bhttp::async_write(client_, serializer_, kNoThrow);
    co_return !ec || ec == bhttp::error::need_buffer;
  }

  asio::awaitable<bool> finish() {
    response_.body().data = nullptr;
    response_.body().size = 0;
    response_.body().more = false;
    client_.expires_after(kWriteTimeout);
    auto [ec, n] = co_await bhttp::async_write(client_, serializer_, kNoThrow);
    client_.expires_never();
    co_return !ec;
  }

 private:
  beast::tcp_stream& client_;
  bhttp::response_serializer<bhttp::buffer_body> serializer_;
  bhttp::response<bhttp::buffer_body>& response_;
};

}  // namespace

bool is_hop_by_hop(std::string_view name) {
  static constexpr std::array<std::string_view, 10> kFields{
      "connection", "keep-alive",        "proxy-connection", "proxy-authenticate",
      "proxy-authorization", "te",       "trailer",          "transfer-encoding",
      "upgrade",    "authorization"};
  for (auto field : kFields) {
    if (boost::algorithm::iequals(name, field)) return true;
  }
  return false;
}

asio::awaitable<RelayResult> relay(http::Request& request, beast::tcp_stream& client,
                                   ClientWatch& watch, UpstreamPool& pool, const UpstreamKey& key,
                                   const RelayOptions& options) {
  RelayResult result;
  const bool client_keep_alive = request.keep_alive();
  UpstreamRequest upstream_request = make_upstream_request(request, key, options);

  UpstreamConnectionPtr upstream;
  std::optional<UpstreamParser> parser;
  // The watch must not reach a connection this relay has dropped.
  struct ForgetOnExit {
    ClientWatch& watch;
    ~ForgetOnExit() { watch.on_gone(nullptr); }
  } forget_on_exit{watch};
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
    stream.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await bhttp::async_write(stream, upstream_request, kNoThrow);
    error_code ec = write_ec;
    if (!ec) {
      stream.expires_after(options.idle_timeout);
      auto [read_ec, read] = co_await bhttp::async_read_header(stream, upstream->buffer, *parser,
                                                               kNoThrow);
      ec = read_ec;
    }
    if (watch.gone()) {
      result.client_gone = true;
      co_return result;
    }
    if (!ec) break;
    if (upstream->reused && attempt == 0 && retryable(ec)) continue;
    throw upstream_failure(ec, key);
  }

  auto& upstream_response = parser->get();
  bhttp::response<bhttp::buffer_body> response{upstream_response.result(), 11};
  for (const auto& field : upstream_response.base()) {
    if (is_hop_by_hop(field.name_string()) || field.name() == bhttp::field::content_length) {
      continue;
    }
    response.insert(field.name_string(), field.value());
  }
  const bool is_sse = boost::algorithm::istarts_with(
      upstream_response[bhttp::field::content_type], sse::kContentType);
  if (is_sse) {
    response.set(bhttp::field::cache_control, "no-cache");
    response.set("X-Accel-Buffering", "no");
  }
  response.set("X-Request-Id", options.request_id);
  if (auto length = parser->content_length()) {
    response.content_length(*length);
  } else {
    response.chunked(true);
  }
  response.keep_alive(client_keep_alive);

  ClientWriter writer(client, response);
  result.status = upstream_response.result_int();
  if (!co_await writer.header()) {
    result.client_gone = true;
    co_return result;
  }

  std::array<char, kChunk> buffer;
  while (!parser->is_done()) {
    upstream_response.body().data = buffer.data();
    upstream_response.body().size = buffer.size();
    upstream->stream.expires_after(options.idle_timeout);
    auto [ec, n] =
        co_await bhttp::async_read_some(upstream->stream, upstream->buffer, *parser, kNoThrow);
    const std::size_t got = buffer.size() - upstream_response.body().size;
    if (got > 0) {
      if (!co_await writer.piece(buffer.data(), got)) {
        result.client_gone = true;
        co_return result;
      }
      result.bytes += got;
    }
    if (ec && ec != bhttp::error::need_buffer) {
      if (watch.gone()) {
        result.client_gone = true;
        co_return result;
      }
      result.error = ec == beast::error::timeout ? "worker was silent for longer than the idle timeout"
                                                 : "worker connection broke: " + ec.message();
      if (is_sse && response.chunked()) {
        // The client gets every event the worker sent, then an error event instead of [DONE].
        const ApiError error = upstream_failure(ec, key);
        const std::string event = sse::named_event("error", error.body());
        if (co_await writer.piece(event.data(), event.size())) co_await writer.finish();
      }
      co_return result;  // keep_alive stays false: the client connection is closed
    }
  }
  // The worker has answered in full: a client leaving from now on must not close a connection
  // that can go back to the pool.
  watch.on_gone(nullptr);
  if (!co_await writer.finish()) {
    result.client_gone = true;
    co_return result;
  }
  // A client that left while the last piece was written has had the socket closed by the watch;
  // pooling it would fail the next request with "Bad file descriptor".
  if (upstream_response.keep_alive() && upstream->stream.socket().is_open()) {
    pool.release(key, std::move(upstream));
  }
  result.keep_alive = client_keep_alive;
  co_return result;
}

}  // namespace switchyard::proxy

