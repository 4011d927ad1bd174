// Child processes for black-box tests: any binary in its own process group with its output in a
// log file, and the router itself, started from a config text and found through router.json.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/util.hpp"

namespace switchyard::test {

// fork/exec of argv[0] (a path) in a new process group, stdin from /dev/null, stdout and stderr
// appended to `log_path`. The child gets SIGTERM should the test process die first.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, std::filesystem::path log_path);
  ~ChildProcess();  // terminate(10 s)
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }  // also its process group id
  const std::filesystem::path& log_path() const { return log_path_; }
  std::string log_text() const;

  void send_signal(int sig) const;  // to the child only, not its group
  // The raw waitpid status once the child has exited (WIFEXITED/WEXITSTATUS apply); nullopt if it
  // still runs after `timeout`. Later calls return the same status.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // SIGTERM to the child, up to `grace` for it to exit, then SIGKILL to its whole group.
  void terminate(std::chrono::milliseconds grace);

 private:
  std::filesystem::path log_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nruntime_dir: <dir>\n"; tests append models.
std::string router_config_prelude(const std::filesystem::path& runtime_dir);

// The real router (`binary --config <file>`), started with `config_text` written to a file of
// its own. The constructor returns once <runtime_dir>/router.json names this process; it throws
// std::runtime_error, with the router's log, if the router exits or `start_timeout` passes first.
// On destruction: SIGTERM, 10 s grace, then SIGKILL to the group; the log goes to stderr when the
// current test has failed.
class RouterProcess {
 public:
  RouterProcess(const std::filesystem::path& binary, std::string_view config_text,
                std::filesystem::path runtime_dir,
                std::chrono::milliseconds start_timeout = std::chrono::seconds(20),
                const std::vector<std::string>& extra_args = {});
  ~RouterProcess();
  RouterProcess(const RouterProcess&) = delete;
  RouterProcess& operator=(const RouterProcess&) = delete;

  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  pid_t pid() const { return process_.pid(); }
  std::string log_text() const { return process_.log_text(); }
  // Rewrite it, then send_signal(SIGHUP), to test reloads.
  const std::filesystem::path& config_path() const { return config_path_; }
  const std::filesystem::path& runtime_dir() const { return runtime_dir_; }

  void send_signal(int sig) const { process_.send_signal(sig); }
  std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
    return process_.wait_exit(timeout);
  }

 private:
  TempDir files_;  // config and log; declared first so it outlives the process
  std::filesystem::path config_path_;
  std::filesystem::path runtime_dir_;
  ChildProcess process_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
};

}  // namespace switchyard::test
