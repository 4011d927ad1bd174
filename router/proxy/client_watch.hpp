// Notices a client that hangs up while its request is waiting or streaming, so the worker's
// connection can be closed at once and the worker stops generating (litellm#13774).
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <memory>

namespace switchyard::proxy {

class ClientWatch {
 public:
  explicit ClientWatch(boost::beast::tcp_stream& client);
  ~ClientWatch();
  ClientWatch(const ClientWatch&) = delete;
  ClientWatch& operator=(const ClientWatch&) = delete;

  bool gone() const { return state_->gone; }
  // Called once, when the client is seen gone; replaces any earlier callback.
  void on_gone(std::function<void()> callback) { state_->on_gone = std::move(callback); }

 private:
  // Shared with the pending wait: the signal must outlive the wait it cancels.
  struct State {
    bool gone = false;
    std::function<void()> on_gone;
    boost::asio::cancellation_signal stop;
  };
  static void arm(boost::asio::ip::tcp::socket& socket, std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::proxy
