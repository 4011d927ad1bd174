#include "router/supervisor/runtime_dir.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <fstream>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <utility>

#include "router/supervisor/process_tree.hpp"

namespace switchyard::supervisor {
namespace {

namespace fs = std::filesystem;

constexpr auto kLeftoverExitTimeout = std::chrono::seconds(5);

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// mkdir with the final mode, so there is no moment where the directory is readable by others.
void make_private_dir(const fs::path& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    throw_errno(errno, "mkdir " + dir.string());
  if (!fs::is_directory(dir)) throw_errno(ENOTDIR, dir.string());
}

void write_atomically(const fs::path& target, std::string_view contents) {
  fs::path tmp = target;
  tmp.replace_filename("." + target.filename().string() + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "open " + tmp.string());
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      throw_errno(err, "write " + tmp.string());
    }
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  ::close(fd);
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    throw_errno(err, "rename " + tmp.string());
  }
}

struct WorkerRecord {
  int pid = 0;
  int pgid = 0;
  unsigned long long start_time = 0;
};

std::optional<WorkerRecord> read_record(const fs::path& file) {
  std::ifstream in(file);
  WorkerRecord record;
  std::string line;
  while (std::getline(in, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq);
    const std::string value = line.substr(eq + 1);
    try {
      if (key == "pid") record.pid = std::stoi(value);
      if (key == "pgid") record.pgid = std::stoi(value);
      if (key == "start_time") record.start_time = std::stoull(value);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  if (record.pid <= 1 || record.pgid <= 1) return std::nullopt;
  return record;
}

std::string read_lock_holder(int fd) {
  std::array<char, 32> buf{};
  const ssize_t n = ::pread(fd, buf.data(), buf.size() - 1, 0);
  std::string holder(buf.data(), n > 0 ? static_cast<std::size_t>(n) : 0);
  while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
  return holder.empty() ? "unknown" : holder;
}

}  // namespace

RuntimeDir::RuntimeDir(fs::path dir) : path_(fs::absolute(dir).lexically_normal()) {
  // lexically_normal() keeps a trailing '/', and the marker must not depend on the spelling.
  if (!path_.has_filename()) path_ = path_.parent_path();
}

RuntimeDir::~RuntimeDir() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

int RuntimeDir::open() {
  if (lock_fd_ >= 0) throw std::logic_error("runtime_dir " + path_.string() + " opened twice");
  fs::create_directories(path_.parent_path());
  make_private_dir(path_);
  // Canonical, so that two spellings of one directory give the same marker.
  path_ = fs::canonical(path_);

  const fs::path lock_path = path_ / "lock";
  // O_CLOEXEC: a worker that inherited the lock would keep the next router out after a crash.
  const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw_errno(errno, "open " + lock_path.string());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    const std::string holder = read_lock_holder(fd);
    ::close(fd);
    if (err == EWOULDBLOCK) {
      throw std::runtime_error("runtime_dir " + path_.string() +
                               " is in use by another switchyard (pid " + holder + ")");
    }
    throw_errno(err, "flock " + lock_path.string());
  }
  lock_fd_ = fd;
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    throw_errno(errno, "write " + lock_path.string());
  }

  make_private_dir(workers_dir());
  return kill_leftovers();
}

int RuntimeDir::kill_leftovers() {
  std::vector<PidFd> killed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(workers_dir(), ec)) {
    const auto record = read_record(entry.path());
    if (!record || record->pid == ::getpid()) continue;
    PidFd leader(record->pid);
    // Checked with the pidfd held: a recycled pid fails the start-time check.
    if (!leader.valid() || process_start_time(record->pid) != record->start_time) continue;
    // The live leader pins the group id, so the group kill cannot reach a stranger.
    ::kill(-record->pgid, SIGKILL);
    if (leader.signal(SIGKILL)) killed.push_back(std::move(leader));
  }
  for (PidFd& proc : signal_tagged_processes(kRuntimeDirEnv, path_.string(), SIGKILL)) {
    killed.push_back(std::move(proc));
  }

  if (!wait_for_exit(killed, kLeftoverExitTimeout)) {
    spdlog::error("runtime_dir {}: leftover processes still alive {} s after SIGKILL",
                  path_.string(), kLeftoverExitTimeout.count());
  }
  for (const auto& entry : fs::directory_iterator(workers_dir(), ec)) fs::remove(entry.path(), ec);

  std::set<int> pids;
  for (const PidFd& proc : killed) pids.insert(proc.pid());
  const int count = static_cast<int>(pids.size());
  if (count > 0) {
    spdlog::warn("runtime_dir {}: killed {} leftover process(es) of a previous router",
                 path_.string(), count);
  } else {
    spdlog::info("runtime_dir {}: no leftover processes", path_.string());
  }
  return count;
}

void RuntimeDir::record(int pid, std::string_view model_name, std::string_view worker_id) {
  const int pgid = ::getpgid(pid);
  const std::string contents =
      "pid=" + std::to_string(pid) + "\npgid=" + std::to_string(pgid > 0 ? pgid : pid) +
      "\nstart_time=" + std::to_string(process_start_time(pid).value_or(0)) +
      "\nmodel=" + std::string(model_name) + "\nworker_id=" + std::string(worker_id) + "\n";
  write_atomically(workers_dir() / std::to_string(pid), contents);
}

void RuntimeDir::forget(int pid) noexcept {
  std::error_code ec;
  fs::remove(workers_dir() / std::to_string(pid), ec);
}

void RuntimeDir::write_state_file(std::string_view name, std::string_view contents) {
  // "lock" and "workers" are ours: renaming over the lock file would let a second router in.
  if (name.empty() || name == "." || name == ".." || name == "lock" || name == "workers" ||
      name.find('/') != std::string_view::npos || name.find('\0') != std::string_view::npos) {
    throw std::invalid_argument("invalid state file name '" + std::string(name) + "'");
  }
  write_atomically(path_ / name, contents);
}

}  // namespace switchyard::supervisor
