// Starts Supervisor::shutdown() for a test that then runs or polls the io_context itself.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "router/supervisor/supervisor.hpp"

namespace switchyard::supervisor {

// `done` becomes true once shutdown() has returned.
inline void start_shutdown(boost::asio::io_context& io, Supervisor& s, bool& done) {
  boost::asio::co_spawn(
      io,
      [&s, &done]() -> boost::asio::awaitable<void> {
        co_await s.shutdown();
        done = true;
      },
      boost::asio::detached);
}

}  // namespace switchyard::supervisor
