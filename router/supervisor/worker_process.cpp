#include "router/supervisor/worker_process.hpp"

#include <spdlog/spdlog.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <exception>
#include <string_view>
#include <utility>

#include "router/supervisor/process_launcher.hpp"

namespace switchyard::supervisor {
namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

constexpr auto kStragglerPoll = std::chrono::milliseconds(10);

ExitInfo from_wait_status(int status) {
  ExitInfo info;
  if (WIFSIGNALED(status)) {
    info.signaled = true;
    info.signal = WTERMSIG(status);
  } else {
    info.code = WEXITSTATUS(status);
  }
  return info;
}

}  // namespace

std::string ExitInfo::to_string() const {
  if (!signaled) return "exit code " + std::to_string(code);
  std::string text = "signal " + std::to_string(signal);
  if (const char* abbrev = ::sigabbrev_np(signal)) text += " (SIG" + std::string(abbrev) + ")";
  return text;
}

// Shared with the two pump coroutines, so it outlives the WorkerProcess until they notice.
struct PosixWorkerProcess::Output {
  Output(const asio::any_io_executor& executor, asio::readable_pipe out, asio::readable_pipe err,
         LineSink line_sink)
      : pipes{std::move(out), std::move(err)}, sink(std::move(line_sink)), drained(executor) {}

