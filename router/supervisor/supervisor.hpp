// One Supervisor per model: spawns its worker, probes its health, restarts it by policy, and
// tells request handlers when it can take traffic.
//
//                  start() / restart()                probe 200
//   stopped ───────────────────────────► starting ─────────────► ready
//     ▲                                   ▲    │                   │
//     │                                   │    │ exit or           │ exit or failure_threshold
//     │ worker reaped                     │    │ startup_timeout   │ probes failed in a row,
//     │                                   │    │                   │ or max_failed_requests
//     │                                   │    ▼                   │
//   stopping ◄── stop() (any state)       │  unhealthy ◄───────────┘
//   (then starting after a restart())     │    │ worker stopped and reaped
//                           delay elapsed │    ▼
//                                      backoff ◄── decide_restart ──► failed (too many restarts,
//                                                        │            or policy never)
//                                 no restart after a     │              │ start() / restart()
//                                 clean exit: stopped ◄──┘              ▼
//                                                                     starting
//
// An `on_demand` model waits in `stopped` until the first request for it calls start(). With
// `unload_after`, a ready worker that has had no request for that long is stopped the same way
// (ready -> stopping -> stopped) and started again by the next request. A member of a swap
// group (on demand unless its config says otherwise) stays `starting` until the group has a
// place for it; it is stopped the same way when another member needs its place
// (swap_group.hpp).
//
// `url:` models have no process and no restart policy: never spawned, never `failed`; stop()
// and restart() act on them as above.
//
//               probe 200           failure_threshold probes failed in a row, or
//                                    max_failed_requests (then ejection_time before probing)
//   starting ──────────────► ready ─────────────────────────────────────────► unhealthy
//     ▲   │ startup_timeout                                                    ▲    │
//     │   └────────────────────────────────────────────────────────────────────┘    │
//     └──────────────── a probe (every health.interval) answers 200 ────────────────┘
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <list>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>

#include "router/config/config.hpp"
#include "router/supervisor/health_checker.hpp"
#include "router/supervisor/log_buffer.hpp"
#include "router/supervisor/notifier.hpp"
#include "router/supervisor/restart_policy.hpp"
#include "router/supervisor/swap_group.hpp"
#include "router/supervisor/worker_process.hpp"

namespace switchyard::supervisor {

enum class ModelState { stopped, starting, ready, unhealthy, restarting, failed, stopping };
std::string_view to_string(ModelState state);

// Hands out loopback ports for workers, never one that a live worker still holds.
class PortAllocator {
 public:
  std::uint16_t allocate();
  void release(std::uint16_t port) { held_.erase(port); }

 private:
  std::set<std::uint16_t> held_;
};

struct ModelSnapshot {
  ModelState state = ModelState::stopped;
  int pid = 0;
  std::uint16_t port = 0;
  std::chrono::milliseconds uptime{0};
  int restarts = 0;
  std::optional<std::string> last_exit;
  std::optional<std::string> last_error;
  int in_flight = 0;
  int waiting = 0;  // requests waiting for the model to be ready
  int queued = 0;   // requests in line for a max_in_flight slot (waiting ones included)
  int failed_requests_in_a_row = 0;
  int ejections = 0;  // times health.max_failed_requests took the worker out of service
  bool ejected = false;
  bool starts_on_request = false;
  int unloads = 0;  // workers stopped by unload_after, unload() or their swap group
  std::string group;
};

class Supervisor {
 public:
  // A `predecessor` (the same model before a reload changed it) is drained for up to
  // `drain_timeout` and stopped before this one spawns, so the two never hold memory together.
  // A `group` (ignored for url models) is the swap group named by the model's `group:`.
  Supervisor(boost::asio::any_io_executor executor, config::ModelConfig model,
             std::string worker_binary, Launcher& launcher, PortAllocator& ports,
             std::shared_ptr<Supervisor> predecessor = nullptr,
             std::chrono::milliseconds drain_timeout = std::chrono::seconds(30),
             std::shared_ptr<SwapGroup> group = nullptr);
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Operator commands. restart() also re-arms a model that is `failed`. stop() lets a ready
  // worker answer the requests it has first (for up to drain_timeout) and refuses new ones.
  void start();
  void stop();
  void restart();
  // Stops the worker, like stop(), but leaves the model to be started by its next request. A
  // ready worker first finishes the requests it has (for up to drain_timeout) and takes no new
  // one: those wait, and start it again once it is gone.
  void unload();
  // Stops the worker for good and returns once it has been reaped.
  boost::asio::awaitable<void> shutdown();

