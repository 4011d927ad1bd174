// One listening socket, one coroutine per accepted connection. Tracks its connections so a
// shutdown can stop accepting, close idle keep-alive connections and wait for busy ones.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <list>
#include <memory>

#include "router/http/handler.hpp"
#include "router/supervisor/notifier.hpp"

namespace switchyard::http {

class Listener {
 public:
  // Binds at once (throws std::system_error naming the address when it cannot). At
  // `max_connections` open connections, a new one takes the place of the oldest kept-alive one
  // waiting for its next request, none of it read yet (as nginx reuses connections when it runs
  // out), or is closed at once when there is none.
  Listener(boost::asio::any_io_executor executor, const boost::asio::ip::tcp::endpoint& endpoint,
           Handler& handler, std::size_t max_connections);
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void start();
  // Stops accepting and closes connections that are between requests; busy ones close after
  // their current response.
  void stop_accepting();
  // Returns when no request is being handled, or at `deadline`.
  boost::asio::awaitable<void> wait_idle(std::chrono::steady_clock::time_point deadline);
  // Closes every connection, busy or not.
  void close_all();
  int busy_connections() const { return busy_; }
  int open_connections() const { return static_cast<int>(connections_.size()); }

 private:
  struct ConnectionState {
    beast::tcp_stream* stream = nullptr;
    const beast::flat_buffer* buffer = nullptr;  // holds what was read of its next request
    bool busy = false;
    bool kept_alive = false;  // has served a request; now waits for the next one
    bool closing = false;     // closed to make room; its session has not ended yet
  };

  // At the limit: closes the oldest kept-alive connection between requests that has read nothing
  // of its next one; false when there is none (every connection is busy, sending a request, or
  // still sending its first).
  bool make_room();

  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);

  boost::asio::ip::tcp::acceptor acceptor_;
  Handler& handler_;
  std::size_t max_connections_;
  // Counted from the accept, not from the start of the session, which runs later.
  std::size_t open_ = 0;
  std::size_t closing_ = 0;
  std::chrono::steady_clock::time_point last_refusal_warning_{};
  std::size_t refused_since_warning_ = 0;
  bool stopping_ = false;
  int busy_ = 0;
  std::list<ConnectionState> connections_;
  supervisor::Notifier idle_;
};

// "127.0.0.1" / "::1" / "localhost" and a port -> an endpoint to bind.
boost::asio::ip::tcp::endpoint make_endpoint(const std::string& host, std::uint16_t port);

}  // namespace switchyard::http
