// When a ready model stops being ready: its worker exits (the state must change before the reap,
// which may take a while), or its remote server goes away (probed until it is back, never given
// up on). The health endpoint is a small HTTP responder on loopback that the test opens and
// closes; the worker is scripted through the Launcher seam and exits, and is reaped, only when
// the test says. Waits poll the io_context for a condition, never for a length of time.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <functional>
#include <memory>
#include <optional>

#include "router/supervisor/supervisor.hpp"

namespace switchyard::supervisor {
namespace {

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
    bool done = false;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          co_await supervisor_->shutdown();
          done = true;
        },
        asio::detached);
    EXPECT_TRUE(run_until([&] { return done; }));
    launcher_.health.close();
    supervisor_.reset();
    io_.restart();
    io_.poll();
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
config::ModelConfig spawned_model() {
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

TEST_F(SupervisorServingTest, LeavesReadyAsSoonAsTheWorkerExitsBeforeItIsReaped) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  ASSERT_EQ(s.snapshot().pid, ScriptedLauncher::kPid);

  launcher_.exited.open();
  // Requests that see this state wait for the next worker instead of meeting a dead port.
  EXPECT_TRUE(run_until([&] { return s.state() != ModelState::ready; }));
  EXPECT_EQ(s.state(), ModelState::unhealthy);
  EXPECT_TRUE(s.wants_running());
  EXPECT_EQ(s.snapshot().pid, ScriptedLauncher::kPid) << "not reaped yet";
  EXPECT_FALSE(launcher_.stopped);

  launcher_.reaped.open();
  EXPECT_TRUE(reaches(s, ModelState::restarting));
  EXPECT_TRUE(launcher_.stopped) << "stop() clears what the worker left behind";
  const ModelSnapshot snapshot = s.snapshot();
  EXPECT_EQ(snapshot.pid, 0);
  EXPECT_EQ(snapshot.restarts, 1);
  EXPECT_EQ(snapshot.last_exit, "exit code 1");
  EXPECT_EQ(launcher_.spawns, 1);
}

TEST_F(SupervisorServingTest, OnDemandModelStaysStoppedUntilARequestStartsIt) {
  config::ModelConfig model = spawned_model();
  model.on_demand = true;
  Supervisor& s = make(model);
  io_.poll();
  EXPECT_EQ(s.state(), ModelState::stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_FALSE(s.wants_running()) << "nothing starts it by itself";
  EXPECT_TRUE(s.snapshot().starts_on_request);
  EXPECT_EQ(launcher_.spawns, 0);

  s.start();  // what the first request for it does
  s.start();  // and the next, while it loads: still one worker
  EXPECT_FALSE(s.starts_on_request());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 1);

  // An operator's stop lasts: requests no longer start it.
  s.stop();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_FALSE(s.starts_on_request());
}

TEST_F(SupervisorServingTest, IdleWorkerIsUnloadedAndTheNextRequestStartsItAgain) {
  config::ModelConfig model = spawned_model();
  model.unload_after = milliseconds(50);
  Supervisor& s = make(model);
  ASSERT_TRUE(reaches(s, ModelState::ready));

  // A request in flight, however long, keeps the worker.
  s.request_started();
  io_.run_for(milliseconds(300));
  EXPECT_EQ(s.state(), ModelState::ready);
  EXPECT_FALSE(launcher_.stopped);

  // unload_after from the end of the last request, then stopped and reaped.
  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_EQ(s.snapshot().pid, 0);
  EXPECT_EQ(s.snapshot().restarts, 0) << "an unload is not a restart";
  EXPECT_EQ(s.snapshot().unloads, 1);

  s.start();
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 2);
}

TEST_F(SupervisorServingTest, UnloadLetsTheRequestsInFlightFinishFirst) {
  Supervisor& s = make(spawned_model());
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();

  s.unload();
  EXPECT_EQ(s.state(), ModelState::stopping) << "no new request may go to it";
  io_.run_for(milliseconds(200));
  EXPECT_FALSE(launcher_.stopped) << "stopped under a request in flight";

  s.request_finished();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  EXPECT_TRUE(s.starts_on_request());
  EXPECT_EQ(s.snapshot().unloads, 1);
}

TEST_F(SupervisorServingTest, UnloadStopsTheWorkerAtTheDrainTimeoutAllTheSame) {
  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), spawned_model(), "worker",
                                             launcher_, ports_, nullptr, milliseconds(50));
  Supervisor& s = *supervisor_;
  ASSERT_TRUE(reaches(s, ModelState::ready));
  s.request_started();  // and never finished
  s.unload();
  ASSERT_TRUE(reaches(s, ModelState::stopped));
  EXPECT_TRUE(launcher_.stopped);
  s.request_finished();
}

