// The Supervisor's seams scripted for its tests: a Launcher whose one worker exits, and is
// reaped, only when the test says, and whose health endpoint is a small HTTP responder on
// loopback that the test opens and closes. Waits poll the io_context for a condition, never for
// a length of time.
#pragma once

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <string>

#include "router/supervisor/supervisor.hpp"
#include "tests/unit/supervisor/start_shutdown.hpp"

namespace switchyard::supervisor {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using std::chrono::hours;
using std::chrono::milliseconds;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// Answers every request with `status` while open: 200 like a worker that has loaded its model,
// 503 like one that is not well. Counts the probes it answers.
class HealthResponder {
 public:
  explicit HealthResponder(asio::any_io_executor executor) : acceptor_(executor) {}

  bhttp::status status = bhttp::status::ok;
  int probes = 0;

  void open(std::uint16_t port) {
    acceptor_.open(tcp::v4());
    acceptor_.set_option(tcp::acceptor::reuse_address(true));
    acceptor_.bind({asio::ip::address_v4::loopback(), port});
    acceptor_.listen();
    asio::co_spawn(acceptor_.get_executor(), serve(), asio::detached);
  }
  void close() { acceptor_.close(); }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

 private:
  asio::awaitable<void> serve() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(kNoThrow);
      if (ec) co_return;
      boost::beast::flat_buffer buffer;
      bhttp::request<bhttp::empty_body> request;
      if (auto [read_ec, n] = co_await bhttp::async_read(socket, buffer, request, kNoThrow);
          read_ec) {
        continue;
      }
      ++probes;
      bhttp::response<bhttp::empty_body> response{status, 11};
      response.keep_alive(false);
      response.prepare_payload();
      co_await bhttp::async_write(socket, response, kNoThrow);
    }
  }

  tcp::acceptor acceptor_;
};

// Suspends wait() until open() is called.
class Gate {
 public:
  explicit Gate(asio::any_io_executor executor)
      : timer_(executor, asio::steady_timer::time_point::max()) {}
  asio::awaitable<void> wait() {
    if (!open_) co_await timer_.async_wait(kNoThrow);
  }
  void open() {
    open_ = true;
    timer_.cancel();
  }

 private:
  bool open_ = false;
  asio::steady_timer timer_;
};

// Spawns one scripted worker whose health endpoint answers on the port it was given.
class ScriptedLauncher : public Launcher {
 public:
  explicit ScriptedLauncher(asio::any_io_executor executor)
      : exited(executor), reaped(executor), health(executor) {}

  asio::awaitable<std::unique_ptr<WorkerProcess>> spawn(SpawnSpec spec, LineSink) override {
    ++spawns;
    health.open(static_cast<std::uint16_t>(std::stoi(spec.env.at("PORT"))));
    co_return std::make_unique<Process>(*this);
  }

  Gate exited;  // the process has exited
  Gate reaped;  // ...and waitpid() has returned
  HealthResponder health;
  int spawns = 0;
  bool stopped = false;

 private:
  class Process : public WorkerProcess {
   public:
    explicit Process(ScriptedLauncher& script) : script_(script) {}
    int pid() const override { return kPid; }
    asio::awaitable<void> wait_exited() override { co_await script_.exited.wait(); }
    asio::awaitable<ExitInfo> wait_exit() override {
      co_await script_.exited.wait();
      co_await script_.reaped.wait();
      co_return ExitInfo{.code = 1};
    }
    asio::awaitable<ExitInfo> stop(milliseconds) override {
      script_.stopped = true;
      script_.health.close();  // its port is free for the next worker
      co_return ExitInfo{.code = 1};
    }

   private:
    ScriptedLauncher& script_;
  };

 public:
  static constexpr int kPid = 4242;
};

class SupervisorServingTest : public ::testing::Test {
 protected:
  ~SupervisorServingTest() override {
    if (!supervisor_) return;
    EXPECT_TRUE(shuts_down(*supervisor_));
    launcher_.health.close();
    supervisor_.reset();
    io_.restart();
    io_.poll();
  }

  // Runs s.shutdown() to completion; false if it does not complete.
  bool shuts_down(Supervisor& s) {
    bool done = false;
    start_shutdown(io_, s, done);
    return run_until([&] { return done; });
  }

  Supervisor& make(config::ModelConfig config) {
    supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), std::move(config), "worker",
                                               launcher_, ports_);
    return *supervisor_;
  }

  // Runs the io_context until `condition` holds; false if it still does not after a long while.
  bool run_until(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!condition()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(milliseconds(5));
    }
    return true;
  }
  bool reaches(const Supervisor& s, ModelState state) {
    return run_until([&] { return s.state() == state; });
  }

  asio::io_context io_;
  ScriptedLauncher launcher_{io_.get_executor()};
  PortAllocator ports_;
  std::unique_ptr<Supervisor> supervisor_;
};

// Backoff and liveness probes are an hour apart: once ready, nothing happens unless the test
// makes it happen.
inline config::ModelConfig spawned_model() {
  config::ModelConfig m;
  m.name = "llm";
  m.source = config::Source::engine;
  m.engine = "llama";
  m.model_path = "/models/llm.gguf";
  m.health.interval = hours(1);
  m.restart.backoff_initial = hours(1);
  m.restart.backoff_max = hours(2);
  return m;
}

}  // namespace switchyard::supervisor
