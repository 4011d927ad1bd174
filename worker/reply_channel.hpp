// The server's ResponseSink: engine threads push events, the connection's coroutine (on the
// network thread) awaits them. A single network thread runs every coroutine, so the waiter needs
// no lock; producers lock the queue and post a wake-up to the network thread.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <mutex>
#include <string>

#include "worker/engine.hpp"

namespace switchyard::worker {

class ReplyChannel final : public ResponseSink, public std::enable_shared_from_this<ReplyChannel> {
 public:
  struct Event {
    enum class Kind { reply, chunk, end };
    Kind kind = Kind::end;
    int status = 200;
    std::string content_type;
    std::string data;
  };

  explicit ReplyChannel(boost::asio::any_io_executor executor) : executor_(std::move(executor)) {}

  void reply(int status, std::string content_type, std::string body) override;
  void chunk(std::string content_type, std::string data) override;
  void end() override;
  bool cancelled() const override { return cancelled_.load(std::memory_order_relaxed); }

  // Network thread only. Waits for the next event; throws operation_aborted when the awaiting
  // coroutine is cancelled.
  boost::asio::awaitable<Event> next();
  // Any thread: the client went away or the worker is stopping.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }

 private:
  void push(Event event);
  void wake();  // network thread

  boost::asio::any_io_executor executor_;
  std::mutex mutex_;
  std::deque<Event> events_;
  std::atomic<bool> cancelled_{false};
  boost::asio::steady_timer* waiter_ = nullptr;  // network thread only
};

}  // namespace switchyard::worker
