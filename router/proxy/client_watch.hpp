// Notices a client that hangs up while its request is waiting or streaming, so the worker's
// connection can be closed at once and the worker stops generating (litellm#13774).
//
// A watch waits on the client's socket only once its request has lasted kArmDelay: most requests
// are answered sooner, and for them the wait would cost a reactor registration, an epoll_ctl and
// a cancellation. One timer per io_context arms the watches that have grown old enough.
#pragma once

#include <boost/asio/cancellation_signal.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/intrusive/list_hook.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>

namespace switchyard::proxy {

class ClientWatch {
 public:
  // A hang-up is seen between kArmDelay and twice that after the request started, then at once.
  static constexpr std::chrono::milliseconds kArmDelay{50};

  explicit ClientWatch(boost::beast::tcp_stream& client);
  ~ClientWatch();
  ClientWatch(const ClientWatch&) = delete;
  ClientWatch& operator=(const ClientWatch&) = delete;

  bool gone() const { return gone_; }
  // Called once, when the client is seen gone; replaces any earlier callback.
  void on_gone(std::function<void()> callback) { on_gone_ = std::move(callback); }

 private:
  friend class WatchArmer;
  // Shared with the pending wait: the signal must outlive the wait it cancels, and the watch
  // may be gone when the wait completes.
  struct Wait {
    ClientWatch* watch;
    boost::asio::cancellation_signal stop;
  };
  void arm();
  static void wait(boost::asio::ip::tcp::socket& socket, std::shared_ptr<Wait> wait);

  boost::asio::ip::tcp::socket& socket_;
  bool gone_ = false;
  std::function<void()> on_gone_;
  std::shared_ptr<Wait> wait_;
  // While not yet armed: the armer's list of pending watches, and its tick when this joined.
  boost::intrusive::list_member_hook<boost::intrusive::link_mode<boost::intrusive::auto_unlink>>
      pending_hook_;
  std::uint64_t joined_tick_ = 0;
};

}  // namespace switchyard::proxy
