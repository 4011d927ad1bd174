// Wakes every coroutine waiting for "something changed" (a model's state, a new log line).
// Single-threaded: all use is on the router's one io_context.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>
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

// A Notifier's wait returns normally when the coroutine is cancelled (a branch losing an `||`
// race); a loop around it must then end, or the race waits for it forever.
inline boost::asio::awaitable<void> wait_unless_cancelled(
    Notifier& notifier, std::chrono::steady_clock::time_point deadline) {
  co_await notifier.wait_until(deadline);
  const auto cancelled = (co_await boost::asio::this_coro::cancellation_state).cancelled();
  if (cancelled != boost::asio::cancellation_type::none) {
    throw boost::system::system_error(boost::asio::error::operation_aborted);
  }
}

}  // namespace switchyard::supervisor
