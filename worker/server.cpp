#include "worker/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <chrono>
#include <nlohmann/json.hpp>

#include "worker/openai/responses.hpp"

namespace switchyard::worker {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::chrono::seconds kWriteTimeout{30};
constexpr std::size_t kMaxPipelinedBytes = 64 << 10;

asio::awaitable<bool> write_response(beast::tcp_stream& stream, http::Deadline& deadline,
                                     unsigned version, int status,
                                     std::string_view content_type, std::string body,
                                     bool keep_alive) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), version};
  response.set(bhttp::field::content_type, content_type);
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  deadline.expires_after(kWriteTimeout);
  auto [ec, n] = co_await bhttp::async_write(stream, response, kNoThrow);
  deadline.expires_never();
  co_return !ec;
}

asio::awaitable<bool> write_json(beast::tcp_stream& stream, http::Deadline& deadline,
                                 unsigned version, int status, const nlohmann::json& body,
                                 bool keep_alive) {
  co_return co_await write_response(stream, deadline, version, status, "application/json", body.dump(),
                                    keep_alive);
}

// Writes the engine's events to the client: one whole response, or a chunked stream whose header
// goes out with the first chunk. Returns false when the connection can no longer be used.
asio::awaitable<bool> pump(beast::tcp_stream& stream, http::Deadline& deadline,
                           ReplyChannel& channel, unsigned version, bool keep_alive) {
  try {
    bool streaming = false;
    for (;;) {
      ReplyChannel::Event event = co_await channel.next();
      switch (event.kind) {
        case ReplyChannel::Event::Kind::reply:
          if (streaming) co_return false;  // an engine bug: a reply after chunks
          co_return co_await write_response(stream, deadline, version, event.status, event.content_type,
                                            std::move(event.data), keep_alive);
        case ReplyChannel::Event::Kind::chunk: {
          if (!streaming) {
            bhttp::response<bhttp::empty_body> head{bhttp::status::ok, version};
            head.set(bhttp::field::content_type, event.content_type);
            head.set(bhttp::field::cache_control, "no-cache");
            head.keep_alive(keep_alive);
            head.chunked(true);
            bhttp::response_serializer<bhttp::empty_body> serializer{head};
            deadline.expires_after(kWriteTimeout);
            auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kNoThrow);
            // Left armed, it would cancel watch_peer's read, which reads as a client gone.
            deadline.expires_never();
            if (ec) co_return false;
            streaming = true;
          }
          deadline.expires_after(kWriteTimeout);
          auto [ec, n] = co_await asio::async_write(
              stream, bhttp::make_chunk(asio::buffer(event.data)), kNoThrow);
          deadline.expires_never();
          if (ec) co_return false;
          break;
        }
        case ReplyChannel::Event::Kind::end: {
          if (!streaming) {
            co_return co_await write_response(stream, deadline, version, 200, "text/plain", "",
                                              keep_alive);
          }
          deadline.expires_after(kWriteTimeout);
          auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk_last(), kNoThrow);
          deadline.expires_never();
          co_return !ec;
        }
      }
    }
  } catch (const std::exception&) {
    co_return false;  // cancelled: the client went away
  }
}

// Completes when the client closes its end or the connection breaks. Bytes the client pipelines
// meanwhile stay in `buffer` for the next request.
asio::awaitable<void> watch_peer(tcp::socket& socket, beast::flat_buffer& buffer) {
  while (buffer.size() < kMaxPipelinedBytes) {
    auto [ec, n] = co_await socket.async_read_some(buffer.prepare(4096), kNoThrow);
    if (ec) co_return;
    buffer.commit(n);
  }
  asio::steady_timer forever(socket.get_executor(), asio::steady_timer::time_point::max());
  co_await forever.async_wait(kNoThrow);
}

std::string_view path_of(std::string_view target) { return target.substr(0, target.find('?')); }

}  // namespace

Server::Server(asio::io_context& io, Engine& engine, ServerConfig config)
    : io_(io), engine_(engine), config_(std::move(config)), acceptor_(io) {
  created_ = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
}

void Server::start() {
  const tcp::endpoint endpoint(asio::ip::make_address(config_.host), config_.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen();
  port_ = acceptor_.local_endpoint().port();
  spdlog::info("listening on {}:{}", config_.host, port_);
  asio::co_spawn(io_, accept_loop(), [](std::exception_ptr e) {
    if (!e) return;
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& error) {
      spdlog::error("accept loop failed: {}", error.what());
    }
  });
}

