#include "router/http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <system_error>

#include "common/http/drained_read.hpp"
#include "router/http/cors.hpp"
#include "router/http/response.hpp"

namespace switchyard::http {

namespace asio = boost::asio;
using asio::ip::tcp;

tcp::endpoint make_endpoint(const std::string& host, std::uint16_t port) {
  if (host == "localhost") return {asio::ip::address_v4::loopback(), port};
  return {asio::ip::make_address(host), port};
}

Listener::Listener(asio::any_io_executor executor, const tcp::endpoint& endpoint, Handler& handler,
                   std::size_t max_connections)
    : acceptor_(executor), handler_(handler), max_connections_(max_connections) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::system_error(ec, "cannot listen on " + endpoint.address().to_string() + ":" +
                                    std::to_string(endpoint.port()));
  }
}

void Listener::start() {
  asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached);
}

void Listener::stop_accepting() {
  stopping_ = true;
  boost::system::error_code ignored;
  acceptor_.close(ignored);
  for (auto& connection : connections_) {
    if (!connection.busy) connection.stream->socket().close(ignored);
  }
}

void Listener::close_all() {
  boost::system::error_code ignored;
  for (auto& connection : connections_) connection.stream->socket().close(ignored);
}

asio::awaitable<void> Listener::wait_idle(std::chrono::steady_clock::time_point deadline) {
  while (busy_ > 0 && std::chrono::steady_clock::now() < deadline) {
    co_await idle_.wait_until(deadline);
  }
}

bool Listener::make_room() {
  for (auto& connection : connections_) {
    // A request begun would be lost: only connections with nothing read of their next one.
    const bool idle = connection.kept_alive && !connection.busy && connection.buffer->size() == 0;
    if (!idle || connection.closing) continue;
    connection.closing = true;
    ++closing_;
    boost::system::error_code ignored;
    connection.stream->socket().close(ignored);
    return true;
  }
  return false;
}

asio::awaitable<void> Listener::accept_loop() {
  while (!stopping_) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (stopping_ || ec == asio::error::operation_aborted) break;
      // EMFILE and friends: keep serving the connections we have, retry shortly.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    if (open_ - closing_ >= max_connections_ && !make_room()) {
      socket.close(ec);
      ++refused_since_warning_;
      // One line per 10 s at most: a flood must not become a flood of log lines too.
      const auto now = std::chrono::steady_clock::now();
      if (now - last_refusal_warning_ >= std::chrono::seconds(10)) {
        spdlog::warn("{} connections busy (limits.max_connections): closed {} new one(s)",
                     open_ - closing_, refused_since_warning_);
        last_refusal_warning_ = now;
        refused_since_warning_ = 0;
      }
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    // Asio would make it non-blocking on the first read anyway; the relay's writes need the
    // mode set as the user's (http::write_now), and one system call does both.
    socket.non_blocking(true, ec);
    report_bytes_left(socket, ec);  // lets reads tell a drained socket (drained_read.hpp)
    ++open_;
    asio::co_spawn(acceptor_.get_executor(), session(std::move(socket)),
                   [](std::exception_ptr error) {
                     if (!error) return;
                     try {
                       std::rethrow_exception(error);
                     } catch (const std::exception& e) {
                       spdlog::error("connection ended by an internal error: {}", e.what());
                     }
                   });
  }
}

namespace {

// The answer to a request that could not be read, before the connection closes. Once its header
// was read, a browser page whose origin is accepted gets the CORS fields: without them it sees
// a network error where the answer says what was wrong (a body over the limit, say).
asio::awaitable<void> write_refusal(Connection& connection, const Handler& handler,
                                    const Request& request, const ReadResult& read) {
  HeaderList fields;
  if (read.header_complete && handler.origin_accepted(request)) add_cors_fields(fields, request);
  co_await write_error_response(connection, *read.error, false, std::move(fields));
  boost::system::error_code ignored;
  connection.stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

asio::awaitable<void> Listener::session(tcp::socket socket) {
  boost::system::error_code ec;
  const std::string remote = socket.remote_endpoint(ec).address().to_string();
  beast::tcp_stream stream(std::move(socket));
  Deadline deadline(stream.socket());
  beast::flat_buffer buffer;
  Request request;
  // However the session ends, an exception included, the listener forgets it.
  struct Registration {
    Listener& listener;
    std::list<ConnectionState>::iterator self;
    ~Registration() {
      if (self->busy && --listener.busy_ == 0) listener.idle_.notify_all();
      if (self->closing) --listener.closing_;
      listener.connections_.erase(self);
      --listener.open_;
    }
  } registration{*this, connections_.insert(connections_.end(), ConnectionState{&stream, &buffer})};
  const auto self = registration.self;
  Connection connection{stream, deadline, buffer, remote};

  for (bool first = true; !stopping_; first = false) {
    const ReadResult read =
        co_await read_request(stream, deadline, buffer, request, handler_.read_limits(), first);
    if (read.status == ReadResult::Status::closed) break;
    if (read.status == ReadResult::Status::refused) {
      spdlog::info("refused request from {}: {} {}", remote,
                   read.error->status(), read.error->what());
      co_await write_refusal(connection, handler_, request, read);
      break;
    }
    self->busy = true;
    self->kept_alive = true;
    ++busy_;
    connection.keep_alive = read.keep_alive;
    const bool keep_alive = co_await handler_.handle(request, connection);
    self->busy = false;
    if (--busy_ == 0) idle_.notify_all();
    if (!keep_alive || !read.keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

}  // namespace switchyard::http
