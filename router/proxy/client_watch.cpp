#include "router/proxy/client_watch.hpp"

#include <sys/socket.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <cerrno>

namespace switchyard::proxy {

namespace asio = boost::asio;

// A plain completion handler rather than a coroutine: it is armed for every proxied request, and
// a handler costs one small recycled allocation where a spawned coroutine costs a frame and a
// dispatch.
void ClientWatch::arm(asio::ip::tcp::socket& socket, std::shared_ptr<State> state) {
  auto& slot_source = state->stop;
  socket.async_wait(
      asio::ip::tcp::socket::wait_read,
      asio::bind_cancellation_slot(
          slot_source.slot(), [&socket, state = std::move(state)](boost::system::error_code ec) {
            if (ec) return;  // cancelled: the request finished first
            char byte;
            const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
            if (n > 0) return;  // a pipelined request, not a hang-up: it stays in the socket
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
              return arm(socket, state);
            }
            state->gone = true;
            if (state->on_gone) state->on_gone();
          }));
}

ClientWatch::ClientWatch(boost::beast::tcp_stream& client) : state_(std::make_shared<State>()) {
  arm(client.socket(), state_);
}

ClientWatch::~ClientWatch() {
  state_->on_gone = nullptr;
  state_->stop.emit(asio::cancellation_type::all);
}

}  // namespace switchyard::proxy
