// The registry only reads each supervisor's config. Supervisors start their coroutine on the
// executor they are given; this one is never run, so nothing is ever spawned.
#include "router/registry/registry.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <stdexcept>

namespace switchyard::registry {
namespace {

namespace asio = boost::asio;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class RefusingLauncher : public supervisor::Launcher {
 public:
  asio::awaitable<std::unique_ptr<supervisor::WorkerProcess>> spawn(supervisor::SpawnSpec,
                                                                    supervisor::LineSink) override {
    throw std::runtime_error("no processes in this test");
    co_return nullptr;
  }
};

class RegistryTest : public ::testing::Test {
 protected:
  SupervisorPtr make(std::string name, std::vector<std::string> aliases = {}) {
    config::ModelConfig model;
    model.name = std::move(name);
    model.engine = "llama";
    model.model_path = "/models/" + model.name;
    model.aliases = std::move(aliases);
    return std::make_shared<supervisor::Supervisor>(io_.get_executor(), std::move(model), "w",
                                                    launcher_, ports_);
  }

  asio::io_context io_;  // never run
  RefusingLauncher launcher_;
  supervisor::PortAllocator ports_;
  Registry registry_;
};

TEST_F(RegistryTest, EmptyRegistry) {
  EXPECT_EQ(registry_.find("anything"), nullptr);
  EXPECT_EQ(registry_.find(""), nullptr);
  EXPECT_THAT(registry_.models(), IsEmpty());
  EXPECT_THAT(registry_.names(), IsEmpty());
  EXPECT_EQ(registry_.remove("anything"), nullptr);
}

TEST_F(RegistryTest, FindsByNameAndAlias) {
  const auto qwen = make("qwen", {"gpt-4o", "gpt-4o-mini"});
  const auto whisper = make("whisper", {"whisper-1"});
  registry_.put(qwen);
  registry_.put(whisper);
  EXPECT_EQ(registry_.find("qwen"), qwen);
  EXPECT_EQ(registry_.find("gpt-4o"), qwen);
  EXPECT_EQ(registry_.find("gpt-4o-mini"), qwen);
  EXPECT_EQ(registry_.find("whisper"), whisper);
  EXPECT_EQ(registry_.find("whisper-1"), whisper);
  EXPECT_EQ(registry_.find("Qwen"), nullptr);  // names are case-sensitive
  EXPECT_EQ(registry_.find("gpt-4"), nullptr);
  EXPECT_EQ(registry_.find(""), nullptr);
}

TEST_F(RegistryTest, KeepsInsertionOrder) {
  registry_.put(make("b"));
  registry_.put(make("a"));
  registry_.put(make("c"));
  EXPECT_THAT(registry_.names(), ElementsAre("b", "a", "c"));
  ASSERT_EQ(registry_.models().size(), 3u);
  EXPECT_EQ(registry_.models()[1]->config().name, "a");
}

TEST_F(RegistryTest, PutReplacesByNameKeepingItsPlace) {
  registry_.put(make("a"));
  registry_.put(make("b", {"old-alias"}));
  registry_.put(make("c"));
  const auto replacement = make("b", {"new-alias"});
  registry_.put(replacement);
  EXPECT_THAT(registry_.names(), ElementsAre("a", "b", "c"));
  EXPECT_EQ(registry_.find("b"), replacement);
  EXPECT_EQ(registry_.find("new-alias"), replacement);
  EXPECT_EQ(registry_.find("old-alias"), nullptr);  // the old model's aliases go with it
}

TEST_F(RegistryTest, RemoveReturnsTheModelAndForgetsItsAliases) {
  const auto a = make("a", {"alias-a"});
  registry_.put(a);
  registry_.put(make("b", {"alias-b"}));
  EXPECT_EQ(registry_.remove("a"), a);
  EXPECT_THAT(registry_.names(), ElementsAre("b"));
  EXPECT_EQ(registry_.find("a"), nullptr);
  EXPECT_EQ(registry_.find("alias-a"), nullptr);
  EXPECT_NE(registry_.find("alias-b"), nullptr);
  EXPECT_EQ(registry_.remove("a"), nullptr);
}

TEST_F(RegistryTest, RemoveByAliasDoesNothing) {
  registry_.put(make("a", {"alias-a"}));
  EXPECT_EQ(registry_.remove("alias-a"), nullptr);
  EXPECT_THAT(registry_.names(), ElementsAre("a"));
}

TEST_F(RegistryTest, ReorderFollowsTheGivenNames) {
  registry_.put(make("a"));
  registry_.put(make("b"));
  registry_.put(make("c"));
  registry_.reorder({"c", "a", "b"});
  EXPECT_THAT(registry_.names(), ElementsAre("c", "a", "b"));
  EXPECT_NE(registry_.find("a"), nullptr);
}

TEST_F(RegistryTest, ReorderIgnoresUnknownNames) {
  registry_.put(make("a"));
  registry_.put(make("b"));
  registry_.reorder({"zzz", "b", "a", "yyy"});
  EXPECT_THAT(registry_.names(), ElementsAre("b", "a"));
}

TEST_F(RegistryTest, ReorderKeepsModelsItWasNotToldAbout) {
  // models() and find() must agree: a model that find() serves is listed too (and shut down
  // with the rest).
  registry_.put(make("a"));
  registry_.put(make("b"));
  registry_.put(make("c"));
  registry_.reorder({"c", "a"});
  EXPECT_THAT(registry_.names(), ElementsAre("c", "a", "b"));
  EXPECT_NE(registry_.find("b"), nullptr);
}

TEST_F(RegistryTest, ReorderWithARepeatedNameListsTheModelOnce) {
  registry_.put(make("a"));
  registry_.put(make("b"));
  registry_.reorder({"b", "a", "b"});
  EXPECT_THAT(registry_.names(), ElementsAre("b", "a"));
}

}  // namespace
}  // namespace switchyard::registry
