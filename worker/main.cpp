// switchyard-worker: serves one model over HTTP for the router.
//   switchyard-worker --engine NAME --model PATH --host H --port P [--arg key=value ...]
// Exit status: 0 after SIGTERM/SIGINT, 1 when the model cannot be loaded or the port bound,
// 2 for a bad command line or engine args.
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "common/logging.hpp"
#include "worker/engines/registry.hpp"
#include "worker/options.hpp"
#include "worker/server.hpp"

namespace {

namespace asio = boost::asio;
using namespace switchyard;
using namespace switchyard::worker;

int run(const WorkerOptions& options) {
  const std::string model_id = std::filesystem::path(options.model).stem().string();
  std::unique_ptr<Engine> engine;
  try {
    engine = make_engine(options.engine, options.model, model_id, EngineArgs(options.args));
  } catch (const ArgError& error) {
    spdlog::error("{}", error.what());
    return 2;
  }

  asio::io_context io(1);
  Server server(io, *engine, ServerConfig{options.host, options.port, model_id});
  try {
    server.start();
  } catch (const std::exception& error) {
    spdlog::error("cannot listen on {}:{}: {}", options.host, options.port, error.what());
    return 1;
  }

  int exit_code = 0;
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    spdlog::info("signal {}: stopping", signal);
    server.stop();  // no new connections; pending replies cancelled
    io.stop();
  });

  std::thread loader([&] {
    try {
      spdlog::info("loading {} with engine {}", options.model, options.engine);
      engine->load();
      asio::post(io, [&] {
        server.set_ready();
        spdlog::info("ready");
      });
    } catch (const std::exception& error) {
      spdlog::error("cannot load {}: {}", options.model, error.what());
      asio::post(io, [&] {
        exit_code = 1;
        io.stop();
      });
    }
  });

  io.run();
  engine->stop();  // cancels generations (and a load in progress), joins engine threads
  loader.join();
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  WorkerOptions options;
  try {
    options = parse_cli(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const UsageError& error) {
    std::fprintf(stderr, "switchyard-worker: %s\n%s", error.what(), kUsage);
    return 2;
  }
  setup_logging("switchyard-worker", options.log_level);
  return run(options);
}
