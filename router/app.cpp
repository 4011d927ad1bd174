#include "router/app.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

#include "router/config/loader.hpp"
#include "router/config/reload_plan.hpp"
#include "router/sd_notify.hpp"
#include "router/supervisor/open_file_limit.hpp"

namespace switchyard {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;
using supervisor::ModelState;

namespace {

void log_exception(std::string_view what, std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", what, e.what());
  }
}

std::string status_line(const registry::Registry& registry) {
  int ready = 0, failed = 0, other = 0;
  for (const auto& model : registry.models()) {
    const auto state = model->state();
    (state == ModelState::ready ? ready : state == ModelState::failed ? failed : other)++;
  }
  return std::to_string(ready) + " ready, " + std::to_string(failed) + " failed, " +
         std::to_string(other) + " other, of " + std::to_string(registry.models().size()) +
         " models";
}

}  // namespace

App::App(config::Config config, std::string executable_dir)
    : executable_dir_(std::move(executable_dir)),
      runtime_dir_(config.runtime_dir),
      api_handler_(context_),
      admin_handler_(context_, [this] { return reload(); }) {
  context_.config = std::make_shared<const config::Config>(std::move(config));
}

App::~App() = default;

void App::start_model(const config::ModelConfig& model, registry::SupervisorPtr predecessor) {
  const auto group = groups_.find(model.group);
  context_.registry.put(std::make_shared<supervisor::Supervisor>(
      io_.get_executor(), model, context_.config->worker_binary, *launcher_, ports_,
      std::move(predecessor), context_.config->limits.drain_timeout,
      group == groups_.end() ? nullptr : group->second));
}

void App::update_groups(const config::Config& config) {
  std::erase_if(groups_, [&](const auto& entry) { return !config.groups.contains(entry.first); });
  for (const auto& [name, settings] : config.groups) {
    auto& group = groups_[name];
    if (group) {
      group->set_max_loaded(settings.max_loaded);
    } else {
      group = std::make_shared<supervisor::SwapGroup>(name, settings.max_loaded);
    }
  }
}

int App::run() {
  const config::Config& config = *context_.config;
  try {
    signals_.emplace(io_, SIGTERM, SIGINT, SIGHUP);
    supervisor::become_child_subreaper();
    if (const auto files = supervisor::raise_open_file_limit(); files.now != files.before) {
      spdlog::info("open files: soft limit raised from {} to {}", files.before, files.now);
    }
    if (const int killed = runtime_dir_.open(); killed > 0) {
      spdlog::warn("killed {} processes left behind by a previous switchyard", killed);
    }
    launcher_ = std::make_unique<supervisor::PosixLauncher>(io_.get_executor(), runtime_dir_);
    reaper_ = std::make_unique<supervisor::OrphanReaper>(io_.get_executor());
    api_listener_ = std::make_unique<http::Listener>(
        io_.get_executor(), http::make_endpoint(config.listen.host, config.listen.port),
        api_handler_, static_cast<std::size_t>(config.limits.max_connections));
    admin_listener_ = std::make_unique<http::Listener>(
        io_.get_executor(), http::make_endpoint(config.admin_listen.host, config.admin_listen.port),
        admin_handler_, static_cast<std::size_t>(config.limits.max_connections));
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;
  }
  runtime_dir_.write_state_file(
      "router.json", nlohmann::json{{"pid", ::getpid()},
                                    {"listen_port", api_listener_->port()},
                                    {"admin_port", admin_listener_->port()},
                                    {"listen", config.listen.host},
                                    {"admin_listen", config.admin_listen.host}}
                         .dump());
  spdlog::info("listening on {}:{} (API) and {}:{} (admin); runtime_dir {}", config.listen.host,
               api_listener_->port(), config.admin_listen.host, admin_listener_->port(),
               runtime_dir_.path().string());

  update_groups(config);
  for (const auto& model : config.models) start_model(model, nullptr);
  api_listener_->start();
  admin_listener_->start();
  asio::co_spawn(io_, handle_signals(), [](std::exception_ptr e) { log_exception("signals", e); });
  asio::co_spawn(io_, report_to_systemd(),
                 [](std::exception_ptr e) { log_exception("systemd notify", e); });
  systemd::notify_ready();

  io_.run();
  spdlog::info("switchyard stopped");
  return 0;
}

asio::awaitable<void> App::handle_signals() {
  for (;;) {
    const int signal = co_await signals_->async_wait(asio::use_awaitable);
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading {}", context_.config->path);
      co_await reload();
      continue;
    }
    spdlog::info("{}: shutting down", signal == SIGTERM ? "SIGTERM" : "SIGINT");
    co_await shutdown();
    co_return;
  }
}

