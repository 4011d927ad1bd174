// Stopping workers with real processes: grace then SIGKILL, grandchildren that escaped the
// process group, the destructor, the router dying (PDEATHSIG) and fd leaks over many cycles.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/supervisor/process_launcher.hpp"
#include "tests/unit/supervisor/process_test_support.hpp"

namespace switchyard::supervisor {
namespace {

using namespace test_support;
using ::testing::IsEmpty;

class StopTest : public ::testing::Test {
 protected:
  StopTest() { runtime_dir_.open(); }

  std::unique_ptr<WorkerProcess> sh(const std::string& script) {
    SpawnSpec spec{"test-model", {"/bin/sh", "-c", script}, {}};
    return run_until_done(io_, launcher_.spawn(std::move(spec), lines_.sink()));
  }
  ExitInfo stop(WorkerProcess& worker, std::chrono::milliseconds grace) {
    return run_until_done(io_, worker.stop(grace));
  }
  // The pid the worker printed as its line `index`.
  int printed_pid(std::size_t index) {
    EXPECT_TRUE(eventually([&] { return lines_.size() > index; }, &io_));
    return lines_.size() > index ? std::stoi(lines_[index]) : -1;
  }
  static std::vector<int> tagged(WorkerProcess& worker) {
    return find_tagged_processes(kWorkerIdEnv,
                                 static_cast<PosixWorkerProcess&>(worker).worker_id());
  }

