#include "worker/reply_channel.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/system/system_error.hpp>

namespace switchyard::worker {

namespace asio = boost::asio;

void ReplyChannel::reply(int status, std::string content_type, std::string body) {
  push({Event::Kind::reply, status, std::move(content_type), std::move(body)});
}

void ReplyChannel::chunk(std::string content_type, std::string data) {
  push({Event::Kind::chunk, 200, std::move(content_type), std::move(data)});
}

void ReplyChannel::end() { push({Event::Kind::end, 200, {}, {}}); }

void ReplyChannel::push(Event event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  asio::post(executor_, [self = shared_from_this()] { self->wake(); });
}

void ReplyChannel::wake() {
  if (waiter_ != nullptr) waiter_->cancel();
}

asio::awaitable<ReplyChannel::Event> ReplyChannel::next() {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      if (!events_.empty()) {
        Event event = std::move(events_.front());
        events_.pop_front();
        co_return event;
      }
    }
    // An event pushed from here on posts wake(), which can only run once this coroutine is
    // suspended in the wait below: nothing is missed.
    asio::steady_timer timer(executor_, asio::steady_timer::time_point::max());
    waiter_ = &timer;
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    waiter_ = nullptr;
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      throw boost::system::system_error(asio::error::operation_aborted);
    }
  }
}

}  // namespace switchyard::worker