void Server::stop() {
  stopping_ = true;
  error_code ignored;
  acceptor_.close(ignored);
  for (ReplyChannel* channel : *pending_) channel->cancel();
}

asio::awaitable<void> Server::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
    if (ec) {
      if (ec == asio::error::operation_aborted || stopping_) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      continue;
    }
    asio::co_spawn(io_, session(std::move(socket)), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& error) {
        spdlog::warn("connection failed: {}", error.what());
      }
    });
  }
}

asio::awaitable<void> Server::session(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  http::Deadline deadline(stream.socket());
  beast::flat_buffer buffer;
  http::Request request;
  http::ReadLimits limits;
  limits.body_limit = [max = config_.max_body_bytes](const http::Request&) { return max; };
  for (bool first = true; !stopping_; first = false) {
    const http::ReadResult result =
        co_await http::read_request(stream, deadline, buffer, request, limits, first);
    if (result.status == http::ReadResult::Status::closed) break;
    if (result.status == http::ReadResult::Status::refused) {
      co_await http::write_error(stream, deadline, *result.error, /*close=*/true);
      break;
    }
    if (!co_await dispatch(stream, deadline, buffer, request, result.keep_alive)) break;
  }
  error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
}

asio::awaitable<bool> Server::dispatch(beast::tcp_stream& stream, http::Deadline& deadline,
                                       beast::flat_buffer& buffer, http::Request& request,
                                       bool keep_alive) {
  const unsigned version = request.version();
  const std::string_view path = path_of(request.target());
  const std::string method(request.method_string());

  if (path == "/health" || path == "/v1/models") {
    if (request.method() != bhttp::verb::get) {
      co_await http::write_error(
          stream, deadline, ApiError(ErrorKind::method_not_allowed, "use GET for " + std::string(path)),
          !keep_alive, version);
      co_return keep_alive;
    }
    const bool ready = ready_.load();
    nlohmann::json body;
    int status = 200;
    if (path == "/health") {
      status = ready ? 200 : 503;
      body["status"] = ready ? "ok" : "loading";
    } else {
      body = openai::model_list(config_.model_id, created_, engine_.name());
    }
    const bool written =
        co_await write_json(stream, deadline, version, status, body, keep_alive);
    co_return written&& keep_alive;
  }

  bool path_known = false;
  for (const Endpoint& endpoint : engine_.endpoints()) {
    if (endpoint.path != path) continue;
    path_known = true;
    if (endpoint.method != method) continue;
    if (!ready_.load()) {
      co_await http::write_error(stream, deadline,
                                 ApiError(ErrorKind::unavailable, "the model is loading"),
                                 !keep_alive, version);
      co_return keep_alive;
    }
    co_return co_await relay(stream, deadline, buffer, request, keep_alive);
  }
  const ApiError error =
      path_known ? ApiError(ErrorKind::method_not_allowed,
                            method + " is not allowed on " + std::string(path))
                 : ApiError(ErrorKind::not_found, "no endpoint " + std::string(path) +
                                                      " for engine " + std::string(engine_.name()));
  co_await http::write_error(stream, deadline, error, !keep_alive, version);
  co_return keep_alive;
}

asio::awaitable<bool> Server::relay(beast::tcp_stream& stream, http::Deadline& deadline,
                                    beast::flat_buffer& buffer, http::Request& request,
                                    bool keep_alive) {
  using namespace asio::experimental::awaitable_operators;
  const unsigned version = request.version();
  auto channel = std::make_shared<ReplyChannel>(stream.get_executor());
  pending_->insert(channel.get());
  struct Forget {
    std::shared_ptr<std::set<ReplyChannel*>> pending;
    std::shared_ptr<ReplyChannel> channel;
    ~Forget() {
      channel->cancel();  // a no-op for a finished request; frees the engine's slot otherwise
      pending->erase(channel.get());
    }
  } forget{pending_, channel};

  engine_.submit({std::string(path_of(request.target())),
                  std::string(request[http::FieldName::content_type]), std::move(request.body())},
                 channel);
  auto outcome =
      co_await (pump(stream, deadline, *channel, version, keep_alive) || watch_peer(stream.socket(), buffer));
  if (outcome.index() == 1) {
    spdlog::debug("client went away; cancelling its request");
    co_return false;
  }
  co_return std::get<0>(outcome) && keep_alive && !stopping_;
}

}  // namespace switchyard::worker
