// Starts the real switchyard-worker on a free loopback port and stops it; used by the black-box
// tests. stderr goes to a file in the test's temp dir, shown when a start fails.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>

namespace switchyard::test {

class WorkerProcess {
 public:
  // What the constructor waits for: /health answering 200 (the model loaded), or answering at
  // all (the server is up; the model may still be loading).
  enum class Until { ready, listening };
  // Starts the worker and polls /health until 200 (or fails the calling test via exceptions).
  using Args = std::initializer_list<std::pair<const std::string, std::string>>;
  explicit WorkerProcess(Args args, const std::string& model = SWITCHYARD_TINY_MODEL);
  // Runs `--engine engine` (the constructor above runs llama).
  WorkerProcess(const std::string& engine, Args args, const std::string& model,
                Until until = Until::ready);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  std::uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }

  struct Exit {
    int status = -1;  // exit code, or -signal
    std::chrono::milliseconds took{0};
  };
  // Sends `signal` and waits up to `deadline` for the process to end.
  std::optional<Exit> stop(int signal, std::chrono::milliseconds deadline);
  // Waits for the process to exit on its own.
  std::optional<Exit> wait(std::chrono::milliseconds deadline);
  std::string log() const;

 private:
  bool start(const std::map<std::string, std::string>& args, const std::string& model);
  std::string engine_ = "llama";
  Until until_ = Until::ready;
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string log_path_;
};

// A port that was free a moment ago (bound to port 0, then released).
std::uint16_t free_port();

}  // namespace switchyard::test