// A member of a full swap group gives way only once the requests that waited for it have been
// sent to it: unloaded before, it would have loaded for nobody, and two members asked for in
// turn could unload each other for ever. Its worker is reaped before the other one spawns.
TEST_F(SupervisorServingTest, SwapGroupMemberGivesWayOnceItsWaitingRequestsAreSent) {
  auto group = std::make_shared<SwapGroup>("gpu", 1);
  supervisor_ = std::make_unique<Supervisor>(io_.get_executor(), spawned_model(), "worker",
                                             launcher_, ports_, nullptr, hours(1), group);
  Supervisor& a = *supervisor_;
  EXPECT_TRUE(a.starts_on_request()) << "members start on request";
  std::optional<Supervisor::Waiting> waiting_for_a(std::in_place, a);
  a.start();
  ASSERT_TRUE(reaches(a, ModelState::ready));

  config::ModelConfig other = spawned_model();
  other.name = "other";
  Supervisor b(io_.get_executor(), other, "worker", launcher_, ports_, nullptr, hours(1), group);
  b.start();
  io_.run_for(milliseconds(200));
  EXPECT_EQ(a.state(), ModelState::ready) << "unloaded before its waiting request was sent";
  EXPECT_EQ(b.state(), ModelState::starting);

  a.request_started();    // the waiting request is sent,
  waiting_for_a.reset();  // and waits no more
  ASSERT_TRUE(reaches(a, ModelState::stopping));
  io_.run_for(milliseconds(200));
  EXPECT_EQ(launcher_.spawns, 1) << "the other spawned while the first had its worker";

  a.request_finished();
  ASSERT_TRUE(reaches(b, ModelState::ready));
  EXPECT_EQ(launcher_.spawns, 2);
  EXPECT_EQ(a.state(), ModelState::stopped);
  EXPECT_TRUE(a.starts_on_request());
  EXPECT_EQ(a.snapshot().unloads, 1);
  EXPECT_EQ(b.snapshot().group, "gpu");

  bool done = false;
  asio::co_spawn(
      io_,
      [&]() -> asio::awaitable<void> {
        co_await b.shutdown();
        done = true;
      },
      asio::detached);
  EXPECT_TRUE(run_until([&] { return done; }));
}

// Probes every 20 ms; a restart policy that would give up at the first failure.
config::ModelConfig remote_model(std::uint16_t port) {
  config::ModelConfig m;
  m.name = "remote";
  m.source = config::Source::url;
  m.url = "http://127.0.0.1:" + std::to_string(port);
  m.health.interval = milliseconds(20);
  m.health.timeout = milliseconds(500);
  m.health.failure_threshold = 2;
  m.health.startup_timeout = milliseconds(200);
  m.restart.max_restarts = 0;
  return m;
}

TEST_F(SupervisorServingTest, RemoteServerIsProbedUntilItIsBackAndNeverFails) {
  launcher_.health.open(0);
  const std::uint16_t port = launcher_.health.port();
  Supervisor& s = make(remote_model(port));
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(s.snapshot().port, port);
  const std::uint64_t first_generation = s.generation();

  launcher_.health.status = bhttp::status::service_unavailable;
  ASSERT_TRUE(reaches(s, ModelState::unhealthy));
  EXPECT_TRUE(s.last_error().has_value());
  EXPECT_TRUE(s.wants_running()) << "requests wait for it";
  // Not given up on: still probed, and still unhealthy (a given-up model is probed no more).
  const int probes = launcher_.health.probes;
  EXPECT_TRUE(run_until([&] { return launcher_.health.probes >= probes + 5; }));
  EXPECT_EQ(s.state(), ModelState::unhealthy);

  launcher_.health.status = bhttp::status::ok;
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_GT(s.generation(), first_generation) << "connections to the old server are not reused";
  EXPECT_FALSE(s.last_error().has_value());
  const ModelSnapshot snapshot = s.snapshot();
  EXPECT_EQ(snapshot.restarts, 0);
  EXPECT_EQ(snapshot.pid, 0);
  EXPECT_EQ(launcher_.spawns, 0) << "a url model is never spawned";
}

TEST_F(SupervisorServingTest, RemoteServerDownFromTheStartGoesUnhealthyNotFailed) {
  launcher_.health.open(0);
  const std::uint16_t port = launcher_.health.port();
  launcher_.health.close();
  Supervisor& s = make(remote_model(port));
  ASSERT_TRUE(reaches(s, ModelState::unhealthy));  // after startup_timeout
  EXPECT_TRUE(s.last_error().has_value());

  launcher_.health.open(port);
  ASSERT_TRUE(reaches(s, ModelState::ready));
  EXPECT_EQ(s.snapshot().restarts, 0);
}

}  // namespace
}  // namespace switchyard::supervisor
