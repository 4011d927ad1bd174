#include "router/supervisor/supervisor.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <stdexcept>
#include <system_error>

#include "router/supervisor/spawn_spec.hpp"

namespace switchyard::supervisor {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr milliseconds kFirstStartupProbeDelay{50};
constexpr milliseconds kMaxStartupProbeDelay{1000};

asio::awaitable<void> sleep_for(milliseconds delay) {
  asio::steady_timer timer(co_await asio::this_coro::executor, delay);
  co_await timer.async_wait(asio::use_awaitable);
}

milliseconds since(SteadyClock::time_point t) {
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t);
}

}  // namespace

std::string_view to_string(ModelState state) {
  switch (state) {
    case ModelState::stopped:
      return "stopped";
    case ModelState::starting:
      return "starting";
    case ModelState::ready:
      return "ready";
    case ModelState::unhealthy:
      return "unhealthy";
    case ModelState::restarting:
      return "restarting";
    case ModelState::failed:
      return "failed";
    case ModelState::stopping:
      return "stopping";
  }
  return "unknown";
}

std::uint16_t PortAllocator::allocate() {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0;
    ::close(fd);
    if (!bound) continue;
    const std::uint16_t port = ntohs(address.sin_port);
    if (held_.insert(port).second) return port;
  }
  throw std::runtime_error("no free loopback port for a worker");
}

Supervisor::Supervisor(asio::any_io_executor executor, config::ModelConfig model,
                       std::string worker_binary, Launcher& launcher, PortAllocator& ports,
                       std::shared_ptr<Supervisor> predecessor, milliseconds drain_timeout,
                       std::shared_ptr<SwapGroup> group)
    : executor_(std::move(executor)),
      model_(std::move(model)),
      worker_binary_(std::move(worker_binary)),
      launcher_(launcher),
      ports_(ports),
      predecessor_(std::move(predecessor)),
      drain_timeout_(drain_timeout),
      group_(model_.source == config::Source::url ? nullptr : std::move(group)) {
  asio::co_spawn(executor_, run(), [this](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("model {}: supervisor stopped by an internal error: {}", model_.name, e.what());
      last_error_ = std::string("internal error: ") + e.what();
    }
    finished_ = true;
    want_running_ = false;
    group_place_ = {};
    set_state(ModelState::failed);
    state_changed_.notify_all();  // wakes shutdown() even if the state was failed already
  });
}

void Supervisor::start() { command(Command::start); }
void Supervisor::restart() { command(Command::restart); }

void Supervisor::stop() {
  if (drain_then_ != DrainThen::nothing) {
    // Already draining for an unload: it ends in a stop that lasts instead.
    drain_then_ = DrainThen::stop;
    want_running_ = false;
    on_request_ = false;
    return;
  }
  if (!drain(DrainThen::stop)) {
    command(Command::stop);
    return;
  }
  // Refused from now on (model_stopped), not left to wait for a start that will not come.
  want_running_ = false;
  on_request_ = false;
}

void Supervisor::unload() {
  // No worker to unload, or one already draining.
  if (model_.source == config::Source::url || drain_then_ != DrainThen::nothing) return;
  if (drain(DrainThen::unload)) return;
  if (want_running_) ++unloads_;
  command(Command::stop);
  on_request_ = true;
}

bool Supervisor::drain(DrainThen then) {
  // A url model's requests do not depend on anything the router stops.
  if (model_.source == config::Source::url || state_ != ModelState::ready) return false;
  drain_then_ = then;
  drain_deadline_ = SteadyClock::now() + drain_timeout_;
  set_state(ModelState::stopping);
  drained_.notify_all();  // until_stop_due() takes it from here
  return true;
}

void Supervisor::command(Command command) {
  if (pending_ == Command::shutdown) return;  // shutting down is final
  pending_ = command;
  // Known from now on, not only once run() takes the command: a stop takes a while.
  want_running_ = command == Command::start || command == Command::restart;
  // An operator's stop is meant to last: requests no longer start the model.
  if (command == Command::stop) on_request_ = false;
  wake_.notify_all();
}

