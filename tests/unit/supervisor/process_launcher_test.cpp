// PosixLauncher with real processes: output, exit reports, spawn errors and what a worker starts
// with (process group, environment, fds, signals).
#include "router/supervisor/process_launcher.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fstream>

#include "tests/unit/supervisor/process_test_support.hpp"

namespace switchyard::supervisor {
namespace {

using namespace test_support;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

class LauncherTest : public ::testing::Test {
 protected:
  LauncherTest() { runtime_dir_.open(); }

  std::unique_ptr<WorkerProcess> spawn(std::vector<std::string> argv,
                                       std::map<std::string, std::string> env = {}) {
    SpawnSpec spec{"test-model", std::move(argv), std::move(env)};
    return run_until_done(io_, launcher_.spawn(std::move(spec), lines_.sink()));
  }
  std::unique_ptr<WorkerProcess> sh(const std::string& script,
                                    std::map<std::string, std::string> env = {}) {
    return spawn({"/bin/sh", "-c", script}, std::move(env));
  }
  ExitInfo wait_exit(WorkerProcess& worker) { return run_until_done(io_, worker.wait_exit()); }
  bool lines_reach(std::size_t count) {
    return eventually([&] { return lines_.size() >= count; }, &io_);
  }
  std::filesystem::path write_file(const std::string& name, const std::string& contents,
                                   mode_t mode) {
    const auto path = temp_.path() / name;
    std::ofstream(path) << contents;
    std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
    return path;
  }

