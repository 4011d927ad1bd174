// async_read_drained and unread_since_drained over a real loopback connection with TCP_INQ. The
// reads the operation makes are counted by wrapping recvmsg (this test binary's own definition,
// which the library's calls bind to), so that a read it should not make fails the test. Each wait is bounded, and waits on
// the socket's state rather than on time.
#include "common/http/drained_read.hpp"

#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/write.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "tests/support/loopback.hpp"

namespace {
int recvmsg_calls = 0;
}  // namespace

extern "C" ssize_t recvmsg(int fd, msghdr* message, int flags) {
  using Real = ssize_t (*)(int, msghdr*, int);
  static const auto real = reinterpret_cast<Real>(dlsym(RTLD_NEXT, "recvmsg"));
  ++recvmsg_calls;
  return real(fd, message, flags);
}

namespace switchyard::http {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

constexpr auto kBound = std::chrono::seconds(5);

struct Read {
  bool done = false;
  error_code ec;
  std::string data;
};

class DrainedReadTest : public ::testing::Test {
 protected:
  DrainedReadTest() {
    server_.emplace(test::connect_loopback(io_, client_));
    server_->non_blocking(true);
    error_code ec;
    report_bytes_left(*server_, ec);
    EXPECT_FALSE(ec) << ec.message();
  }

  void start(Read& read) {
    async_read_drained(*server_, asio::buffer(bytes_), [this, &read](error_code ec, std::size_t n) {
      read = {true, ec, std::string(bytes_, n)};
    });
  }
  // A read of what the client sent.
  std::string read_now() {
    Read read;
    start(read);
    run_until(read);
    EXPECT_TRUE(read.done);
    return read.data;
  }
  // Runs the io_context until `read` completes, or for kBound at most.
  void run_until(const Read& read) {
    io_.restart();
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!read.done && std::chrono::steady_clock::now() < deadline) {
      io_.run_one_for(std::chrono::milliseconds(100));
    }
  }
  // Runs what is ready without waiting: the reactor looks at the sockets once, even when no
  // operation waits (the guard keeps poll() from returning at once for want of work).
  void poll() {
    const auto guard = asio::make_work_guard(io_);
    io_.restart();
    io_.poll();
  }
  // Sends `text` and waits until all of it is in the server's socket.
  void send(const std::string& text) {
    asio::write(client_, asio::buffer(text));
    wait_for([&] { return server_->available() >= text.size(); });
  }
  // Ends the client's side and waits until the server's socket has the FIN (CLOSE_WAIT).
  void send_fin() {
    client_.shutdown(tcp::socket::shutdown_send);
    wait_for([&] {
      tcp_info info{};
      socklen_t size = sizeof info;
      return ::getsockopt(server_->native_handle(), SOL_TCP, TCP_INFO, &info, &size) == 0 &&
             info.tcpi_state == TCP_CLOSE_WAIT;
    });
  }
  template <class Condition>
  static void wait_for(Condition condition) {
    const auto deadline = std::chrono::steady_clock::now() + kBound;
    while (!condition() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    ASSERT_TRUE(condition());
  }

  asio::io_context io_;
  tcp::socket client_{io_};
  std::optional<tcp::socket> server_;
  char bytes_[64];
};

TEST_F(DrainedReadTest, ReadThatEmptiesTheSocketLetsTheNextOneWaitWithoutTrying) {
  send("abc");
  Read first;
  start(first);
  run_until(first);
  ASSERT_TRUE(first.done);
  EXPECT_FALSE(first.ec);
  EXPECT_EQ(first.data, "abc");

  const int calls = recvmsg_calls;
  Read second;
  start(second);
  poll();
  EXPECT_FALSE(second.done);
  EXPECT_EQ(recvmsg_calls, calls) << "the second read tried the empty socket";

  send("de");
  run_until(second);
  ASSERT_TRUE(second.done);
  EXPECT_EQ(second.data, "de");
  EXPECT_EQ(recvmsg_calls, calls + 1);
}

TEST_F(DrainedReadTest, ReadThatLeavesBytesLetsTheNextOneTakeThemAtOnce) {
  send(std::string(100, 'x'));  // more than one read takes
  Read first;
  start(first);
  run_until(first);
  ASSERT_TRUE(first.done);
  EXPECT_EQ(first.data.size(), sizeof bytes_);
  Read second;
  start(second);
  poll();
  EXPECT_TRUE(second.done);
  EXPECT_EQ(second.data.size(), 100 - sizeof bytes_);
}

// The FIN is in the socket with the data, and their edge has gone by: a read that called the
// socket drained would leave the next one waiting for an edge that never comes.
TEST_F(DrainedReadTest, EndOfStreamThatCameWithTheDataIsSeen) {
  send("abc");
  send_fin();
  poll();  // the reactor takes the edge of both now, before any read
  Read first;
  start(first);
  run_until(first);
  ASSERT_TRUE(first.done);
  EXPECT_EQ(first.data, "abc");
  Read second;
  start(second);
  run_until(second);
  ASSERT_TRUE(second.done) << "the end of the stream was missed";
  EXPECT_EQ(second.ec, asio::error::eof);
}

TEST_F(DrainedReadTest, WhatArrivesAfterADrainingReadIsRead) {
  send("abc");
  Read first;
  start(first);
  run_until(first);
  ASSERT_TRUE(first.done);
  // Arrives while no read waits: the reactor sees it before the next read starts.
  send("xyz");
  poll();
  Read second;
  start(second);
  run_until(second);
  ASSERT_TRUE(second.done);
  EXPECT_EQ(second.data, "xyz");
  // And a close after a draining read ends the read that waits.
  Read third;
  start(third);
  poll();
  send_fin();
  run_until(third);
  ASSERT_TRUE(third.done);
  EXPECT_EQ(third.ec, asio::error::eof);
}

TEST_F(DrainedReadTest, ClosingTheSocketCancelsAWaitingRead) {
  Read read;
  start(read);
  poll();
  server_->close();
  run_until(read);
  ASSERT_TRUE(read.done);
  EXPECT_EQ(read.ec, asio::error::operation_aborted);
}

// What the router's pool asks of a connection at rest: has anything come since the read that
// emptied it?
TEST_F(DrainedReadTest, NothingUnreadAfterADrainingReadUntilBytesCome) {
  send("abc");
  EXPECT_EQ(read_now(), "abc");
  poll();
  EXPECT_FALSE(unread_since_drained(*server_));

  send("late");
  poll();  // the event loop takes the edge
  EXPECT_TRUE(unread_since_drained(*server_));
  EXPECT_EQ(read_now(), "late");
  EXPECT_FALSE(unread_since_drained(*server_));
}

TEST_F(DrainedReadTest, EndOfStreamAfterADrainingReadIsUnread) {
  send("abc");
  EXPECT_EQ(read_now(), "abc");
  send_fin();
  poll();
  EXPECT_TRUE(unread_since_drained(*server_));
}

TEST_F(DrainedReadTest, ReadThatLeftBytesLeavesThemUnread) {
  EXPECT_TRUE(unread_since_drained(*server_)) << "no read has drained it yet";
  send(std::string(100, 'x'));
  EXPECT_EQ(read_now().size(), sizeof bytes_);
  EXPECT_TRUE(unread_since_drained(*server_));
}

}  // namespace
}  // namespace switchyard::http
