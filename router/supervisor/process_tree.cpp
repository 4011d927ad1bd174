#include "router/supervisor/process_tree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace switchyard::supervisor {
namespace {

namespace asio = boost::asio;

constexpr auto kReapInterval = std::chrono::seconds(1);

// Files under /proc report size 0, so read until EOF rather than trusting stat().
std::optional<std::string> read_proc_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::string data;
  std::array<char, 4096> buf;
  ssize_t n = 0;
  while ((n = ::read(fd, buf.data(), buf.size())) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    data.append(buf.data(), static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (n < 0) return std::nullopt;
  return data;
}

std::vector<int> list_pids() {
  std::vector<int> pids;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc"), ::closedir);
  if (!dir) return pids;
  while (const dirent* entry = ::readdir(dir.get())) {
    const char* name = entry->d_name;
    const char* end = name + std::strlen(name);
    int pid = 0;
    const auto [ptr, ec] = std::from_chars(name, end, pid);
    if (ec == std::errc{} && ptr == end && pid > 0) pids.push_back(pid);
  }
  return pids;
}

// Our own children, orphans adopted as subreaper included, from each thread's children list:
// the cost grows with our children, not with every process on the host, which matters to a
// scan that runs on the event loop every second. Falls back to every pid when the kernel lacks
// the lists (CONFIG_PROC_CHILDREN); callers check the parent anyway.
std::vector<int> own_children() {
  std::unique_ptr<DIR, int (*)(DIR*)> tasks(::opendir("/proc/self/task"), ::closedir);
  if (!tasks) return list_pids();
  std::vector<int> pids;
  while (const dirent* entry = ::readdir(tasks.get())) {
    if (entry->d_name[0] == '.') continue;
    const auto list = read_proc_file("/proc/self/task/" + std::string(entry->d_name) + "/children");
    if (!list) return list_pids();
    const char* p = list->data();
    const char* end = p + list->size();
    while (p < end) {
      int pid = 0;
      const auto [next, ec] = std::from_chars(p, end, pid);
      if (ec != std::errc{}) break;
      pids.push_back(pid);
      p = next + 1;  // past the separating space
    }
  }
  return pids;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && ptr == text.data() + text.size();
}

std::mutex& tracked_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::unordered_set<int>& tracked_pids() {
  static std::unordered_set<int> pids;
  return pids;
}

void log_failure(const char* what, std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("{} failed: {}", what, e.what());
  }
}

}  // namespace

void become_child_subreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
    throw std::system_error(errno, std::generic_category(), "prctl(PR_SET_CHILD_SUBREAPER)");
  }
}

std::optional<ProcStat> read_proc_stat(int pid) {
  const auto data = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
  if (!data) return std::nullopt;
  // The command name (field 2) is in parentheses and may itself hold spaces and ')'.
  const auto close = data->rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::string_view rest(*data);
  rest.remove_prefix(close + 1);
  // Fields 3 (state) to 22 (starttime), counted from after the ')'.
  std::array<std::string_view, 20> fields;
  for (auto& field : fields) {
    const auto start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) return std::nullopt;
    rest.remove_prefix(start);
    const auto end = std::min(rest.find(' '), rest.size());
    field = rest.substr(0, end);
    rest.remove_prefix(end);
  }
  ProcStat stat;
  stat.state = fields[0].front();
  if (!parse_number(fields[1], stat.ppid) || !parse_number(fields[2], stat.pgrp) ||
      !parse_number(fields[19], stat.start_time)) {
    return std::nullopt;
  }
  return stat;
}

std::optional<unsigned long long> process_start_time(int pid) {
  const auto stat = read_proc_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_time;
}

std::vector<int> descendants_of(int pid) {
  std::unordered_map<int, std::vector<int>> children;
  for (const int p : list_pids()) {
    if (const auto stat = read_proc_stat(p)) children[stat->ppid].push_back(p);
  }
  std::vector<int> found;
  std::vector<int> pending{pid};
  while (!pending.empty()) {
    const int parent = pending.back();
    pending.pop_back();
    for (const int child : children[parent]) {
      found.push_back(child);
      pending.push_back(child);
    }
  }
  return found;
}

