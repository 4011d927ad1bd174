// The router's runtime directory: one router per directory (flock), a record of every live worker,
// and state files for tools and tests. It is how a restarted router finds and kills what the
// previous one left behind after a kill -9 (RELIABILITY.md S8).
#pragma once

#include <filesystem>
#include <string_view>

namespace switchyard::supervisor {

// Every worker gets both in its environment, and its descendants inherit them: they find a
// grandchild that left the process group, or one a dead router left behind.
inline constexpr std::string_view kRuntimeDirEnv = "SWITCHYARD_RUNTIME_DIR";
inline constexpr std::string_view kWorkerIdEnv = "SWITCHYARD_WORKER_ID";

class RuntimeDir {
 public:
  explicit RuntimeDir(std::filesystem::path dir);
  RuntimeDir(const RuntimeDir&) = delete;
  RuntimeDir& operator=(const RuntimeDir&) = delete;
  ~RuntimeDir();  // releases the lock; kills nothing

  // Creates the directory (0700, parents too), locks it and kills the leftovers of a previous
  // router (kill_leftovers()). Throws std::runtime_error when another router holds the lock, and
  // std::system_error when the directory cannot be set up. Returns how many were killed.
  int open();

  // SIGKILLs every process tagged with this directory (but us) and every process that a record
  // in workers/ names whose start time still matches, with its process group; waits up to 5 s for
  // them to die, then deletes all records. Returns how many processes were killed.
  int kill_leftovers();

  // The absolute, canonical path once open() succeeded; the value of kRuntimeDirEnv.
  const std::filesystem::path& path() const { return path_; }

  // workers/<pid>: pid, pgid, start_time, model, worker_id. Throws std::system_error.
  void record(int pid, std::string_view model_name, std::string_view worker_id);
  void forget(int pid) noexcept;

  // Replaces <dir>/<name> atomically (write to a temporary, then rename). Throws
  // std::invalid_argument for a name that is not a plain file name, std::system_error on I/O.
  void write_state_file(std::string_view name, std::string_view contents);

 private:
  std::filesystem::path workers_dir() const { return path_ / "workers"; }

  std::filesystem::path path_;
  int lock_fd_ = -1;
};

}  // namespace switchyard::supervisor
