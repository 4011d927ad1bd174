// RuntimeDir: one router per directory, leftovers of a dead router, records and state files.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "router/supervisor/runtime_dir.hpp"
#include "tests/unit/supervisor/process_test_support.hpp"

namespace switchyard::supervisor {
namespace {

using namespace test_support;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

std::vector<std::string> entries(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  return names;
}

class RuntimeDirTest : public ::testing::Test {
 protected:
  TempDir temp_;
  const std::filesystem::path dir_ = temp_.path() / "nested" / "run";
};

TEST_F(RuntimeDirTest, OpenCreatesAPrivateDirectoryAndLocksIt) {
  RuntimeDir runtime_dir(dir_);
  EXPECT_EQ(runtime_dir.open(), 0);
  EXPECT_EQ(runtime_dir.path(), dir_);
  struct stat st {};
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  EXPECT_EQ(read_file(dir_ / "lock"), std::to_string(::getpid()) + "\n");
}

TEST_F(RuntimeDirTest, SecondRouterOnTheSameDirectoryFails) {
  auto first = std::make_unique<RuntimeDir>(dir_);
  first->open();
  // Spelled differently, still the same directory.
  RuntimeDir second(temp_.path() / "nested" / "." / "run" / "");
  try {
    second.open();
    FAIL() << "second open() succeeded";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "runtime_dir " + dir_.string() +
                                         " is in use by another switchyard (pid " +
                                         std::to_string(::getpid()) + ")");
  }
  first.reset();
  RuntimeDir third(dir_);
  EXPECT_NO_THROW(third.open()) << "the lock goes with its holder";
}

TEST_F(RuntimeDirTest, KillsProcessesTaggedWithTheDirectory) {
  const pid_t leftover =
      spawn_plain({"/bin/sleep", "60"}, {{std::string(kRuntimeDirEnv), dir_.string()}});
  const pid_t elsewhere =
      spawn_plain({"/bin/sleep", "60"}, {{std::string(kRuntimeDirEnv), dir_.string() + "-other"}});
  ASSERT_TRUE(
      eventually([&] { return !find_tagged_processes(kRuntimeDirEnv, dir_.string()).empty(); }));

  RuntimeDir runtime_dir(dir_);
  EXPECT_EQ(runtime_dir.open(), 1);
  const int status = kill_plain(leftover);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_EQ(WTERMSIG(status), SIGKILL) << "killed by open(), not by the cleanup";
  EXPECT_TRUE(alive(elsewhere));
  kill_plain(elsewhere);
  EXPECT_EQ(runtime_dir.kill_leftovers(), 0);
}

TEST_F(RuntimeDirTest, KillsRecordedWorkersAndTheirGroups) {
  // No marker in its environment: only the record can find it.
  const pid_t worker = spawn_plain({"/bin/sh", "-c", "sleep 60 & wait"});
  ASSERT_TRUE(eventually([&] { return descendants_of(worker).size() == 1; }));
  const int grandchild = descendants_of(worker).front();
  {
    RuntimeDir crashed_router(dir_);
    crashed_router.open();
    crashed_router.record(worker, "llama", "1.2.3");
  }

  RuntimeDir runtime_dir(dir_);
  EXPECT_GE(runtime_dir.open(), 1);
  const int status = kill_plain(worker);
  EXPECT_EQ(WTERMSIG(status), SIGKILL);
  EXPECT_TRUE(eventually([&] { return !alive(grandchild); }));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "workers"));
}

TEST_F(RuntimeDirTest, RecordWithAnotherStartTimeIsARecycledPid) {
  const pid_t stranger = spawn_plain({"/bin/sleep", "60"});
  {
    RuntimeDir crashed_router(dir_);
    crashed_router.open();
    std::ofstream(dir_ / "workers" / std::to_string(stranger))
        << "pid=" << stranger << "\npgid=" << stranger << "\nstart_time=1\nmodel=m\n";
  }
  RuntimeDir runtime_dir(dir_);
  EXPECT_EQ(runtime_dir.open(), 0);
  EXPECT_TRUE(alive(stranger));
  EXPECT_TRUE(std::filesystem::is_empty(dir_ / "workers")) << "stale record deleted";
  kill_plain(stranger);
}

TEST_F(RuntimeDirTest, RecordAndForget) {
  RuntimeDir runtime_dir(dir_);
  runtime_dir.open();
  runtime_dir.record(::getpid(), "llama", "7.8.9");
  const auto record = dir_ / "workers" / std::to_string(::getpid());
  const std::string text = read_file(record);
  EXPECT_THAT(text, HasSubstr("pid=" + std::to_string(::getpid()) + "\n"));
  EXPECT_THAT(text, HasSubstr("pgid=" + std::to_string(::getpgrp()) + "\n"));
  EXPECT_THAT(text, HasSubstr("start_time=" + std::to_string(*process_start_time(::getpid()))));
  EXPECT_THAT(text, HasSubstr("model=llama\n"));
  EXPECT_THAT(text, HasSubstr("worker_id=7.8.9\n"));
  runtime_dir.forget(::getpid());
  EXPECT_FALSE(std::filesystem::exists(record));
}

TEST_F(RuntimeDirTest, StateFilesAreReplacedAtomically) {
  RuntimeDir runtime_dir(dir_);
  runtime_dir.open();
  runtime_dir.write_state_file("router.json", R"({"port": 1})");
  runtime_dir.write_state_file("router.json", R"({"port": 2})");
  EXPECT_EQ(read_file(dir_ / "router.json"), R"({"port": 2})");
  EXPECT_THAT(entries(dir_), UnorderedElementsAre("lock", "workers", "router.json"));
  for (const char* bad : {"", "..", "a/b", "lock", "workers"}) {
    EXPECT_THROW(runtime_dir.write_state_file(bad, "x"), std::invalid_argument) << bad;
  }
}

}  // namespace
}  // namespace switchyard::supervisor
