// Timeouts for every socket of an io_context from one timer. beast::tcp_stream arms a timer for
// each read and write, which on a proxy means several timer insertions, cancellations and extra
// completions per request (and per SSE event). Here setting a deadline only stores a time point;
// a sweep every kSweepInterval cancels the pending operations of each socket whose deadline has
// passed. A timeout therefore fires up to kSweepInterval late, which none of ours (seconds) minds.
//
// Use: arm before an operation (`expires_after`), and when the operation fails with
// operation_aborted, `expired()` says whether the deadline was the cause. The sweep runs only
// while some deadline is armed, so an idle daemon has no timer wake-ups.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <list>

namespace switchyard::http {

class DeadlineSweeper;

class Deadline {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kSweepInterval{100};

  explicit Deadline(boost::asio::ip::tcp::socket& socket);
  ~Deadline();
  Deadline(const Deadline&) = delete;
  Deadline& operator=(const Deadline&) = delete;

  void expires_after(Clock::duration timeout);
  void expires_never() { at_ = Clock::time_point::max(); }
  // True when the last armed deadline passed and the socket's pending operations were cancelled.
  bool expired() const { return expired_; }

 private:
  friend class DeadlineSweeper;
  boost::asio::ip::tcp::socket& socket_;
  DeadlineSweeper& sweeper_;
  std::list<Deadline*>::iterator entry_;
  Clock::time_point at_ = Clock::time_point::max();
  bool expired_ = false;
};

// One per io_context (an Asio service); Deadline finds it through its socket's executor.
class DeadlineSweeper {
 public:
  explicit DeadlineSweeper(const boost::asio::any_io_executor& executor) : timer_(executor) {}

  static DeadlineSweeper& of(const boost::asio::any_io_executor& executor);

 private:
  friend class Deadline;
  std::list<Deadline*>::iterator add(Deadline* deadline);
  void remove(std::list<Deadline*>::iterator entry);
  void armed();
  void sweep();

  boost::asio::steady_timer timer_;
  std::list<Deadline*> deadlines_;
  bool sweeping_ = false;
};

}  // namespace switchyard::http
