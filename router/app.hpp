// The daemon: owns the event loop and wires config, supervisors, listeners, signals and
// systemd together. SIGTERM/SIGINT stop in stages (stop accepting, drain, stop workers);
// SIGHUP and POST /admin/reload reload the config.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "router/admin/admin_handler.hpp"
#include "router/context.hpp"
#include "router/http/api_handler.hpp"
#include "router/http/listener.hpp"
#include "router/supervisor/process_launcher.hpp"
#include "router/supervisor/process_tree.hpp"
#include "router/supervisor/runtime_dir.hpp"

namespace switchyard {

class App {
 public:
  App(config::Config config, std::string executable_dir);
  ~App();
  // Runs until stopped by a signal; returns the process exit code.
  int run();

 private:
  void start_model(const config::ModelConfig& model, registry::SupervisorPtr predecessor);
  // Creates the groups `config` defines and applies a changed max_loaded to the others.
  void update_groups(const config::Config& config);
  boost::asio::awaitable<void> handle_signals();
  boost::asio::awaitable<admin::ReloadOutcome> reload();
  boost::asio::awaitable<void> shutdown();
  boost::asio::awaitable<void> report_to_systemd();
  void retire(registry::SupervisorPtr model);

  // Run by one thread, and every socket and pipe is used only from it: the scheduler skips
  // cross-thread wake-ups and the reactor skips its per-descriptor locks. The scheduler itself
  // stays locked, for the completions that Asio's resolver thread posts to it.
  boost::asio::io_context io_{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
  std::string executable_dir_;
  RouterContext context_;
  supervisor::RuntimeDir runtime_dir_;
  std::unique_ptr<supervisor::PosixLauncher> launcher_;
  std::unique_ptr<supervisor::OrphanReaper> reaper_;
  supervisor::PortAllocator ports_;
  // By name. A group a reload removes lives on with the members that still hold it (they are
  // being replaced, as their `group` changed) and goes with them.
  std::map<std::string, std::shared_ptr<supervisor::SwapGroup>, std::less<>> groups_;
  http::ApiHandler api_handler_;
  admin::AdminHandler admin_handler_;
  std::unique_ptr<http::Listener> api_listener_;
  std::unique_ptr<http::Listener> admin_listener_;
  // Registered in run() before router.json and READY=1 announce us: until then SIGTERM and SIGHUP
  // keep their default action, which kills the router.
  std::optional<boost::asio::signal_set> signals_;
  int retiring_ = 0;  // replaced or removed models still draining
  supervisor::Notifier retired_;
  bool stopping_ = false;
};

}  // namespace switchyard
