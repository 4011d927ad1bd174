// One spawned worker process and the launcher that makes it. This is the seam between the
// supervisor's decisions and the operating system.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::supervisor {

struct ExitInfo {
  int code = 0;    // exit status when !signaled
  int signal = 0;  // terminating signal when signaled
  bool signaled = false;
  bool clean() const { return !signaled && code == 0; }
  std::string to_string() const;  // "exit code 1" / "signal 9 (SIGKILL)"
};

struct SpawnSpec {
  std::string model_name;
  std::vector<std::string> argv;          // fully expanded; argv[0] is the executable
  std::map<std::string, std::string> env;  // added to (and overriding) the router's environment
};

// Receives the worker's stdout and stderr, one line at a time, without the newline.
using LineSink = std::function<void(std::string_view line)>;

class WorkerProcess {
 public:
  virtual ~WorkerProcess() = default;
  virtual int pid() const = 0;
  // Completes as soon as the process has exited, before it is reaped: from then on it serves
  // nothing, while reaping and draining its output may still take a while. Cancellable.
  virtual boost::asio::awaitable<void> wait_exited() = 0;
  // Completes once the process has exited and been reaped. Cancellable.
  virtual boost::asio::awaitable<ExitInfo> wait_exit() = 0;
  // SIGTERM to the worker's whole tree, SIGKILL after `grace`; completes when reaped.
  virtual boost::asio::awaitable<ExitInfo> stop(std::chrono::milliseconds grace) = 0;
};

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Throws std::system_error when the executable cannot be started.
  virtual boost::asio::awaitable<std::unique_ptr<WorkerProcess>> spawn(SpawnSpec spec,
                                                                      LineSink sink) = 0;
};

}  // namespace switchyard::supervisor
