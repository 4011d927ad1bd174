#include "router/supervisor/process_launcher.hpp"

// clang-format off
// Boost 1.81's Process v2 with BOOST_PROCESS_USE_STD_FS uses these two without including them.
#include <boost/optional.hpp>
#include <boost/type_traits/remove_pointer.hpp>
#include <boost/process/v2/process.hpp>
// clang-format on

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <map>
#include <string_view>
#include <system_error>
#include <utility>

#include "router/supervisor/open_file_limit.hpp"

namespace switchyard::supervisor {
namespace {

namespace asio = boost::asio;
namespace bp = boost::process::v2;

// Exit statuses of a child that never reached the worker binary.
constexpr int kExitRouterGone = 125;
constexpr int kExitExecFailed = 127;

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&&) = delete;
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

[[noreturn]] void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

// The child dup2()s onto 0-2, so nothing it needs may sit there (a router started with stdin
// closed would get a pipe at fd 0).
UniqueFd above_stdio(int fd, const char* what) {
  if (fd < 0) throw_errno(errno, what);
  if (fd > STDERR_FILENO) return UniqueFd(fd);
  const int moved = ::fcntl(fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
  const int err = errno;
  ::close(fd);
  if (moved < 0) throw_errno(err, what);
  return UniqueFd(moved);
}

struct Pipe {
  UniqueFd read;
  UniqueFd write;
};

// O_CLOEXEC: none of these may leak into another worker spawned later.
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_errno(errno, "pipe2");
  UniqueFd read = above_stdio(fds[0], "pipe2");
  return Pipe{std::move(read), above_stdio(fds[1], "pipe2")};
}

// Everything the child needs between fork and exec, prepared by the parent. The child may only
// make async-signal-safe calls (no allocation): fork copied one thread of a process whose locks
// another thread may have held.
struct ChildSetup {
  pid_t router_pid;
  int stdin_fd;
  int stdout_fd;
  int stderr_fd;
  int error_fd;  // CLOEXEC: a successful exec closes it; otherwise it carries errno
  int max_fd;    // for the close() loop on kernels without close_range (< 5.9)
  rlimit open_files;  // the limit the router was started with (open_file_limit.hpp)
  const char* path;
  char* const* argv;
  char* const* envp;

  // Boost.Process v2 calls this in the child after fork. We exec here instead of returning:
  // Boost 1.81 then closes only the fds above its own error pipe (leaving the router's lower fds,
  // such as a listening socket, open in the worker), and calls exit() rather than _exit() when
  // exec fails (running the router's atexit handlers in the child).
  template <typename Launcher, typename Path>
  boost::system::error_code on_exec_setup(Launcher&, const Path&, const char* const*&) const {
    exec_worker();
  }

  [[noreturn]] void fail(int err) const {
    [[maybe_unused]] const auto written = ::write(error_fd, &err, sizeof err);
    ::_exit(kExitExecFailed);
  }

  void close_fds_except_error_pipe() const {
    const auto close_range = [](unsigned first, unsigned last) {
      return first > last || ::syscall(SYS_close_range, first, last, 0U) == 0;
    };
    const auto error = static_cast<unsigned>(error_fd);
    if (close_range(STDERR_FILENO + 1, error - 1) && close_range(error + 1, ~0U)) return;
    for (int fd = STDERR_FILENO + 1; fd < max_fd; ++fd) {
      if (fd != error_fd) ::close(fd);
    }
  }

  [[noreturn]] void exec_worker() const {
    // Its own process group, so the whole tree can be signalled with kill(-pid).
    if (::setpgid(0, 0) != 0) fail(errno);
    // Die with the router, even when it is SIGKILLed (S8). The signal fires when the *thread*
    // that forked exits, so spawn() runs only on the router's main thread (S10).
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0) fail(errno);
    // The router died before prctl took effect: we are reparented already, no signal will come.
    if (::getppid() != router_pid) ::_exit(kExitRouterGone);
    // Ignored signals and the signal mask survive exec; the worker must start from defaults.
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
    if (::dup2(stdin_fd, STDIN_FILENO) < 0 || ::dup2(stdout_fd, STDOUT_FILENO) < 0 ||
        ::dup2(stderr_fd, STDERR_FILENO) < 0) {
      fail(errno);
    }
    close_fds_except_error_pipe();
    ::setrlimit(RLIMIT_NOFILE, &open_files);
    ::execve(path, argv, envp);
    fail(errno);
  }
};

using Environment = std::map<std::string, std::string, std::less<>>;

Environment worker_environment(const SpawnSpec& spec, std::string_view runtime_dir,
                               std::string_view worker_id) {
  Environment vars;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const auto eq = text.find('=');
    // The first occurrence wins, as with getenv().
    if (eq != std::string_view::npos)
      vars.try_emplace(std::string(text.substr(0, eq)), text.substr(eq + 1));
  }
  for (const auto& [name, value] : spec.env) vars.insert_or_assign(name, value);
  // Set last: a worker cannot opt out of being found.
  vars.insert_or_assign(std::string(kRuntimeDirEnv), std::string(runtime_dir));
  vars.insert_or_assign(std::string(kWorkerIdEnv), std::string(worker_id));
  return vars;
}

