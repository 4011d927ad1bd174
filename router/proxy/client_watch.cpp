#include "router/proxy/client_watch.hpp"

#include <sys/socket.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/intrusive/list.hpp>
#include <cerrno>
#include <stdexcept>

namespace switchyard::proxy {

namespace asio = boost::asio;
namespace intrusive = boost::intrusive;

// Arms, on each tick, the watches that joined before the previous tick: they have waited at
// least kArmDelay. The timer runs only while watches are pending or were a tick ago, so an idle
// daemon has no wake-ups and a steady stream of short requests does not restart it each time.
class WatchArmer : public asio::execution_context::service {
 public:
  using key_type = WatchArmer;
  static inline asio::execution_context::id id;

  explicit WatchArmer(asio::io_context& io) : service(io), timer_(io) {}

  static WatchArmer& of(const asio::any_io_executor& executor) {
    const auto* io_executor = executor.target<asio::io_context::executor_type>();
    if (io_executor == nullptr) throw std::logic_error("ClientWatch needs an io_context's socket");
    return asio::use_service<WatchArmer>(io_executor->context());
  }

  void add(ClientWatch& watch) {
    watch.joined_tick_ = tick_;
    pending_.push_back(watch);
    if (!ticking_) schedule();
  }

 private:
  using Pending = intrusive::list<
      ClientWatch,
      intrusive::member_hook<ClientWatch, decltype(ClientWatch::pending_hook_),
                             &ClientWatch::pending_hook_>,
      intrusive::constant_time_size<false>>;

  void shutdown() override { pending_.clear(); }

  void schedule() {
    ticking_ = true;
    timer_.expires_after(ClientWatch::kArmDelay);
    timer_.async_wait([this](const boost::system::error_code& ec) {
      ticking_ = false;
      if (!ec) tick();
    });
  }

  void tick() {
    ++tick_;
    const bool had_pending = !pending_.empty();
    while (!pending_.empty() && pending_.front().joined_tick_ + 2 <= tick_) {
      ClientWatch& watch = pending_.front();
      pending_.pop_front();
      watch.arm();
    }
    if (had_pending) schedule();
  }

  asio::steady_timer timer_;
  Pending pending_;
  std::uint64_t tick_ = 0;
  bool ticking_ = false;
};

// A plain completion handler rather than a coroutine: a handler costs one small recycled
// allocation where a spawned coroutine costs a frame and a dispatch.
void ClientWatch::wait(asio::ip::tcp::socket& socket, std::shared_ptr<Wait> wait) {
  auto& slot_source = wait->stop;
  socket.async_wait(
      asio::ip::tcp::socket::wait_read,
      asio::bind_cancellation_slot(
          slot_source.slot(), [&socket, wait = std::move(wait)](boost::system::error_code ec) {
            if (ec || wait->watch == nullptr) return;  // cancelled: the request finished first
            char byte;
            const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) return;  // a pipelined request, not a hang-up: it stays in the socket
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
              return ClientWatch::wait(socket, wait);
            }
            ClientWatch& watch = *wait->watch;
            watch.gone_ = true;
            if (watch.on_gone_) watch.on_gone_();
          }));
}

ClientWatch::ClientWatch(boost::beast::tcp_stream& client) : socket_(client.socket()) {
  WatchArmer::of(socket_.get_executor()).add(*this);
}

void ClientWatch::arm() {
  wait_ = std::make_shared<Wait>();
  wait_->watch = this;
  wait(socket_, wait_);
}

ClientWatch::~ClientWatch() {
  if (!wait_) return;  // never armed: the hook unlinks itself from the pending list
  wait_->watch = nullptr;
  wait_->stop.emit(asio::cancellation_type::all);
}

}  // namespace switchyard::proxy
