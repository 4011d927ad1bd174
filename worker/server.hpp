// The worker's small HTTP/1.1 server, shared by every engine: GET /health (503 while loading,
// 200 when ready), GET /v1/models, and the engine's endpoints. One coroutine per connection on a
// single network thread; inference runs on the engine's threads and comes back through a
// ReplyChannel. While a reply is pending, the connection is also watched for the client going
// away, which cancels the engine's work.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "common/http/request_reader.hpp"
#include "worker/engine.hpp"
#include "worker/reply_channel.hpp"

namespace switchyard::worker {

struct ServerConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string model_id;                        // the one entry of /v1/models
  std::uint64_t max_body_bytes = 32ull << 20;  // engine requests (JSON, later audio uploads)
};

class Server {
 public:
  Server(boost::asio::io_context& io, Engine& engine, ServerConfig config);

  // Binds and starts accepting; throws boost::system::system_error when the address is taken.
  void start();
  void set_ready() { ready_.store(true); }
  // Stops accepting and cancels every pending reply. Network thread.
  void stop();
  std::uint16_t port() const { return port_; }

 private:
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> session(boost::asio::ip::tcp::socket socket);
  // Answers one request; returns whether the connection may stay open. `keep_alive`: whether
  // the client lets it.
  boost::asio::awaitable<bool> dispatch(boost::beast::tcp_stream& stream, http::Deadline& deadline,
                                        boost::beast::flat_buffer& buffer, http::Request& request,
                                        bool keep_alive);
  boost::asio::awaitable<bool> relay(boost::beast::tcp_stream& stream, http::Deadline& deadline,
                                     boost::beast::flat_buffer& buffer, http::Request& request,
                                     bool keep_alive);

  boost::asio::io_context& io_;
  Engine& engine_;
  ServerConfig config_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::int64_t created_ = 0;
  std::atomic<bool> ready_{false};
  bool stopping_ = false;
  // Network thread only. Shared with the connections' coroutines, whose frames may outlive the
  // Server when the io_context is destroyed with requests in flight.
  std::shared_ptr<std::set<ReplyChannel*>> pending_ = std::make_shared<std::set<ReplyChannel*>>();
};

}  // namespace switchyard::worker
