// Socket reads that tell Asio's reactor when a socket is drained.
//
// Asio's reactor tries every read on the socket at once and waits on epoll only after that
// try failed with EAGAIN: it counts a socket as drained only after a read of zero bytes. A proxy
// reads right after each write, when nothing can have come yet, so every request and every SSE
// event cost it one failing recvfrom that nginx does not make (docs/performance.md counts them).
// With TCP_INQ the kernel says, with each read, how much the read left behind, a FIN counting as
// one byte; a read that left nothing reports the socket drained, as Asio's own reads do at the
// end of a stream, and the reactor waits for epoll's next edge instead of trying. Whatever
// arrives after that read raises the edge, and a FIN that came with the data is not hidden.
// The same bookkeeping tells, at no cost, whether anything came to a connection at rest since
// the read that drained it (unread_since_drained).
//
// The operation is written against Asio's reactor (`boost::asio::detail`, Boost 1.81 as Debian
// 12 ships it), as Asio's own socket reads are. It has no per-operation cancellation: cancel or
// close the socket, as the router's deadlines do.
#pragma once

#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/bind_handler.hpp>
#include <boost/asio/detail/epoll_reactor.hpp>
#include <boost/asio/detail/fenced_block.hpp>
#include <boost/asio/detail/handler_alloc_helpers.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/detail/handler_work.hpp>
#include <boost/asio/detail/reactive_socket_service.hpp>
#include <boost/asio/detail/reactor_op.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstddef>
#include <memory>

#if !defined(BOOST_ASIO_HAS_EPOLL) || defined(BOOST_ASIO_HAS_IO_URING_AS_DEFAULT)
#error "drained_read.hpp needs Asio's epoll reactor"
#endif

namespace switchyard::http {

// Asks the kernel to report, with each read, what is left in the socket. On a socket without it
// async_read_drained behaves as the socket's async_read_some.
void report_bytes_left(boost::asio::ip::tcp::socket& socket, boost::system::error_code& ec);

// False only while nothing has come to the socket since a read that drained it: no byte, no end
// of stream, no error, as far as the reactor has seen (epoll's edges are taken each time the
// event loop waits). True before any read has drained it. Reads the reactor's state for the
// socket without its lock: for a socket whose io_context one thread runs, as the router's.
bool unread_since_drained(boost::asio::ip::tcp::socket& socket);

namespace drained_detail {

// One non-blocking read into `buffer`; false when it would block. `drained` is set when the
// kernel reported nothing left behind: no byte and no FIN.
bool read_reporting_left(int fd, boost::asio::mutable_buffer buffer,
                         boost::system::error_code& ec, std::size_t& bytes, bool& drained);

// What a socket read needs of Asio's socket service sits in protected members: the socket's
// state in basic_socket, and the call that hands a read to the reactor (making the socket
// non-blocking first if needed) in the service. Pointers to them, named through these derived
// classes, reach them without copying Asio's code.
struct SocketInternals : boost::asio::ip::tcp::socket {
  static auto& implementation(boost::asio::ip::tcp::socket& socket) {
    return (socket.*&SocketInternals::impl_).get_implementation();
  }
  static auto& service(boost::asio::ip::tcp::socket& socket) {
    return (socket.*&SocketInternals::impl_).get_service();
  }
};
struct ServiceInternals : boost::asio::detail::reactive_socket_service<boost::asio::ip::tcp> {
  static void start_read(reactive_socket_service& service, base_implementation_type& impl,
                         boost::asio::detail::reactor_op* op, bool is_continuation) {
    (service.*&ServiceInternals::start_op)(impl, boost::asio::detail::epoll_reactor::read_op, op,
                                          is_continuation, true, false);
  }
};

// Asio's reactive_socket_recv_op, but for what it reports to the reactor once it has read.
template <class Handler, class IoExecutor>
class ReadOp : public boost::asio::detail::reactor_op {
 public:
  BOOST_ASIO_DEFINE_HANDLER_PTR(ReadOp);

  ReadOp(int fd, boost::asio::mutable_buffer buffer, Handler& handler, const IoExecutor& io_ex)
      : reactor_op(boost::system::error_code(), &ReadOp::do_perform, &ReadOp::do_complete),
        fd_(fd),
        buffer_(buffer),
        handler_(std::move(handler)),
        work_(handler_, io_ex) {}

  static status do_perform(reactor_op* base) {
    auto* op = static_cast<ReadOp*>(base);
    bool drained = false;
    if (!read_reporting_left(op->fd_, op->buffer_, op->ec_, op->bytes_transferred_, drained)) {
      return not_done;
    }
    // A failed read or the end of the stream exhausts the socket too, as in Asio.
    return drained || op->bytes_transferred_ == 0 ? done_and_exhausted : done;
  }

  static void do_complete(void* owner, boost::asio::detail::operation* base,
                          const boost::system::error_code&, std::size_t) {
    auto* op = static_cast<ReadOp*>(base);
    ptr p = {std::addressof(op->handler_), op, op};
    boost::asio::detail::handler_work<Handler, IoExecutor> work(std::move(op->work_));
    // The handler is moved out so that the operation's memory is free before the upcall, which
    // may start the next read in it.
    boost::asio::detail::binder2<Handler, boost::system::error_code, std::size_t> handler(
        op->handler_, op->ec_, op->bytes_transferred_);
    p.h = std::addressof(handler.handler_);
    p.reset();
    if (owner) {
      boost::asio::detail::fenced_block b(boost::asio::detail::fenced_block::half);
      work.complete(handler, handler.handler_);
    }
  }

 private:
  int fd_;
  boost::asio::mutable_buffer buffer_;
  Handler handler_;
  boost::asio::detail::handler_work<Handler, IoExecutor> work_;
};

}  // namespace drained_detail

// As socket.async_read_some(buffer, token), completing with (error_code, bytes read), but a read
// that empties the socket lets the next one wait without a system call.
template <class CompletionToken>
auto async_read_drained(boost::asio::ip::tcp::socket& socket, boost::asio::mutable_buffer buffer,
                        CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken,
                                     void(boost::system::error_code, std::size_t)>(
      [](auto handler, boost::asio::ip::tcp::socket* socket, boost::asio::mutable_buffer buffer) {
        using Handler = decltype(handler);
        // An empty read completes at once in Asio: leave it to Asio.
        if (buffer.size() == 0) {
          socket->async_read_some(buffer, std::move(handler));
          return;
        }
        using Op = drained_detail::ReadOp<Handler, boost::asio::ip::tcp::socket::executor_type>;
        auto& impl = drained_detail::SocketInternals::implementation(*socket);
        const bool is_continuation =
            boost_asio_handler_cont_helpers::is_continuation(handler);
        typename Op::ptr p = {std::addressof(handler), Op::ptr::allocate(handler), nullptr};
        p.p = new (p.v) Op(impl.socket_, buffer, handler, socket->get_executor());
        drained_detail::ServiceInternals::start_read(
            drained_detail::SocketInternals::service(*socket), impl, p.p, is_continuation);
        p.v = p.p = nullptr;
      },
      token, &socket, buffer);
}

}  // namespace switchyard::http