  asio::io_context io_;
  TempDir temp_;
  RuntimeDir runtime_dir_{temp_.path() / "run"};
  PosixLauncher launcher_{io_.get_executor(), runtime_dir_};
  Lines lines_;
};

TEST_F(StopTest, GracefulWorkerExitsOnSigterm) {
  auto worker = sh("trap 'exit 7' TERM; echo ready; while :; do sleep 0.05; done");
  ASSERT_TRUE(eventually([&] { return lines_.size() == 1; }, &io_));
  const auto started = std::chrono::steady_clock::now();
  const ExitInfo info = stop(*worker, 3s);
  EXPECT_EQ(info.to_string(), "exit code 7");
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(StopTest, WorkerIgnoringSigtermIsKilledAfterGraceAndReaped) {
  auto worker = sh("trap '' TERM; echo ready; sleep 60");
  ASSERT_TRUE(eventually([&] { return lines_.size() == 1; }, &io_));
  const auto started = std::chrono::steady_clock::now();
  const ExitInfo info = stop(*worker, 300ms);
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_TRUE(info.signaled);
  EXPECT_EQ(info.signal, SIGKILL);
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 2s);
  EXPECT_FALSE(read_proc_stat(worker->pid()).has_value()) << "no <defunct> left";
  EXPECT_THAT(zombie_children(), IsEmpty());
}

TEST_F(StopTest, KillsGrandchildThatCalledSetsid) {
  auto worker = sh("setsid sleep 60 & echo $!; wait");
  const int grandchild = printed_pid(0);
  ASSERT_TRUE(eventually([&] { return read_proc_stat(grandchild)->pgrp == grandchild; }))
      << "escaped the group";

  stop(*worker, 1s);
  EXPECT_FALSE(alive(grandchild));
  EXPECT_THAT(tagged(*worker), IsEmpty());
}

TEST_F(StopTest, KillsDoubleForkedGrandchildren) {
  // One stays in the group, one also leaves it; both are reparented once the subshell exits.
  auto worker = sh("(sleep 60 & echo $!); (setsid sleep 60 & echo $!); exec sleep 60");
  const int in_group = printed_pid(0);
  const int escaped = printed_pid(1);
  ASSERT_TRUE(eventually([&] {
    return read_proc_stat(in_group)->ppid != worker->pid() &&
           read_proc_stat(escaped)->ppid != worker->pid() &&
           read_proc_stat(escaped)->pgrp == escaped;
  }));

  stop(*worker, 1s);
  EXPECT_FALSE(alive(in_group));
  EXPECT_FALSE(alive(escaped));
  EXPECT_THAT(tagged(*worker), IsEmpty());
}

TEST_F(StopTest, ExitOfTheMainProcessKillsWhatItLeftBehind) {
  auto worker = sh("trap 'exit 0' USR1; setsid sleep 60 & echo $!; while :; do sleep 0.05; done");
  const int grandchild = printed_pid(0);
  ASSERT_TRUE(eventually([&] { return read_proc_stat(grandchild)->pgrp == grandchild; }));
  ::kill(worker->pid(), SIGUSR1);
  EXPECT_TRUE(run_until_done(io_, worker->wait_exit()).clean());
  EXPECT_TRUE(eventually([&] { return !alive(grandchild); }));
}

TEST_F(StopTest, StopAfterExitStillKillsTaggedLeftovers) {
  auto worker = sh("exit 0");
  run_until_done(io_, worker->wait_exit());
  // Stands in for a descendant that forked while the tree was being killed.
  const auto& id = static_cast<PosixWorkerProcess&>(*worker).worker_id();
  const pid_t straggler = spawn_plain({"/bin/sleep", "60"}, {{std::string(kWorkerIdEnv), id}});
  ASSERT_TRUE(eventually([&] { return tagged(*worker).size() == 1; }));

  EXPECT_TRUE(stop(*worker, 1s).clean());
  // Killed, and reaped too: an untracked zombie child of ours counts as an orphan.
  EXPECT_FALSE(read_proc_stat(straggler).has_value());
}

TEST_F(StopTest, DestructorKillsAndReapsARunningTree) {
  auto worker = sh("setsid sleep 60 & echo $!; exec sleep 60");
  const int grandchild = printed_pid(0);
  ASSERT_TRUE(eventually([&] { return read_proc_stat(grandchild)->pgrp == grandchild; }));
  const int pid = worker->pid();
  worker.reset();
  EXPECT_FALSE(read_proc_stat(pid).has_value()) << "reaped synchronously";
  EXPECT_TRUE(eventually([&] { return !alive(grandchild); }));
  EXPECT_FALSE(std::filesystem::exists(runtime_dir_.path() / "workers" / std::to_string(pid)));
}

TEST_F(StopTest, SpawnStopCyclesKeepTheFdCountFlat) {
  const auto cycle = [&] {
    SpawnSpec spec{"test-model", {"/bin/sleep", "60"}, {}};
    auto worker = run_until_done(io_, launcher_.spawn(std::move(spec), lines_.sink()));
    stop(*worker, 1s);
  };
  cycle();  // lets asio create what it creates once (signal pipe, ...)
  const std::size_t before = open_fd_count();
  for (int i = 0; i < 200; ++i) cycle();
  EXPECT_EQ(open_fd_count(), before);
  EXPECT_THAT(zombie_children(), IsEmpty());
}

TEST(ParentDeathTest, WorkerDiesWhenItsRouterIsKilled) {
  TempDir temp;
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const pid_t router = ::fork();
  ASSERT_GE(router, 0);
  if (router == 0) {
    // A stand-in router: start one worker, then vanish with no cleanup at all.
    try {
      asio::io_context io;
      RuntimeDir runtime_dir(temp.path() / "run");
      runtime_dir.open();
      PosixLauncher launcher(io.get_executor(), runtime_dir);
      SpawnSpec spec{"orphan", {"/bin/sleep", "60"}, {}};
      auto worker = run_until_done(io, launcher.spawn(std::move(spec), [](std::string_view) {}));
      const int pid = worker->pid();
      [[maybe_unused]] const auto written = ::write(pipe_fds[1], &pid, sizeof pid);
      ::_exit(0);
    } catch (...) {
      ::_exit(1);
    }
  }
  ::close(pipe_fds[1]);
  int worker = -1;
  ASSERT_EQ(::read(pipe_fds[0], &worker, sizeof worker), static_cast<ssize_t>(sizeof worker));
  ::close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(router, &status, 0), router);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  EXPECT_TRUE(eventually([&] { return !alive(worker); }));
}

}  // namespace
}  // namespace switchyard::supervisor