bool is_tagged(int pid, std::string_view var, std::string_view value) {
  const auto environ_block = read_proc_file("/proc/" + std::to_string(pid) + "/environ");
  if (!environ_block) return false;
  std::string_view rest(*environ_block);
  while (!rest.empty()) {
    const auto end = std::min(rest.find('\0'), rest.size());
    const std::string_view entry = rest.substr(0, end);
    if (entry.size() == var.size() + 1 + value.size() && entry.starts_with(var) &&
        entry[var.size()] == '=' && entry.ends_with(value)) {
      return true;
    }
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  return false;
}

std::vector<int> find_tagged_processes(std::string_view var, std::string_view value) {
  const int self = ::getpid();
  std::vector<int> found;
  for (const int pid : list_pids()) {
    if (pid != self && is_tagged(pid, var, value)) found.push_back(pid);
  }
  return found;
}

PidFd::PidFd(int pid) : pid_(pid), fd_(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))) {}

PidFd::PidFd(PidFd&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), fd_(std::exchange(other.fd_, -1)) {}

PidFd& PidFd::operator=(PidFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    pid_ = std::exchange(other.pid_, -1);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

PidFd::~PidFd() {
  if (fd_ >= 0) ::close(fd_);
}

int PidFd::release() { return std::exchange(fd_, -1); }

bool PidFd::signal(int sig) const {
  return fd_ >= 0 && ::syscall(SYS_pidfd_send_signal, fd_, sig, nullptr, 0) == 0;
}

bool PidFd::exited() const { return fd_ < 0 || pidfd_exited(fd_); }

bool pidfd_exited(int pidfd) {
  pollfd pfd{pidfd, POLLIN, 0};
  return ::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

std::vector<PidFd> signal_processes(int sig, const std::function<bool(int pid)>& matches) {
  const int self = ::getpid();
  std::vector<PidFd> signalled;
  for (const int pid : list_pids()) {
    if (pid == self || !matches(pid)) continue;
    PidFd proc(pid);
    // Asked again with the pidfd held: if the pid was recycled in between, the pidfd names the
    // newcomer, and this check sees the newcomer too.
    if (proc.valid() && matches(pid) && proc.signal(sig)) signalled.push_back(std::move(proc));
  }
  return signalled;
}

std::vector<PidFd> signal_tagged_processes(std::string_view var, std::string_view value, int sig) {
  return signal_processes(sig, [&](int pid) { return is_tagged(pid, var, value); });
}

bool wait_for_exit(const std::vector<PidFd>& procs, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const PidFd& proc : procs) {
    while (!proc.exited()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd pfd{proc.fd(), POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(left.count()));
    }
  }
  return true;
}

void track_worker_pid(int pid) {
  std::lock_guard lock(tracked_mutex());
  tracked_pids().insert(pid);
}

void untrack_worker_pid(int pid) {
  std::lock_guard lock(tracked_mutex());
  tracked_pids().erase(pid);
}

bool is_tracked_worker_pid(int pid) {
  std::lock_guard lock(tracked_mutex());
  return tracked_pids().contains(pid);
}

int reap_orphan_zombies() {
  const int self = ::getpid();
  int reaped = 0;
  for (const int pid : own_children()) {
    const auto stat = read_proc_stat(pid);
    if (!stat || stat->ppid != self || stat->state != 'Z' || is_tracked_worker_pid(pid)) continue;
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) ++reaped;
  }
  if (reaped > 0) spdlog::debug("reaped {} orphaned process(es)", reaped);
  return reaped;
}

struct OrphanReaper::State {
  explicit State(const asio::any_io_executor& executor)
      : sigchld(executor, SIGCHLD), tick(executor) {}
  asio::signal_set sigchld;
  asio::steady_timer tick;
  bool stopped = false;  // a wait that completed just before ~OrphanReaper must not re-arm
};

OrphanReaper::OrphanReaper(asio::any_io_executor executor)
    : state_(std::make_shared<State>(executor)) {
  // Each loop holds the state, so it outlives this object until the cancelled wait returns.
  auto on_sigchld = [](std::shared_ptr<State> state) -> asio::awaitable<void> {
    while (!state->stopped) {
      const auto [ec, sig] =
          co_await state->sigchld.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || state->stopped) co_return;
      reap_orphan_zombies();
    }
  };
  auto on_tick = [](std::shared_ptr<State> state) -> asio::awaitable<void> {
    while (!state->stopped) {
      state->tick.expires_after(kReapInterval);
      const auto [ec] = co_await state->tick.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || state->stopped) co_return;
      reap_orphan_zombies();
    }
  };
  asio::co_spawn(executor, on_sigchld(state_),
                 [](std::exception_ptr e) { log_failure("orphan reaper (SIGCHLD)", e); });
  asio::co_spawn(executor, on_tick(state_),
                 [](std::exception_ptr e) { log_failure("orphan reaper (timer)", e); });
}

OrphanReaper::~OrphanReaper() {
  state_->stopped = true;
  state_->sigchld.cancel();
  state_->tick.cancel();
}

}  // namespace switchyard::supervisor