  static asio::awaitable<void> pump(std::shared_ptr<Output> self, std::size_t index) {
    std::string partial;
    std::array<char, 8192> buf;
    for (;;) {
      const auto [ec, n] = co_await self->pipes[index].async_read_some(
          asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (!self->sink) co_return;  // the WorkerProcess is gone
      self->split_lines(partial, std::string_view(buf.data(), n));
      if (ec) break;  // EOF: every holder of the write end has exited
    }
    if (!partial.empty()) self->emit(partial);
    if (--self->open_streams == 0) self->drained.cancel();
  }

  void split_lines(std::string& partial, std::string_view data) {
    while (!data.empty()) {
      if (data.front() == '\n') {
        emit(partial);
        data.remove_prefix(1);
        continue;
      }
      // Split only when more of the line arrives, so a full-size line followed by its newline in
      // the next read does not leave an empty line behind.
      if (partial.size() == kMaxLineBytes) emit(partial);
      const auto take = std::min({data.find('\n'), data.size(), kMaxLineBytes - partial.size()});
      partial.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  }

  void emit(std::string& line) {
    // A throwing sink must not stop the pump: an unread pipe fills up and blocks the worker.
    try {
      sink(line);
    } catch (const std::exception& e) {
      spdlog::error("worker output sink threw: {}", e.what());
    }
    line.clear();
  }

  std::array<asio::readable_pipe, 2> pipes;  // stdout, stderr
  LineSink sink;                             // cleared by ~PosixWorkerProcess
  int open_streams = 2;
  asio::steady_timer drained;  // cancelled when both pipes reached EOF
};

PosixWorkerProcess::PosixWorkerProcess(asio::any_io_executor executor, PidFd pidfd,
                                       std::string worker_id, RuntimeDir& runtime_dir,
                                       asio::readable_pipe out, asio::readable_pipe err,
                                       LineSink sink)
    : executor_(executor),
      pid_(pidfd.pid()),
      worker_id_(std::move(worker_id)),
      runtime_dir_(runtime_dir),
      pidfd_(executor, pidfd.fd()),
      output_(std::make_shared<Output>(executor, std::move(out), std::move(err), std::move(sink))) {
  pidfd.release();  // pidfd_ owns it now
  for (std::size_t index = 0; index < output_->pipes.size(); ++index) {
    asio::co_spawn(executor_, Output::pump(output_, index), [](std::exception_ptr e) {
      if (!e) return;
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        spdlog::error("worker output pump failed: {}", ex.what());
      }
    });
  }
}

PosixWorkerProcess::~PosixWorkerProcess() {
  output_->sink = nullptr;
  boost::system::error_code ignored;
  for (auto& pipe : output_->pipes) pipe.close(ignored);
  if (exit_) return;
  signal_tree(SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  untrack_worker_pid(pid_);
  runtime_dir_.forget(pid_);
}

asio::awaitable<ExitInfo> PosixWorkerProcess::wait_exit() {
  if (!exit_) {
    co_await wait_exited();
    reap();
  }
  co_return co_await report_exit();
}

asio::awaitable<ExitInfo> PosixWorkerProcess::stop(std::chrono::milliseconds grace) {
  if (!exit_) {
    signal_tree(SIGTERM);
    // A stopped process (SIGSTOP, a debugger let go) would hold SIGTERM pending until the grace
    // ran out; as systemd does, SIGCONT lets it act on it.
    signal_tree(SIGCONT);
    asio::steady_timer timer(executor_, grace);
    const auto first = co_await (wait_exited() || timer.async_wait(asio::use_awaitable));
    if (first.index() == 1) {
      spdlog::warn("worker {} (pid {}) still running {} ms after SIGTERM; sending SIGKILL",
                   worker_id_, pid_, grace.count());
      signal_tree(SIGKILL);
      co_await wait_exited();
    }
    reap();
  }
  co_await kill_stragglers();
  co_return co_await report_exit();
}

asio::awaitable<void> PosixWorkerProcess::wait_exited() {
  // The reactor is edge-triggered: an exit that happened while no wait was pending left no edge
  // for this one, so look at the level first.
  while (!pidfd_exited(pidfd_.native_handle())) {
    co_await pidfd_.async_wait(asio::posix::descriptor_base::wait_read, asio::use_awaitable);
  }
}

void PosixWorkerProcess::signal_tree(int sig) {
  // Until it is reaped, the leader pins pid_ both as a pid and as a group id, so neither kill
  // can reach a stranger. After that, only the pidfd-checked tag scan is safe.
  const bool group_signalled = !exit_ && ::kill(-pid_, sig) == 0;
  const bool leader_signalled = !exit_ && (::getpgid(pid_) == pid_ || ::kill(pid_, sig) == 0);
  // The tag finds what left the group (setsid, setpgid). Skip what already got this signal: a
  // second SIGTERM means "quit now, skip cleanup" to some programs.
  signal_processes(sig, [&](int pid) {
    if ((leader_signalled && pid == pid_) || !is_tagged(pid, kWorkerIdEnv, worker_id_)) {
      return false;
    }
    if (!group_signalled) return true;
    const auto stat = read_proc_stat(pid);
    return stat && stat->pgrp != pid_;
  });
}

void PosixWorkerProcess::reap() {
  if (exit_) return;
  // Whatever the leader leaves behind is orphaned from now on; kill it while the group id is
  // still pinned.
  signal_tree(SIGKILL);
  int status = 0;
  pid_t reaped = 0;
  do {
    reaped = ::waitpid(pid_, &status, 0);
  } while (reaped < 0 && errno == EINTR);
  if (reaped == pid_) {
    exit_ = from_wait_status(status);
  } else {
    // Only if someone else reaped it: waitpid(-1) elsewhere, or SIGCHLD set to SIG_IGN.
    spdlog::error("worker {} (pid {}): waitpid failed: {}", worker_id_, pid_, std::strerror(errno));
    exit_ = ExitInfo{.code = -1};
  }
  untrack_worker_pid(pid_);
  runtime_dir_.forget(pid_);
  output_->drained.expires_after(kOutputDrainTimeout);
}

asio::awaitable<void> PosixWorkerProcess::kill_stragglers() {
  const auto deadline = std::chrono::steady_clock::now() + kStragglerTimeout;
  asio::steady_timer timer(executor_);
  for (;;) {
    // Tagged orphans reparented to us (child subreaper) die as our zombies.
    reap_orphan_zombies();
    if (signal_tagged_processes(kWorkerIdEnv, worker_id_, SIGKILL).empty()) co_return;
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::error("worker {}: descendants still alive {} s after SIGKILL", worker_id_,
                    kStragglerTimeout.count());
      co_return;
    }
    timer.expires_after(kStragglerPoll);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

asio::awaitable<ExitInfo> PosixWorkerProcess::report_exit() {
  // Cancelled by the pumps at EOF; expires kOutputDrainTimeout after the exit otherwise (an
  // escaped descendant that still holds a pipe). A cancelled caller also lands here, harmlessly.
  if (output_->open_streams > 0) {
    co_await output_->drained.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return *exit_;
}

}  // namespace switchyard::supervisor
