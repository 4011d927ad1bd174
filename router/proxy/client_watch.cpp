#include "router/proxy/client_watch.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>

namespace switchyard::proxy {

namespace asio = boost::asio;

namespace {

template <typename State>
asio::awaitable<void> watch(asio::ip::tcp::socket& socket, std::shared_ptr<State> state) {
  for (;;) {
    auto [ec] = co_await socket.async_wait(asio::ip::tcp::socket::wait_read,
                                           asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;  // cancelled: the request finished first
    char byte;
    const ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n > 0) co_return;  // a pipelined request, not a hang-up: it stays in the socket
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) continue;
    state->gone = true;
    if (state->on_gone) state->on_gone();
    co_return;
  }
}

}  // namespace

ClientWatch::ClientWatch(boost::beast::tcp_stream& client) : state_(std::make_shared<State>()) {
  asio::co_spawn(client.get_executor(), watch(client.socket(), state_),
                 asio::bind_cancellation_slot(state_->stop.slot(), asio::detached));
}

ClientWatch::~ClientWatch() {
  state_->on_gone = nullptr;
  state_->stop.emit(asio::cancellation_type::all);
}

}  // namespace switchyard::proxy