asio::awaitable<void> Supervisor::shutdown() {
  command(Command::shutdown);
  while (!finished_) co_await state_changed_.wait_until(SteadyClock::time_point::max());
}

void Supervisor::request_finished() {
  // Read only where unload_after or a swap group uses it: no clock read per request otherwise.
  if (model_.unload_after > milliseconds::zero() || group_) last_request_end_ = SteadyClock::now();
  if (model_.max_in_flight > 0 && in_flight_ == model_.max_in_flight) {
    state_changed_.notify_all();  // a request waiting for a free slot may go
  }
  if (--in_flight_ == 0) drained_.notify_all();
}

bool Supervisor::may_send(const SlotTurn* turn) const {
  if (state_ != ModelState::ready) return false;
  if (model_.max_in_flight == 0) return true;
  return in_flight_ < model_.max_in_flight &&
         (slot_line_.empty() || (turn && slot_line_.front() == turn));
}

void Supervisor::SlotTurn::join(const std::shared_ptr<Supervisor>& model) {
  if (model_ == model || model->model_.max_in_flight == 0) return;
  leave();
  model_ = model;
  place_ = model_->slot_line_.insert(model_->slot_line_.end(), this);
}

void Supervisor::SlotTurn::leave() {
  if (!model_) return;
  auto& line = model_->slot_line_;
  const bool was_first = place_ == line.begin();
  line.erase(place_);
  // The next in line may have a slot now: the one that left took its own, or gave up waiting.
  if (was_first && !line.empty()) model_->state_changed_.notify_all();
  model_.reset();
}

asio::awaitable<void> Supervisor::wait_drained(SteadyClock::time_point deadline) {
  while (in_flight_ > 0 && SteadyClock::now() < deadline) co_await drained_.wait_until(deadline);
}

void Supervisor::request_answered(std::uint64_t generation, unsigned status) {
  if (generation != generation_ || state_ != ModelState::ready || failing_since_) return;
  if (!failed_requests_.on_answer(status)) return;
  failing_since_ = std::to_string(model_.health.max_failed_requests) +
                   " requests in a row failed (the last with HTTP " + std::to_string(status) + ")";
  requests_failing_.notify_all();
}

ModelSnapshot Supervisor::snapshot() const {
  ModelSnapshot s;
  s.state = state_;
  s.pid = pid_;
  // A port only means something while a worker holds it (or for a remote server).
  s.port = pid_ != 0 || model_.source == config::Source::url ? upstream_.port : 0;
  s.uptime = pid_ != 0 || ready_since_ ? since(started_at_) : milliseconds(0);
  s.restarts = restarts_;
  s.last_exit = last_exit_;
  s.last_error = last_error_;
  s.in_flight = in_flight_;
  s.waiting = waiting_;
  s.queued = static_cast<int>(slot_line_.size());
  s.failed_requests_in_a_row = failed_requests_.in_a_row();
  s.ejections = ejections_;
  s.ejected = ejected_until_.has_value();
  s.starts_on_request = starts_on_request();
  s.unloads = unloads_;
  if (group_) s.group = group_->name();
  return s;
}

void Supervisor::set_state(ModelState state) {
  if (state_ == state) return;
  spdlog::info("model {}: {} -> {}", model_.name, to_string(state_), to_string(state));
  state_ = state;
  state_changed_.notify_all();
  if (group_) group_->member_changed();
}

void Supervisor::on_worker_line(std::string_view line) {
  spdlog::info("[{}] {}", model_.name, line);
  logs_.append(line);
}

asio::awaitable<Supervisor::Command> Supervisor::next_command(bool running) {
  for (;;) {
    // `start` for a model that is already running changes nothing.
    if (running && pending_ == Command::start) pending_ = Command::none;
    if (pending_ != Command::none) co_return std::exchange(pending_, Command::none);
    // A command that arrived as this branch lost a race must stay pending: taken here, it would
    // be dropped with the losing branch's result (a SIGTERM just as the worker exited left the
    // router hanging).
    co_await wait_unless_cancelled(wake_, SteadyClock::time_point::max());
  }
}

