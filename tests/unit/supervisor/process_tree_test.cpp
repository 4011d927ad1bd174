// /proc helpers, the orphan reaper and ExitInfo::to_string.
#include "router/supervisor/process_tree.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <fstream>

#include "tests/unit/supervisor/process_test_support.hpp"

namespace switchyard::supervisor {
namespace {

using namespace test_support;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(ExitInfoTest, ToString) {
  EXPECT_EQ((ExitInfo{.code = 1}).to_string(), "exit code 1");
  EXPECT_EQ((ExitInfo{.signal = SIGKILL, .signaled = true}).to_string(), "signal 9 (SIGKILL)");
  EXPECT_TRUE(ExitInfo{}.clean());
}

TEST(ProcStatTest, ReadsOurOwnStat) {
  const auto stat = read_proc_stat(::getpid());
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->ppid, ::getppid());
  EXPECT_EQ(stat->pgrp, ::getpgrp());
  EXPECT_EQ(process_start_time(::getpid()), stat->start_time);
  EXPECT_GT(stat->start_time, 0u);
  EXPECT_FALSE(process_start_time(0x7ffffff0).has_value());
}

TEST(ProcStatTest, CommandNameWithParenthesesAndSpaces) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::prctl(PR_SET_NAME, "a) b (c", 0, 0, 0);
    ::pause();
    ::_exit(0);
  }
  EXPECT_TRUE(eventually([&] {
    std::ifstream comm("/proc/" + std::to_string(child) + "/comm");
    std::string name;
    std::getline(comm, name);
    return name == "a) b (c";
  }));
  const auto stat = read_proc_stat(child);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->ppid, ::getpid());
  EXPECT_EQ(stat->pgrp, ::getpgrp());
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
}

TEST(ProcessTreeTest, DescendantsOf) {
  const pid_t shell = spawn_plain({"/bin/sh", "-c", "sleep 60 & sleep 60 & wait"});
  EXPECT_TRUE(eventually([&] { return descendants_of(shell).size() == 2; }));
  for (const int pid : descendants_of(shell)) EXPECT_EQ(read_proc_stat(pid)->ppid, shell);
  EXPECT_THAT(descendants_of(0x7ffffff0), IsEmpty());
  kill_plain(shell);
}

TEST(ProcessTreeTest, FindsProcessesByExactTag) {
  const std::string tag = "tag-" + std::to_string(::getpid());
  const pid_t tagged = spawn_plain({"/bin/sleep", "60"}, {{"SWITCHYARD_TEST_TAG", tag}});
  EXPECT_TRUE(eventually([&] {
    return find_tagged_processes("SWITCHYARD_TEST_TAG", tag) == std::vector<int>{tagged};
  }));
  EXPECT_THAT(find_tagged_processes("SWITCHYARD_TEST_TAG", tag + "x"), IsEmpty());
  EXPECT_THAT(find_tagged_processes("SWITCHYARD_TEST_TAG", tag.substr(1)), IsEmpty());
  EXPECT_THAT(find_tagged_processes("SWITCHYARD_TEST", tag), IsEmpty());

  const auto signalled = signal_tagged_processes("SWITCHYARD_TEST_TAG", tag, SIGKILL);
  ASSERT_THAT(signalled, SizeIs(1));
  EXPECT_EQ(signalled.front().pid(), tagged);
  EXPECT_TRUE(wait_for_exit(signalled, 2s));
  EXPECT_THAT(find_tagged_processes("SWITCHYARD_TEST_TAG", tag), IsEmpty())
      << "zombies don't match";
  const int status = kill_plain(tagged);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
}

TEST(ProcessTreeTest, PidFdOfAReapedProcessIsInvalid) {
  const pid_t child = spawn_plain({"/bin/true"});
  ::waitpid(child, nullptr, 0);
  const PidFd gone(child);
  EXPECT_FALSE(gone.valid());
  EXPECT_TRUE(gone.exited());
  EXPECT_FALSE(gone.signal(SIGKILL));
}

// Runs in a forked child, which becomes the subreaper: the test process keeps its normal parent
// semantics. Returns a bit mask of the checks that failed (0: all passed).
int orphan_reaper_scenario() {
  int failures = 0;
  become_child_subreaper();
  asio::io_context io;
  OrphanReaper reaper(io.get_executor());

  // A tracked worker that has exited: its status belongs to its WorkerProcess.
  const pid_t worker = ::fork();
  if (worker == 0) ::_exit(0);
  track_worker_pid(worker);

  // middle forks orphan and exits at once; orphan is reparented to us and exits later.
  const pid_t middle = ::fork();
  if (middle == 0) {
    if (::fork() == 0) {
      ::usleep(100'000);
      ::_exit(0);
    }
    ::_exit(0);
  }
  const auto orphans_reaped = [&] {
    return !read_proc_stat(middle) && descendants_of(::getpid()) == std::vector<int>{worker};
  };
  if (!eventually(orphans_reaped, &io)) failures |= 1;
  const auto worker_stat = read_proc_stat(worker);
  if (!worker_stat || worker_stat->state != 'Z') failures |= 2;

  untrack_worker_pid(worker);
  int status = -1;
  if (::waitpid(worker, &status, 0) != worker || !WIFEXITED(status)) failures |= 4;
  return failures;
}

TEST(OrphanReaperTest, ReapsOrphansButLeavesTrackedWorkers) {
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int failures = 0xff;
    try {
      failures = orphan_reaper_scenario();
    } catch (...) {
    }
    ::_exit(failures);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: orphans not reaped, 2: worker reaped, 4: worker status";
}

}  // namespace
}  // namespace switchyard::supervisor