  asio::io_context io_;  // declared first: destroyed after everything that uses it
  TempDir temp_;
  RuntimeDir runtime_dir_{temp_.path() / "run"};
  PosixLauncher launcher_{io_.get_executor(), runtime_dir_};
  Lines lines_;
};

TEST_F(LauncherTest, DeliversStdoutAndStderrLinesAndTheExitCode) {
  auto worker = sh("echo hello; echo err >&2; exit 3");
  const ExitInfo info = wait_exit(*worker);
  EXPECT_FALSE(info.signaled);
  EXPECT_EQ(info.code, 3);
  EXPECT_FALSE(info.clean());
  EXPECT_EQ(info.to_string(), "exit code 3");
  // Reported only after both pipes reached EOF, so no polling here.
  EXPECT_THAT(*lines_.lines, UnorderedElementsAre("hello", "err"));
  EXPECT_FALSE(read_proc_stat(worker->pid()).has_value()) << "reaped";
}

TEST_F(LauncherTest, ReportsDeathBySignal) {
  auto worker = sh("kill -USR1 $$");
  const ExitInfo info = wait_exit(*worker);
  EXPECT_TRUE(info.signaled);
  EXPECT_EQ(info.signal, SIGUSR1);
  EXPECT_EQ(info.to_string(), "signal 10 (SIGUSR1)");
}

TEST_F(LauncherTest, SplitsLongLinesAndDeliversTheLastPartialLine) {
  auto worker =
      sh("head -c 16384 /dev/zero | tr '\\0' b; echo; "
         "head -c 40000 /dev/zero | tr '\\0' a");
  wait_exit(*worker);
  ASSERT_EQ(lines_.size(), 4u);
  EXPECT_EQ(lines_[0], std::string(16384, 'b')) << "a full-size line, then its newline";
  EXPECT_EQ(lines_[1], std::string(kMaxLineBytes, 'a'));
  EXPECT_EQ(lines_[2], std::string(kMaxLineBytes, 'a'));
  EXPECT_EQ(lines_[3], std::string(40000 - 2 * kMaxLineBytes, 'a'));
}

TEST_F(LauncherTest, MissingBinaryThrows) {
  try {
    spawn({"/nonexistent/switchyard-worker", "--flag"});
    FAIL() << "spawn succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_THAT(e.what(), HasSubstr("test-model"));
    EXPECT_THAT(e.what(), HasSubstr("/nonexistent/switchyard-worker"));
  }
  EXPECT_THROW(spawn({"switchyard-no-such-worker"}), std::system_error);
  EXPECT_THROW(spawn({}), std::system_error);
}

TEST_F(LauncherTest, FileWithoutExecPermissionThrows) {
  const auto path = write_file("not-executable", "#!/bin/sh\n", 0644);
  try {
    spawn({path.string()});
    FAIL() << "spawn succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), EACCES);
  }
}

TEST_F(LauncherTest, ExecFailureInTheChildThrowsAndLeavesNoZombie) {
  // Passes the checks made before fork; only execve() itself can refuse it.
  const auto path = write_file("garbage", "\x01\x02\x03 not a program", 0755);
  try {
    spawn({path.string()});
    FAIL() << "spawn succeeded";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code().value(), ENOEXEC);
  }
  EXPECT_THAT(zombie_children(), IsEmpty());
}

TEST_F(LauncherTest, FindsBareNamesInTheChildsPath) {
  const auto bin = temp_.path() / "bin";
  std::filesystem::create_directory(bin);
  std::filesystem::copy_file("/bin/echo", bin / "my-echo");
  auto worker = spawn({"my-echo", "found"}, {{"PATH", bin.string()}});
  EXPECT_TRUE(wait_exit(*worker).clean());
  EXPECT_THAT(*lines_.lines, ElementsAre("found"));
}

TEST_F(LauncherTest, WorkerHasItsOwnGroupMarkersAndRecord) {
  auto worker = sh("echo $SWITCHYARD_WORKER_ID; echo $SWITCHYARD_RUNTIME_DIR; echo $FOO; sleep 60",
                   {{"FOO", "bar"}, {"SWITCHYARD_WORKER_ID", "spoofed"}});
  ASSERT_TRUE(lines_reach(3));
  EXPECT_EQ(::getpgid(worker->pid()), worker->pid());
  const auto& id = static_cast<PosixWorkerProcess&>(*worker).worker_id();
  EXPECT_EQ(lines_[0], id);
  EXPECT_EQ(id.rfind(std::to_string(::getpid()) + ".", 0), 0u) << id;
  EXPECT_EQ(lines_[1], runtime_dir_.path().string());
  EXPECT_EQ(lines_[2], "bar");

  const auto record = runtime_dir_.path() / "workers" / std::to_string(worker->pid());
  EXPECT_TRUE(std::filesystem::exists(record));
  run_until_done(io_, worker->stop(1s));
  EXPECT_FALSE(std::filesystem::exists(record));
}

TEST_F(LauncherTest, WorkerInheritsNoFds) {
  const int leaky = ::open("/dev/null", O_RDONLY);  // no O_CLOEXEC on purpose
  ASSERT_GE(leaky, 0);
  // No pipeline: the shell would hold the pipe's fds while ls looks.
  auto worker = sh("ls /proc/$$/fd");
  ::close(leaky);
  wait_exit(*worker);
  EXPECT_THAT(*lines_.lines, ElementsAre("0", "1", "2"));
}

TEST_F(LauncherTest, WorkerStartsWithNoIgnoredOrBlockedSignals) {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_action {};
  ::sigaction(SIGUSR2, &ignore, &old_action);
  sigset_t block, old_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  ::sigprocmask(SIG_BLOCK, &block, &old_mask);
  // Not through sh, which blocks signals around its own forks.
  auto worker = spawn({"/bin/grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"});
  ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
  ::sigaction(SIGUSR2, &old_action, nullptr);

  wait_exit(*worker);
  EXPECT_THAT(*lines_.lines, ElementsAre("SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"));
}

TEST_F(LauncherTest, OrphanReaperLeavesWorkerExitStatusesAlone) {
  OrphanReaper reaper(io_.get_executor());
  for (int i = 0; i < 10; ++i) {
    auto worker = sh("exit " + std::to_string(i));
    // Give SIGCHLD and the reaper time to run before anyone waits.
    ASSERT_TRUE(eventually([&] { return !alive(worker->pid()); }, &io_));
    io_.run_for(5ms);
    EXPECT_EQ(wait_exit(*worker).code, i);
  }
}

TEST_F(LauncherTest, WaitExitIsCancellableAndCachesTheResult) {
  using namespace asio::experimental::awaitable_operators;
  auto worker = sh("sleep 60");
  auto race = [&]() -> asio::awaitable<std::size_t> {
    asio::steady_timer timer(io_, 50ms);
    const auto winner = co_await (worker->wait_exit() || timer.async_wait(asio::use_awaitable));
    co_return winner.index();
  };
  EXPECT_EQ(run_until_done(io_, race()), 1u) << "the timer wins; the wait is cancelled";
  EXPECT_TRUE(alive(worker->pid()));

  const ExitInfo stopped = run_until_done(io_, worker->stop(1s));
  EXPECT_EQ(stopped.signal, SIGTERM);
  const ExitInfo again = wait_exit(*worker);
  EXPECT_EQ(again.signal, stopped.signal);
  EXPECT_EQ(wait_exit(*worker).signaled, stopped.signaled);
}

TEST_F(LauncherTest, WaitExitedReturnsBeforeTheReap) {
  auto worker = sh("exit 4");
  run_until_done(io_, worker->wait_exited());
  const auto stat = read_proc_stat(worker->pid());
  ASSERT_TRUE(stat.has_value()) << "reaped already";
  EXPECT_EQ(stat->state, 'Z');
  EXPECT_EQ(wait_exit(*worker).code, 4);
  EXPECT_FALSE(read_proc_stat(worker->pid()).has_value()) << "not reaped";
}

TEST_F(LauncherTest, WaitExitSeesAnExitThatHappenedWhileNobodyWaited) {
  auto worker = spawn({"/bin/true"});
  // Let the reactor see (and drop) the pidfd's edge before anyone waits on it.
  ASSERT_TRUE(eventually([&] { return !alive(worker->pid()); }, &io_));
  io_.restart();
  io_.run_for(50ms);
  EXPECT_TRUE(run_until_done(io_, worker->wait_exit(), 1s).clean());
}

}  // namespace
}  // namespace switchyard::supervisor