// Resolved in the parent, so that the common failures get a clear error without a fork, and with
// the child's PATH (spec.env may set it), which is what the operator means.
std::string resolve_executable(const std::string& name, const Environment& env,
                               const std::string& what) {
  const auto usable = [](const std::string& candidate) {
    struct stat st {};
    if (::stat(candidate.c_str(), &st) != 0) return errno;
    if (!S_ISREG(st.st_mode)) return EACCES;
    return ::access(candidate.c_str(), X_OK) == 0 ? 0 : errno;
  };
  if (name.find('/') != std::string::npos) {
    if (const int err = usable(name)) throw_errno(err, what + ": " + name);
    return name;
  }
  const auto path_var = env.find("PATH");
  std::string_view dirs = "/usr/bin:/bin";
  if (path_var != env.end()) dirs = path_var->second;
  while (true) {
    const auto end = std::min(dirs.find(':'), dirs.size());
    const std::string dir(dirs.substr(0, end));
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (usable(candidate) == 0) return candidate;
    if (end == dirs.size()) break;
    dirs.remove_prefix(end + 1);
  }
  throw_errno(ENOENT, what + ": " + name + " not found in PATH");
}

std::vector<char*> null_terminated(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// For a child that never became a worker, so nobody else will reap it. Unreaped, it pins its
// pid and group id: neither kill can reach a stranger.
void kill_and_reap(pid_t pid) {
  ::kill(-pid, SIGKILL);
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

PosixLauncher::PosixLauncher(asio::any_io_executor executor, RuntimeDir& runtime_dir)
    : executor_(std::move(executor)),
      runtime_dir_(runtime_dir),
      router_pid_(::getpid()),
      router_start_time_(process_start_time(router_pid_).value_or(0)) {}

asio::awaitable<std::unique_ptr<WorkerProcess>> PosixLauncher::spawn(SpawnSpec spec,
                                                                     LineSink sink) {
  co_return launch(spec, std::move(sink));
}

std::unique_ptr<WorkerProcess> PosixLauncher::launch(const SpawnSpec& spec, LineSink sink) {
  const std::string what = "cannot start worker for model '" + spec.model_name + "'";
  if (spec.argv.empty()) throw_errno(EINVAL, what + ": empty argv");

  // Process-wide, so that two launchers in one router never hand out the same id.
  static std::atomic<unsigned long long> sequence = 0;
  const std::string worker_id = std::to_string(router_pid_) + "." +
                                std::to_string(router_start_time_) + "." +
                                std::to_string(++sequence);
  const Environment env = worker_environment(spec, runtime_dir_.path().string(), worker_id);
  const std::string path = resolve_executable(spec.argv.front(), env, what);

  std::vector<std::string> argv_strings = spec.argv;
  std::vector<std::string> env_strings;
  for (const auto& [name, value] : env) env_strings.push_back(name + "=" + value);
  const std::vector<char*> argv = null_terminated(argv_strings);
  const std::vector<char*> envp = null_terminated(env_strings);

  UniqueFd dev_null = above_stdio(::open("/dev/null", O_RDWR | O_CLOEXEC), "open /dev/null");
  Pipe out = make_pipe();
  Pipe err = make_pipe();
  Pipe exec_error = make_pipe();
  const ChildSetup setup{router_pid_,
                         dev_null.get(),
                         out.write.get(),
                         err.write.get(),
                         exec_error.write.get(),
                         static_cast<int>(::sysconf(_SC_OPEN_MAX)),
                         inherited_open_file_limit(),
                         path.c_str(),
                         argv.data(),
                         envp.data()};

  bp::posix::default_launcher launcher;
  boost::system::error_code launch_error;
  bp::process proc = launcher(executor_, launch_error, path, std::vector<std::string>{}, setup);
  const pid_t pid = launcher.pid;
  proc.detach();  // we reap it ourselves; basic_process would kill it when destroyed

  dev_null.reset();
  out.write.reset();
  err.write.reset();
  exec_error.write.reset();
  if (launch_error) {
    if (pid > 0) kill_and_reap(pid);
    throw_errno(launch_error.value(), what + ": " + path);
  }
  // EOF means the exec succeeded; an int is the errno of whatever failed in the child.
  int child_errno = 0;
  ssize_t n = 0;
  do {
    n = ::read(exec_error.read.get(), &child_errno, sizeof child_errno);
  } while (n < 0 && errno == EINTR);
  if (n != 0) {
    const int failure = n > 0 ? child_errno : errno;
    kill_and_reap(pid);
    throw_errno(failure, what + ": " + path);
  }

  // Before anything can run the orphan reaper, which must not take this pid's exit status.
  track_worker_pid(pid);
  std::unique_ptr<PosixWorkerProcess> worker;
  try {
    PidFd pidfd(pid);
    if (!pidfd.valid()) throw_errno(errno, what + ": pidfd_open");
    asio::readable_pipe out_pipe(executor_, out.read.get());
    out.read.release();
    asio::readable_pipe err_pipe(executor_, err.read.get());
    err.read.release();
    worker = std::make_unique<PosixWorkerProcess>(executor_, std::move(pidfd), worker_id,
                                                  runtime_dir_, std::move(out_pipe),
                                                  std::move(err_pipe), std::move(sink));
  } catch (...) {
    kill_and_reap(pid);
    untrack_worker_pid(pid);
    throw;
  }
  // Should this throw, ~PosixWorkerProcess kills and reaps the worker.
  runtime_dir_.record(pid, spec.model_name, worker_id);
  spdlog::info("started worker {} for model '{}': pid {}, {}", worker_id, spec.model_name, pid,
               path);
  return worker;
}

}  // namespace switchyard::supervisor
