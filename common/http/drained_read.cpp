#include "common/http/drained_read.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cerrno>
#include <cstring>

namespace switchyard::http {
namespace {

// The reactor's "try the next read at once" flags, per operation type: cleared by a read that
// drained the socket (done_and_exhausted), set by every edge epoll reports for it. They are
// private to the reactor; an explicit instantiation may name a private member, and the friend
// it defines hands the member pointer out (the usual way to reach a member of a class one
// cannot change).
using DescriptorState = boost::asio::detail::epoll_reactor::descriptor_state;
using TrySpeculative = bool (DescriptorState::*)[boost::asio::detail::epoll_reactor::max_ops];
TrySpeculative try_speculative();
template <TrySpeculative Member>
struct ExposeTrySpeculative {
  friend TrySpeculative try_speculative() { return Member; }
};
template struct ExposeTrySpeculative<&DescriptorState::try_speculative_>;

}  // namespace

void report_bytes_left(boost::asio::ip::tcp::socket& socket, boost::system::error_code& ec) {
  const int on = 1;
  ec = {};
  if (::setsockopt(socket.native_handle(), SOL_TCP, TCP_INQ, &on, sizeof on) != 0) {
    ec = boost::system::error_code(errno, boost::system::system_category());
  }
}

bool unread_since_drained(boost::asio::ip::tcp::socket& socket) {
  const DescriptorState* state =
      drained_detail::SocketInternals::implementation(socket).reactor_data_;
  return state == nullptr ||
         (state->*try_speculative())[boost::asio::detail::epoll_reactor::read_op];
}

namespace drained_detail {

bool read_reporting_left(int fd, boost::asio::mutable_buffer buffer,
                         boost::system::error_code& ec, std::size_t& bytes, bool& drained) {
  iovec piece{buffer.data(), buffer.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
  msghdr message{};
  message.msg_iov = &piece;
  message.msg_iovlen = 1;
  for (;;) {
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &message, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    drained = false;
    if (n < 0) {
      ec = boost::system::error_code(errno, boost::system::system_category());
      bytes = 0;
      return true;
    }
    bytes = static_cast<std::size_t>(n);
    ec = n == 0 ? boost::system::error_code(boost::asio::error::eof) : boost::system::error_code();
    for (cmsghdr* c = CMSG_FIRSTHDR(&message); c != nullptr; c = CMSG_NXTHDR(&message, c)) {
      if (c->cmsg_level == SOL_TCP && c->cmsg_type == TCP_CM_INQ) {
        int left = 0;
        std::memcpy(&left, CMSG_DATA(c), sizeof left);
        drained = left == 0;
      }
    }
    return true;
  }
}

}  // namespace drained_detail
}  // namespace switchyard::http
