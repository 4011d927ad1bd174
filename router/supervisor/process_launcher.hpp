// The real Launcher and WorkerProcess: fork/exec through Boost.Process v2, one process group per
// worker, pidfd-based waiting, and a kill path that also reaches grandchildren that escaped the
// group (RELIABILITY.md S6-S9).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "router/supervisor/process_tree.hpp"
#include "router/supervisor/runtime_dir.hpp"
#include "router/supervisor/worker_process.hpp"

namespace switchyard::supervisor {

// Output lines longer than this are delivered in pieces of this size.
inline constexpr std::size_t kMaxLineBytes = 16 * 1024;

// Spawns workers with the router's environment plus spec.env, kRuntimeDirEnv and kWorkerIdEnv.
// The child is put in its own process group, gets SIGKILL when the router dies (PDEATHSIG),
// starts with default signal dispositions and an empty mask, reads /dev/null and writes into
// pipes that feed the LineSink. Every worker is recorded in the RuntimeDir until it is reaped.
//
// Call spawn() only from the thread that runs the io_context for the router's whole life: the
// parent-death signal fires when the *thread* that forked exits (S10).
class PosixLauncher final : public Launcher {
 public:
  // `runtime_dir` must be open and outlive the launcher and every worker it makes.
  PosixLauncher(boost::asio::any_io_executor executor, RuntimeDir& runtime_dir);

  // Completes without suspending. argv[0] without a '/' is looked up in the child's PATH.
  boost::asio::awaitable<std::unique_ptr<WorkerProcess>> spawn(SpawnSpec spec,
                                                               LineSink sink) override;

 private:
  std::unique_ptr<WorkerProcess> launch(const SpawnSpec& spec, LineSink sink);

  boost::asio::any_io_executor executor_;
  RuntimeDir& runtime_dir_;
  int router_pid_;
  unsigned long long router_start_time_;
};

// A running worker made by PosixLauncher. It alone reaps its pid (waitpid exactly once).
//
// When the main process exits, whatever is left of its tree (process group and processes tagged
// with its worker id) is SIGKILLed before the exit is reported: they are orphans by then.
// wait_exit() and stop() report the exit once the output pipes reached EOF (at most
// kOutputDrainTimeout after the exit), so the last lines a crashing worker printed come first.
// Destroying it kills and reaps a still-running tree synchronously; the sink is never called
// after destruction. Do not destroy it while a wait_exit() or stop() is in flight.
class PosixWorkerProcess final : public WorkerProcess {
 public:
  static constexpr auto kOutputDrainTimeout = std::chrono::seconds(1);
  static constexpr auto kStragglerTimeout = std::chrono::seconds(2);

  // Takes over `pidfd` and the read ends of the worker's stdout and stderr pipes.
  PosixWorkerProcess(boost::asio::any_io_executor executor, PidFd pidfd, std::string worker_id,
                     RuntimeDir& runtime_dir, boost::asio::readable_pipe out,
                     boost::asio::readable_pipe err, LineSink sink);
  PosixWorkerProcess(const PosixWorkerProcess&) = delete;
  PosixWorkerProcess& operator=(const PosixWorkerProcess&) = delete;
  ~PosixWorkerProcess() override;

  int pid() const override { return pid_; }
  const std::string& worker_id() const { return worker_id_; }

  boost::asio::awaitable<void> wait_exited() override;
  boost::asio::awaitable<ExitInfo> wait_exit() override;
  boost::asio::awaitable<ExitInfo> stop(std::chrono::milliseconds grace) override;

 private:
  struct Output;

  void signal_tree(int sig);
  void reap();
  boost::asio::awaitable<void> kill_stragglers();
  boost::asio::awaitable<ExitInfo> report_exit();

  boost::asio::any_io_executor executor_;
  int pid_;
  std::string worker_id_;
  RuntimeDir& runtime_dir_;
  boost::asio::posix::stream_descriptor pidfd_;
  std::optional<ExitInfo> exit_;
  std::shared_ptr<Output> output_;
};

}  // namespace switchyard::supervisor