asio::awaitable<void> App::report_to_systemd() {
  const auto watchdog = systemd::watchdog_ping_interval();
  const auto period = std::min<std::chrono::milliseconds>(
      watchdog.value_or(std::chrono::seconds(5)), std::chrono::seconds(5));
  asio::steady_timer timer(io_);
  std::string last_status;
  while (!stopping_) {
    // Sent from the event loop itself: a blocked loop stops the pings and systemd restarts us.
    if (watchdog) systemd::notify_watchdog();
    if (std::string status = status_line(context_.registry); status != last_status) {
      systemd::notify_status(status);
      last_status = std::move(status);
    }
    timer.expires_after(period);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

void App::retire(registry::SupervisorPtr model) {
  ++retiring_;
  const auto deadline = SteadyClock::now() + context_.config->limits.drain_timeout;
  asio::co_spawn(
      io_,
      [this, model, deadline]() -> asio::awaitable<void> {
        co_await model->wait_drained(deadline);
        co_await model->shutdown();
      },
      [this](std::exception_ptr e) {
        log_exception("stopping a removed model", e);
        if (--retiring_ == 0) retired_.notify_all();
      });
}

asio::awaitable<admin::ReloadOutcome> App::reload() {
  admin::ReloadOutcome outcome;
  if (stopping_) {
    outcome.errors.push_back("the router is shutting down");
    co_return outcome;
  }
  systemd::notify_reloading();
  const std::shared_ptr<const config::Config> live = context_.config;
  config::LoadResult loaded =
      config::load_config_file(live->path, config::process_environment(), executable_dir_);
  for (const auto& warning : loaded.warnings) {
    outcome.warnings.push_back(warning.to_string());
    spdlog::warn("reload: {}", warning.to_string());
  }
  if (!loaded.config) {
    for (const auto& error : loaded.errors) {
      outcome.errors.push_back(error.to_string());
      spdlog::error("reload refused: {}", error.to_string());
    }
    context_.last_reload_errors = outcome.errors;
    systemd::notify_ready();
    co_return outcome;
  }
  config::Config next = std::move(*loaded.config);
  outcome.plan = config::plan_reload(*live, next);
  for (const auto& note : outcome.plan.ignored_global_changes) {
    outcome.warnings.push_back(note + " (needs a restart of switchyard)");
    spdlog::warn("reload: {} needs a restart of switchyard; keeping the old value", note);
  }
  // Settings bound at start-up stay as they are until the daemon restarts.
  next.listen = live->listen;
  next.admin_listen = live->admin_listen;
  next.runtime_dir = live->runtime_dir;
  next.worker_binary = live->worker_binary;
  next.limits = live->limits;
  context_.config = std::make_shared<const config::Config>(std::move(next));
  context_.last_reload_errors.clear();

  const config::Config& config = *context_.config;
  update_groups(config);
  for (const auto& name : outcome.plan.removed) {
    if (auto model = context_.registry.remove(name)) {
      context_.pool.forget(name);
      retire(std::move(model));
    }
  }
  for (const auto& name : outcome.plan.changed) {
    auto old_model = context_.registry.remove(name);
    context_.pool.forget(name);
    start_model(*config.find_model(name), std::move(old_model));
  }
  for (const auto& name : outcome.plan.updated) {
    context_.registry.update_request_settings(*config.find_model(name));
  }
  for (const auto& name : outcome.plan.added) start_model(*config.find_model(name), nullptr);
  std::vector<std::string> order;
  for (const auto& model : config.models) order.push_back(model.name);
  context_.registry.reorder(order);
  spdlog::info("reloaded: {} added, {} removed, {} changed, {} updated in place, {} unchanged",
               outcome.plan.added.size(), outcome.plan.removed.size(), outcome.plan.changed.size(),
               outcome.plan.updated.size(), outcome.plan.unchanged.size());
  systemd::notify_ready();
  co_return outcome;
}

asio::awaitable<void> App::shutdown() {
  stopping_ = true;
  systemd::notify_stopping();
  api_listener_->stop_accepting();
  admin_listener_->stop_accepting();
  const auto deadline = SteadyClock::now() + context_.config->limits.drain_timeout;
  co_await api_listener_->wait_idle(deadline);
  if (api_listener_->busy_connections() > 0) {
    spdlog::warn("drain timeout: closing {} connections still busy",
                 api_listener_->busy_connections());
  }
  api_listener_->close_all();
  admin_listener_->close_all();

  for (const auto& model : context_.registry.models()) retire(model);
  while (retiring_ > 0) co_await retired_.wait_until(SteadyClock::time_point::max());
  reaper_.reset();
  io_.stop();
}

}  // namespace switchyard
