#include "worker_process.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "test_http_client.hpp"

namespace switchyard::test {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    throw std::runtime_error("cannot find a free port");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

WorkerProcess::WorkerProcess(Args list, const std::string& model) {
  const std::map<std::string, std::string> args(list);
  // Another process may take the port between free_port() and the worker's bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start(args, model)) return;
  }
  throw std::runtime_error("switchyard-worker did not become ready:\n" + log());
}

WorkerProcess::WorkerProcess(const std::string& engine, Args list, const std::string& model,
                             Until until)
    : engine_(engine), until_(until) {
  const std::map<std::string, std::string> args(list);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (start(args, model)) return;
  }
  throw std::runtime_error("switchyard-worker did not become ready:\n" + log());
}

WorkerProcess::~WorkerProcess() {
  if (pid_ > 0) stop(SIGKILL, 5s);
}

bool WorkerProcess::start(const std::map<std::string, std::string>& args,
                          const std::string& model) {
  port_ = free_port();
  log_path_ =
      (std::filesystem::temp_directory_path() /
       ("switchyard-worker-" + std::to_string(getpid()) + "-" + std::to_string(port_) + ".log"))
          .string();
  std::vector<std::string> argv = {
      SWITCHYARD_WORKER_BIN, "--engine", engine_, "--model", model, "--host", "127.0.0.1", "--port",
      std::to_string(port_)};
  for (const auto& [key, value] : args) {
    argv.push_back("--arg");
    argv.push_back(key + "=" + value);
  }
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, STDERR_FILENO);
    std::vector<char*> cargv;
    for (auto& a : argv) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    execv(cargv[0], cargv.data());
    _exit(127);
  }
  const auto deadline = Clock::now() + 20s;
  while (Clock::now() < deadline) {
    if (int status = 0; waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    try {
      const int status = http_call(port_, "GET", "/health", {}, 2s).status;
      if (status == 200 || (until_ == Until::listening && status == 503)) return true;
    } catch (const std::exception&) {
      // not listening yet
    }
    std::this_thread::sleep_for(10ms);  // polling interval, not synchronisation
  }
  stop(SIGKILL, 5s);
  return false;
}

std::optional<WorkerProcess::Exit> WorkerProcess::wait(std::chrono::milliseconds deadline) {
  const auto start = Clock::now();
  while (pid_ > 0) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      Exit exit;
      exit.status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      exit.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
      return exit;
    }
    if (Clock::now() - start > deadline) return std::nullopt;
    std::this_thread::sleep_for(2ms);
  }
  return std::nullopt;
}

std::optional<WorkerProcess::Exit> WorkerProcess::stop(int signal,
                                                       std::chrono::milliseconds deadline) {
  if (pid_ <= 0) return std::nullopt;
  kill(pid_, signal);
  auto exit = wait(deadline);
  if (!exit && pid_ > 0) {
    kill(pid_, SIGKILL);
    wait(5s);
  }
  return exit;
}

std::string WorkerProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace switchyard::test
