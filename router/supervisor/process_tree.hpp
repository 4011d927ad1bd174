// Reading and signalling process trees through /proc, and reaping the orphans that a child
// subreaper inherits. Linux only: needs pidfds (5.3) and PR_SET_CHILD_SUBREAPER (3.4).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace switchyard::supervisor {

// Orphans of our workers get reparented to the router instead of init: they stay findable, and
// when they die they become our zombies, which OrphanReaper collects. Throws std::system_error.
void become_child_subreaper();

// The fields of /proc/<pid>/stat that supervision needs.
struct ProcStat {
  char state = '?';  // 'R', 'S', 'Z', ...
  int ppid = 0;
  int pgrp = 0;
  unsigned long long start_time = 0;  // clock ticks after boot; tells a recycled pid apart
};
std::optional<ProcStat> read_proc_stat(int pid);
std::optional<unsigned long long> process_start_time(int pid);

// Every process below `pid`, found through the parent links in /proc.
std::vector<int> descendants_of(int pid);

// True when the environment `pid` started with holds exactly `var`=`value`. A zombie has no
// environment left, so it never matches.
bool is_tagged(int pid, std::string_view var, std::string_view value);
// Every process (but us) tagged with `var`=`value`.
std::vector<int> find_tagged_processes(std::string_view var, std::string_view value);

// A pidfd names one process for good, so a signal sent through it can never hit a pid that was
// recycled after we looked.
class PidFd {
 public:
  PidFd() = default;
  explicit PidFd(int pid);  // !valid() when the process is already gone (reaped)
  PidFd(PidFd&& other) noexcept;
  PidFd& operator=(PidFd&& other) noexcept;
  PidFd(const PidFd&) = delete;
  PidFd& operator=(const PidFd&) = delete;
  ~PidFd();

  bool valid() const { return fd_ >= 0; }
  int pid() const { return pid_; }
  int fd() const { return fd_; }
  int release();  // the caller now owns the descriptor
  bool signal(int sig) const;
  bool exited() const;  // it has exited (it may still be an unreaped zombie)

 private:
  int pid_ = -1;
  int fd_ = -1;
};

// Whether the process behind `pidfd` has exited, without blocking.
bool pidfd_exited(int pidfd);

// Sends `sig` to every process but us for which `matches(pid)` holds. `matches` is asked again
// once the pidfd is open, so a pid recycled between the scan and the signal is spared. Returns
// the pidfds of the processes signalled, to wait on.
std::vector<PidFd> signal_processes(int sig, const std::function<bool(int pid)>& matches);
std::vector<PidFd> signal_tagged_processes(std::string_view var, std::string_view value, int sig);

// Blocks until every process in `procs` has exited or `timeout` passes; false on timeout.
bool wait_for_exit(const std::vector<PidFd>& procs, std::chrono::milliseconds timeout);

// Worker pids are reaped by their WorkerProcess, which needs the exit status: the orphan reaper
// must leave them alone. Any other child the router forks must be tracked the same way.
void track_worker_pid(int pid);
void untrack_worker_pid(int pid);
bool is_tracked_worker_pid(int pid);

// Reaps every zombie child of ours that is not a tracked worker; returns how many. Never calls
// waitpid(-1), which could take a worker's exit status.
int reap_orphan_zombies();

// Calls reap_orphan_zombies() on every SIGCHLD and once a second (a SIGCHLD can be coalesced
// with another, and one that arrives before we listen is lost).
class OrphanReaper {
 public:
  explicit OrphanReaper(boost::asio::any_io_executor executor);
  OrphanReaper(const OrphanReaper&) = delete;
  OrphanReaper& operator=(const OrphanReaper&) = delete;
  ~OrphanReaper();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace switchyard::supervisor