asio::awaitable<void> Supervisor::sleep_or_command(milliseconds delay) {
  const auto deadline = SteadyClock::now() + delay;
  while (pending_ == Command::none && SteadyClock::now() < deadline) {
    co_await wake_.wait_until(deadline);
  }
}

asio::awaitable<void> Supervisor::run() {
  if (predecessor_) {
    set_state(ModelState::starting);
    co_await predecessor_->wait_drained(SteadyClock::now() + drain_timeout_);
    co_await predecessor_->shutdown();
    predecessor_.reset();
  }
  bool gave_up = false;
  for (;;) {
    if (pending_ == Command::shutdown) break;
    if (!want_running_) {
      group_place_ = {};  // the worker is gone: another member may load
      set_state(gave_up ? ModelState::failed : ModelState::stopped);
      const Command command = co_await next_command(false);
      if (command == Command::shutdown) break;
      if (command == Command::start || command == Command::restart) {
        want_running_ = true;  // also over a restart decision taken after the command came
        gave_up = false;
        history_ = {};
        last_error_.reset();
      }
      continue;
    }

    RunEnd end;
    if (model_.source == config::Source::url) {
      end.command = co_await run_remote();
    } else if (const Command command = co_await take_group_place(); command != Command::none) {
      end.command = command;
    } else {
      end = co_await run_worker();
    }
    if (end.command == Command::shutdown) break;
    if (end.command == Command::stop) continue;
    if (end.command == Command::restart) {
      history_ = {};
      continue;
    }

    std::uniform_real_distribution<double> jitter(0.0, 1.0);
    const RestartDecision decision = decide_restart(model_.restart, end.kind, end.healthy_for,
                                                    history_, SteadyClock::now(),
                                                    jitter(jitter_rng_));
    spdlog::warn("model {}: {}", model_.name, decision.reason);
    // Keep the cause (exit status, failed probe, spawn error) in front of what follows from it.
    last_error_ = last_error_ ? *last_error_ + "; " + decision.reason : decision.reason;
    if (!decision.restart) {
      want_running_ = false;
      on_request_ = false;
      gave_up = decision.give_up;
      continue;
    }
    ++restarts_;
    set_state(ModelState::restarting);
    co_await sleep_or_command(decision.delay);
    // A command that arrived during the backoff has set want_running_; a shutdown is handled
    // at the top of the loop.
    if (pending_ != Command::shutdown) pending_ = Command::none;
  }
  finished_ = true;
  group_place_ = {};
  set_state(ModelState::stopped);
  // set_state() notifies only on a change: shutdown() of a model that was already stopped waits
  // for finished_ all the same.
  state_changed_.notify_all();
}

asio::awaitable<Supervisor::Command> Supervisor::take_group_place() {
  if (!group_ || group_place_.held()) co_return Command::none;
  set_state(ModelState::starting);
  auto result = co_await (group_->take_place(*this) || next_command(true));
  if (result.index() == 1) co_return std::get<1>(result);
  group_place_ = std::move(std::get<0>(result));
  co_return Command::none;
}

