#include "tests/support/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <thread>

namespace switchyard::test {
namespace {

constexpr auto kStopGrace = std::chrono::seconds(10);
constexpr std::size_t kLogTailOnFailure = 16 * 1024;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> router_argv(const std::filesystem::path& binary,
                                     const std::filesystem::path& config,
                                     const std::vector<std::string>& extra_args) {
  std::vector<std::string> argv{binary.string(), "--config", config.string()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  return argv;
}

}  // namespace

ChildProcess::ChildProcess(const std::vector<std::string>& argv, std::filesystem::path log_path)
    : log_path_(std::move(log_path)) {
  if (argv.empty()) throw std::invalid_argument("ChildProcess: empty argv");
  // Everything the child needs is prepared here: between fork and exec only async-signal-safe
  // calls are allowed.
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    const int saved_errno = errno;
    if (log_fd >= 0) ::close(log_fd);
    if (null_fd >= 0) ::close(null_fd);
    throw std::system_error(saved_errno, std::generic_category(), "open " + log_path_.string());
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl took effect
    ::dup2(null_fd, STDIN_FILENO);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    ::close_range(3, ~0U, 0);  // no test-process socket may outlive the test in a child
    ::execv(args[0], args.data());
    static constexpr char kExecFailed[] = "ChildProcess: execv failed\n";
    [[maybe_unused]] const auto written =
        ::write(STDERR_FILENO, kExecFailed, sizeof kExecFailed - 1);
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(log_fd);
  ::close(null_fd);
  if (pid_ < 0) throw std::system_error(fork_errno, std::generic_category(), "fork");
  // Also set here, so the group exists before the caller can signal it.
  ::setpgid(pid_, pid_);
}

ChildProcess::~ChildProcess() { terminate(kStopGrace); }

std::string ChildProcess::log_text() const { return read_file(log_path_); }

void ChildProcess::send_signal(int sig) const {
  if (!status_) ::kill(pid_, sig);
}

std::optional<int> ChildProcess::wait_exit(std::chrono::milliseconds timeout) {
  wait_until(
      [this] {
        if (status_) return true;
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) status_ = status;
        return status_.has_value();
      },
      timeout, std::chrono::milliseconds(5));
  return status_;
}

void ChildProcess::terminate(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return;
  send_signal(SIGTERM);
  wait_exit(grace);
  // The group may outlive its leader (workers a router left behind); clean it up as well.
  ::kill(-pid_, SIGKILL);
  if (!status_) {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    status_ = status;
  }
}

std::string router_config_prelude(const std::filesystem::path& runtime_dir) {
  return "listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nruntime_dir: " + runtime_dir.string() +
         "\n";
}

RouterProcess::RouterProcess(const std::filesystem::path& binary, std::string_view config_text,
                             std::filesystem::path runtime_dir,
                             std::chrono::milliseconds start_timeout,
                             const std::vector<std::string>& extra_args)
    : config_path_(files_.write("router.yaml", config_text)),
      runtime_dir_(std::move(runtime_dir)),
      process_(router_argv(binary, config_path_, extra_args), files_.path() / "router.log") {
  const std::filesystem::path state_file = runtime_dir_ / "router.json";
  bool exited = false;
  // The pid check skips a router.json left by an earlier router; a parse failure means the file
  // is still being written.
  const bool started = wait_until(
      [&] {
        if (process_.wait_exit(std::chrono::milliseconds(0))) return exited = true;
        const auto state = nlohmann::json::parse(read_file(state_file), nullptr, false);
        if (!state.is_object() || state.value("pid", -1) != process_.pid()) return false;
        port_ = state.value("listen_port", std::uint16_t{0});
        admin_port_ = state.value("admin_port", std::uint16_t{0});
        return true;
      },
      start_timeout);
  if (!started || exited) {
    throw std::runtime_error("router " + std::string(exited ? "exited" : "did not start") +
                             " (config " + config_path_.string() + "); its log:\n" + log_text());
  }
}

RouterProcess::~RouterProcess() {
  process_.terminate(kStopGrace);
  if (::testing::Test::HasFailure()) {
    const std::string log = log_text();
    const std::size_t from = log.size() > kLogTailOnFailure ? log.size() - kLogTailOnFailure : 0;
    std::cerr << "---- router log (pid " << pid() << ") ----\n"
              << log.substr(from) << "\n---- end of router log ----" << std::endl;
  }
}

}  // namespace switchyard::test