  const config::ModelConfig& config() const { return model_; }
  // A reload changed only settings each request reads afresh (ModelConfig::same_worker): the
  // worker keeps running. Requests read them between their waits, never across one, so one in
  // flight sees either the old settings or the new at each step.
  void update_request_settings(const config::ModelConfig& next) {
    model_.take_request_settings(next);
  }
  ModelState state() const { return state_; }
  // False once an operator stopped the model, or its restart policy let it stay down: nothing
  // will bring it back by itself, so a request need not wait for it. True during a restart and
  // before the first start, when the state passes through `stopped` or `stopping` on its way up.
  bool wants_running() const { return want_running_; }
  // Down until a request comes for it: an `on_demand` model or swap group member not started
  // yet, or one that was unloaded. start() brings it up; an operator's stop() ends this.
  bool starts_on_request() const { return on_request_ && !want_running_; }
  ModelSnapshot snapshot() const;
  std::optional<std::string> last_error() const { return last_error_; }
  // Where to send requests; only meaningful while ready. Changes with every spawn.
  const UpstreamAddress& upstream() const { return upstream_; }
  std::uint64_t generation() const { return generation_; }
  Notifier& state_changed() { return state_changed_; }
  LogBuffer& logs() { return logs_; }

  // The status a request of worker `generation` was answered with, the router's own 502 or 504
  // included. health.max_failed_requests server errors in a row take the worker out of service
  // (see FailedRequests): one the router runs is restarted by its policy, a url server is left
  // out for health.ejection_time and then probed back. Answers from an earlier worker of the
  // model do not count against the current one.
  void request_answered(std::uint64_t generation, unsigned status);
  // While a url model is left out after failed requests: when it will be probed again.
  std::optional<std::chrono::steady_clock::time_point> ejected_until() const {
    return ejected_until_;
  }

  // Requests in flight, so a reload can drain a model before stopping it.
  void request_started() { ++in_flight_; }
  void request_finished();
  int in_flight() const { return in_flight_; }
  class SlotTurn;
  // A request may be sent to the worker now: it is ready, below max_in_flight (or has no
  // limit), and no request that came before the holder of `turn` waits for a slot. Others wait
  // on state_changed(), which also tells of each request that ends while at the limit.
  bool may_send(const SlotTurn* turn = nullptr) const;
  // A request's place in the line for a max_in_flight slot, held while it waits: a slot that
  // frees goes to the request that has waited longest, not to whichever wakes first or arrives
  // just then. The line also holds requests waiting for the worker to be ready, in the order
  // they came.
  class SlotTurn {
   public:
    SlotTurn() = default;
    SlotTurn(const SlotTurn&) = delete;
    SlotTurn& operator=(const SlotTurn&) = delete;
    ~SlotTurn() { leave(); }
    // Takes a place at the end of `model`'s line, unless it holds one there already (or the
    // model has no limit); leaves the line of a model that a reload replaced.
    void join(const std::shared_ptr<Supervisor>& model);

   private:
    void leave();
    std::shared_ptr<Supervisor> model_;  // kept alive: a reload may drop it while we wait
    std::list<const SlotTurn*>::iterator place_;
  };
  boost::asio::awaitable<void> wait_drained(std::chrono::steady_clock::time_point deadline);

  // Requests waiting for the model to be ready. Its swap group does not unload it for another
  // member until they have been sent to it (see Waiting).
  int waiting() const { return waiting_; }
  // When the last request ended, or the worker became ready; kept for unload_after and groups.
  std::chrono::steady_clock::time_point last_used() const { return last_request_end_; }

