// Helpers shared by the process_* tests: temp dirs, running an io_context until a task is done,
// polling with a deadline, and plain child processes started without the launcher.
#pragma once

#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "router/supervisor/process_tree.hpp"
#include "router/supervisor/worker_process.hpp"

namespace switchyard::supervisor::test_support {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "switchyard-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = std::filesystem::canonical(pattern);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Runs `io` until `task` is done; throws if that takes longer than `limit`.
template <typename T>
T run_until_done(asio::io_context& io, asio::awaitable<T> task,
                 std::chrono::milliseconds limit = 5s) {
  auto done = asio::co_spawn(io, std::move(task), asio::use_future);
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (done.wait_for(0s) != std::future_status::ready) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("task timed out");
    if (io.stopped()) io.restart();
    io.run_one_for(10ms);
  }
  return done.get();
}

// Polls `condition` (running `io` in between, if given) until it holds or `limit` passes.
template <typename Condition>
bool eventually(Condition condition, asio::io_context* io = nullptr,
                std::chrono::milliseconds limit = 3s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (io == nullptr) {
      std::this_thread::sleep_for(5ms);
    } else {
      if (io->stopped()) io->restart();
      io->run_for(5ms);
    }
  }
  return true;
}

// Running, not a zombie and not reaped.
inline bool alive(int pid) {
  const auto stat = read_proc_stat(pid);
  return stat && stat->state != 'Z' && stat->state != 'X';
}

inline std::vector<int> zombie_children() {
  std::vector<int> zombies;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_proc_stat(std::stoi(name));
    if (stat && stat->ppid == ::getpid() && stat->state == 'Z') zombies.push_back(std::stoi(name));
  }
  return zombies;
}

inline std::size_t open_fd_count() {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    ++count;
  }
  return count;
}

// A child of the test process, in its own process group, with `extra_env` added to ours.
inline pid_t spawn_plain(std::vector<std::string> argv,
                         const std::map<std::string, std::string>& extra_env = {}) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) env.emplace_back(*entry);
  for (const auto& [name, value] : extra_env) env.push_back(name + "=" + value);
  std::vector<char*> argv_ptrs;
  for (auto& arg : argv) argv_ptrs.push_back(arg.data());
  argv_ptrs.push_back(nullptr);
  std::vector<char*> env_ptrs;
  for (auto& var : env) env_ptrs.push_back(var.data());
  env_ptrs.push_back(nullptr);

  posix_spawnattr_t attr;
  ::posix_spawnattr_init(&attr);
  ::posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  ::posix_spawnattr_setpgroup(&attr, 0);
  pid_t pid = -1;
  const int rc =
      ::posix_spawn(&pid, argv_ptrs[0], nullptr, &attr, argv_ptrs.data(), env_ptrs.data());
  ::posix_spawnattr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("posix_spawn failed");
  return pid;
}

// Kills the group of a spawn_plain() child and reaps the child; returns its wait status.
inline int kill_plain(pid_t pid) {
  ::kill(-pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

// Collects the lines a worker prints; shared so that it outlives any WorkerProcess.
struct Lines {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  LineSink sink() const {
    return [lines = lines](std::string_view line) { lines->emplace_back(line); };
  }
  std::size_t size() const { return lines->size(); }
  const std::string& operator[](std::size_t i) const { return lines->at(i); }
};

}  // namespace switchyard::supervisor::test_support