asio::awaitable<Supervisor::RunEnd> Supervisor::run_worker() {
  set_state(ModelState::starting);
  const std::uint16_t port = ports_.allocate();
  std::unique_ptr<WorkerProcess> process;
  try {
    process = co_await launcher_.spawn(make_spawn_spec(model_, worker_binary_, port),
                                       [this](std::string_view line) { on_worker_line(line); });
  } catch (const std::exception& e) {
    ports_.release(port);
    last_error_ = e.what();
    RunEnd end;
    end.kind = EndKind::spawn_failed;
    co_return end;
  }
  ++generation_;
  pid_ = process->pid();
  upstream_ = UpstreamAddress{std::string(kWorkerHost), port, ""};
  started_at_ = SteadyClock::now();
  ready_since_.reset();
  spdlog::info("model {}: spawned pid {} on port {}", model_.name, pid_, port);

  auto result =
      co_await (process->wait_exited() || watch_health() || next_command(true) || until_stop_due());
  RunEnd end;
  if (result.index() == 0) {
    // Not ready from the moment the worker is gone: reaping it and draining its output take a
    // while, and requests meanwhile must wait for the next worker, not meet a dead port.
    set_state(ModelState::unhealthy);
    const ExitInfo exit = co_await process->wait_exit();
    end.kind = exit.clean() ? EndKind::clean_exit : EndKind::failed_exit;
    last_error_ = "worker " + exit.to_string();
  } else if (result.index() == 1) {
    end.kind = std::get<1>(result);
    set_state(ModelState::unhealthy);
  } else if (result.index() == 2) {
    end.command = std::get<2>(result);
    set_state(ModelState::stopping);
  } else {
    end.command = Command::stop;  // until_stop_due() has set the state
  }
  if (const DrainThen then = std::exchange(drain_then_, DrainThen::nothing);
      then != DrainThen::nothing && result.index() < 2) {
    // The worker exited or failed its probes while it drained: it was being stopped all the
    // same. (An operator's command that came meanwhile is done as asked.)
    if (then == DrainThen::unload) unloading();
    end = RunEnd{.command = Command::stop};
  }
  end.healthy_for = ready_since_ ? since(*ready_since_) : milliseconds(0);
  ready_since_.reset();
  // Also after a crash: stop() clears descendants the worker left behind.
  const ExitInfo exit = co_await process->stop(model_.stop_timeout);
  last_exit_ = exit.to_string();
  spdlog::info("model {}: worker pid {} ended: {}", model_.name, pid_, *last_exit_);
  pid_ = 0;
  ports_.release(port);
  co_return end;
}

asio::awaitable<Supervisor::Command> Supervisor::run_remote() {
  if (auto address = upstream_of_url(model_.url)) upstream_ = *address;
  // The restart policy is for processes the router owns: a remote server that stops answering
  // is someone else's to fix, so it is probed until it answers again, never given up on.
  for (;;) {
    set_state(ModelState::starting);
    // Pooled connections to a server that went away must not be reused once it is back.
    ++generation_;
    started_at_ = SteadyClock::now();
    ready_since_.reset();
    auto watched = co_await (watch_health() || next_command(true));
    ready_since_.reset();
    if (watched.index() == 1) co_return std::get<1>(watched);
    set_state(ModelState::unhealthy);
    if (std::exchange(failing_since_, std::nullopt)) {
      // Its health endpoint would call it healthy at the next probe: it is left out for the
      // ejection time, then probed as at a start.
      spdlog::warn("model {}: left out for {}ms", model_.name, model_.health.ejection_time.count());
      ejected_until_ = SteadyClock::now() + model_.health.ejection_time;
      auto ejected = co_await (sleep_for(model_.health.ejection_time) || next_command(true));
      ejected_until_.reset();
      if (ejected.index() == 1) co_return std::get<1>(ejected);
      continue;
    }
    spdlog::warn("model {}: {}; probing it every {}ms until it answers", model_.name,
                 last_error_.value_or("remote server not healthy"), model_.health.interval.count());
    auto recovered = co_await (wait_until_healthy() || next_command(true));
    if (recovered.index() == 1) co_return std::get<1>(recovered);
  }
}

asio::awaitable<void> Supervisor::wait_until_healthy() {
  const auto& health = model_.health;
  const std::string path = upstream_.base_path + health.path;
  for (;;) {
    co_await sleep_for(health.interval);
    const ProbeResult probe =
        co_await probe_http(upstream_.host, upstream_.port, path, health.timeout);
    if (probe.ok()) co_return;
  }
}

void Supervisor::unloading() {
  want_running_ = false;
  on_request_ = true;
  ++unloads_;
  set_state(ModelState::stopping);
}

