// Wakes every coroutine waiting for "something changed" (a model's state, a new log line).
// Single-threaded: all use is on the router's one io_context.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <list>

namespace switchyard::supervisor {

class Notifier {
 public:
  // Returns when notify_all() is called or `deadline` passes, whichever is first.
  boost::asio::awaitable<void> wait_until(std::chrono::steady_clock::time_point deadline) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, deadline);
    auto it = waiters_.insert(waiters_.end(), &timer);
    co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    waiters_.erase(it);
  }

  void notify_all() {
    for (auto* timer : waiters_) timer->cancel();
  }

 private:
  std::list<boost::asio::steady_timer*> waiters_;
};

}  // namespace switchyard::supervisor
