// Small building blocks for tests that start real processes: ports, scratch directories,
// polling instead of fixed sleeps, and where the binaries under test live.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

namespace switchyard::test {

// A port the kernel just handed out for 127.0.0.1 (bound to :0, then released).
std::uint16_t free_port();

// A fresh directory under /tmp, removed with everything in it when the TempDir goes.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(TempDir&& other) noexcept;
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes (replaces) path()/name, creating parent directories; returns the full path.
  std::filesystem::path write(std::string_view name, std::string_view contents) const;

 private:
  std::filesystem::path path_;
};

// Polls `predicate` every `poll` until it holds (true) or `timeout` passes (false).
bool wait_until(const std::function<bool()>& predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));

// True while `pid` exists and is not a zombie.
bool process_alive(pid_t pid);

// The binaries under test, inside this build tree.
std::filesystem::path fake_worker_path();
std::filesystem::path router_binary_path();

}  // namespace switchyard::test