asio::awaitable<void> Supervisor::until_stop_due() {
  for (;;) {
    const auto now = SteadyClock::now();
    if (drain_then_ != DrainThen::nothing) {
      if (in_flight_ == 0 || now >= drain_deadline_) {
        spdlog::info("model {}: {} it ({} requests still in flight)", model_.name,
                     drain_then_ == DrainThen::unload ? "unloading" : "stopping", in_flight_);
        if (drain_then_ == DrainThen::unload) unloading();
        co_return;
      }
      co_await wait_unless_cancelled(drained_, drain_deadline_);
      continue;
    }
    const bool counting = model_.unload_after > milliseconds::zero() &&
                          state_ == ModelState::ready && in_flight_ == 0;
    const auto due =
        counting ? last_request_end_ + model_.unload_after : SteadyClock::time_point::max();
    if (counting && now >= due) {
      // Not ready from now on, in the same step as the check: the race this branch has won
      // takes a moment to end the others, and a request let through meanwhile would meet a
      // worker being stopped.
      spdlog::info("model {}: no request for {}ms; stopping it until the next one", model_.name,
                   model_.unload_after.count());
      unloading();
      co_return;
    }
    // The last request in flight ending, the worker becoming ready, or an unload() wakes it.
    co_await wait_unless_cancelled(in_flight_ > 0 ? drained_ : state_changed_, due);
  }
}

asio::awaitable<EndKind> Supervisor::watch_health() {
  const auto& health = model_.health;
  const std::string path = upstream_.base_path + health.path;
  const auto deadline = started_at_ + health.startup_timeout;
  milliseconds delay = kFirstStartupProbeDelay;
  for (;;) {
    const auto left = std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now());
    const ProbeResult probe = co_await probe_http(upstream_.host, upstream_.port, path,
                                                  std::max(std::min(health.timeout, left),
                                                           milliseconds(1)));
    if (probe.ok()) break;
    if (SteadyClock::now() >= deadline) {
      last_error_ = "not healthy within startup_timeout of " +
                    std::to_string(health.startup_timeout.count()) + "ms (last probe: " +
                    (probe.status ? "HTTP " + std::to_string(probe.status) : probe.error) + ")";
      co_return EndKind::startup_timeout;
    }
    co_await sleep_for(std::min(delay, std::chrono::duration_cast<milliseconds>(
                                           deadline - SteadyClock::now()) + milliseconds(1)));
    delay = std::min(delay * 2, kMaxStartupProbeDelay);
  }
  ready_since_ = SteadyClock::now();
  last_request_end_ = *ready_since_;
  last_error_.reset();
  failed_requests_.reset();
  failing_since_.reset();
  set_state(ModelState::ready);

  HealthThresholds thresholds(health.failure_threshold);
  for (;;) {
    const auto next_probe = SteadyClock::now() + health.interval;
    while (!failing_since_ && SteadyClock::now() < next_probe) {
      co_await wait_unless_cancelled(requests_failing_, next_probe);
    }
    if (failing_since_) {
      ++ejections_;
      last_error_ = *failing_since_;
      spdlog::warn("model {}: {}; taking it out of service", model_.name, *failing_since_);
      co_return EndKind::unhealthy;
    }
    const ProbeResult probe =
        co_await probe_http(upstream_.host, upstream_.port, path, health.timeout);
    if (!probe.ok()) {
      const std::string why = probe.status ? "HTTP " + std::to_string(probe.status) : probe.error;
      spdlog::warn("model {}: health probe failed ({} in a row): {}", model_.name,
                   thresholds.consecutive_failures() + 1, why);
      if (thresholds.on_probe(false) == HealthThresholds::Transition::became_unhealthy) {
        last_error_ = "health probe failed " + std::to_string(health.failure_threshold) +
                      " times in a row: " + why;
        co_return EndKind::unhealthy;
      }
    } else {
      thresholds.on_probe(true);
    }
  }
}

}  // namespace switchyard::supervisor