  // Counts a request as waiting for `model` to be ready while it lives; nullptr counts nothing.
  class Waiting {
   public:
    explicit Waiting(Supervisor* model) : model_(model) {
      if (model_) ++model_->waiting_;
    }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
    ~Waiting() {
      if (model_ && --model_->waiting_ == 0 && model_->group_) model_->group_->member_changed();
    }

   private:
    Supervisor* model_;
  };

 private:
  enum class Command { none, start, stop, restart, shutdown };
  struct RunEnd {
    EndKind kind = EndKind::clean_exit;
    std::chrono::milliseconds healthy_for{0};
    Command command = Command::none;  // set when an operator command ended the run
  };

  boost::asio::awaitable<void> run();
  boost::asio::awaitable<RunEnd> run_worker();
  // Probes a remote server for as long as it stays configured; returns only for a command.
  boost::asio::awaitable<Command> run_remote();
  // Probes until startup_timeout (returns startup_timeout) or, once ready, until
  // failure_threshold liveness failures in a row (returns unhealthy).
  boost::asio::awaitable<EndKind> watch_health();
  // Probes every health.interval until one answers 200.
  boost::asio::awaitable<void> wait_until_healthy();
  // Returns once the ready worker is to be stopped, with the model `stopping`: after no request
  // for unload_after (never when that is 0), to be started again by the next request, or once
  // an unload() or stop() has drained it.
  boost::asio::awaitable<void> until_stop_due();
  void unloading();
  enum class DrainThen { nothing, unload, stop };
  // Starts draining a ready worker (state `stopping`, no new request sent to it); false when
  // there is nothing to drain.
  bool drain(DrainThen then);
  // Returns Command::none once the model may spawn a worker (at once outside a swap group), or
  // the operator command that came first.
  boost::asio::awaitable<Command> take_group_place();
  boost::asio::awaitable<Command> next_command(bool running);
  boost::asio::awaitable<void> sleep_or_command(std::chrono::milliseconds delay);
  void set_state(ModelState state);
  void command(Command command);
  void on_worker_line(std::string_view line);

  boost::asio::any_io_executor executor_;
  config::ModelConfig model_;
  std::string worker_binary_;
  Launcher& launcher_;
  PortAllocator& ports_;
  std::shared_ptr<Supervisor> predecessor_;
  std::chrono::milliseconds drain_timeout_;
  std::shared_ptr<SwapGroup> group_;
  SwapGroup::Place group_place_;

  ModelState state_ = ModelState::stopped;
  bool on_request_ = model_.on_demand && model_.source != config::Source::url;
  bool want_running_ = !on_request_;
  Command pending_ = Command::none;
  Notifier wake_;
  Notifier state_changed_;
  Notifier drained_;
  bool finished_ = false;
  LogBuffer logs_;

  UpstreamAddress upstream_;
  std::uint64_t generation_ = 0;
  int pid_ = 0;
  std::chrono::steady_clock::time_point started_at_{};
  std::optional<std::chrono::steady_clock::time_point> ready_since_;
  RestartHistory history_;
  int restarts_ = 0;
  std::optional<std::string> last_exit_;
  std::optional<std::string> last_error_;
  int in_flight_ = 0;
  int waiting_ = 0;
  std::list<const SlotTurn*> slot_line_;
  std::chrono::steady_clock::time_point last_request_end_{};  // or when the worker became ready
  FailedRequests failed_requests_{model_.health.max_failed_requests};
  std::optional<std::string> failing_since_;  // why the run of failed requests ended the run
  Notifier requests_failing_;
  int ejections_ = 0;
  int unloads_ = 0;
  DrainThen drain_then_ = DrainThen::nothing;  // set while the worker drains
  std::chrono::steady_clock::time_point drain_deadline_{};
  std::optional<std::chrono::steady_clock::time_point> ejected_until_;
  std::mt19937 jitter_rng_{std::random_device{}()};
};

}  // namespace switchyard::supervisor
