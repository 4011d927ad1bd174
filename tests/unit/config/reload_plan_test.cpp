#include "router/config/reload_plan.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchyard::config {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ModelConfig model(std::string name, int line = 1) {
  ModelConfig m;
  m.name = std::move(name);
  m.model_path = "/m/" + m.name;
  m.line = line;
  return m;
}

Config with_models(std::vector<ModelConfig> models) {
  Config config;
  config.runtime_dir = "/run/switchyard";
  config.worker_binary = "/usr/bin/switchyard-worker";
  config.models = std::move(models);
  return config;
}

TEST(PlanReload, IdenticalConfigChangesNothing) {
  const Config live = with_models({model("a"), model("b")});
  const ReloadPlan plan = plan_reload(live, live);
  EXPECT_THAT(plan.unchanged, ElementsAre("a", "b"));
  EXPECT_THAT(plan.added, IsEmpty());
  EXPECT_THAT(plan.removed, IsEmpty());
  EXPECT_THAT(plan.changed, IsEmpty());
  EXPECT_THAT(plan.ignored_global_changes, IsEmpty());
}

TEST(PlanReload, SortsModelsIntoAddedRemovedChangedUnchanged) {
  const Config live = with_models({model("gone1"), model("same"), model("edited"), model("gone2")});
  ModelConfig edited = model("edited");
  edited.args["ctx_size"] = 8192;
  const Config next = with_models({model("new2"), edited, model("same", 40), model("new1")});

  const ReloadPlan plan = plan_reload(live, next);
  EXPECT_THAT(plan.added, ElementsAre("new2", "new1"));      // next's order
  EXPECT_THAT(plan.removed, ElementsAre("gone1", "gone2"));  // live's order
  EXPECT_THAT(plan.changed, ElementsAre("edited"));
  EXPECT_THAT(plan.unchanged, ElementsAre("same"));  // moving it is not a change
}

TEST(PlanReload, RenameIsRemoveAndAdd) {
  const ReloadPlan plan = plan_reload(with_models({model("old")}), with_models({model("new")}));
  EXPECT_THAT(plan.added, ElementsAre("new"));
  EXPECT_THAT(plan.removed, ElementsAre("old"));
}

TEST(PlanReload, SettingsReadPerRequestUpdateTheRunningModel) {
  ModelConfig tuned = model("a");
  tuned.aliases = {"gpt-4o-mini"};
  tuned.params.defaults["temperature"] = 0.2;
  tuned.fallbacks = {"b"};
  ReloadPlan plan =
      plan_reload(with_models({model("a"), model("b")}), with_models({tuned, model("b")}));
  EXPECT_THAT(plan.updated, ElementsAre("a"));
  EXPECT_THAT(plan.changed, IsEmpty());
  EXPECT_THAT(plan.unchanged, ElementsAre("b"));

  tuned.env["OMP_NUM_THREADS"] = "2";
  plan = plan_reload(with_models({model("a")}), with_models({tuned}));
  EXPECT_THAT(plan.changed, ElementsAre("a")) << "with a worker setting, it restarts";
  EXPECT_THAT(plan.updated, IsEmpty());
}

TEST(PlanReload, ListsGlobalChangesThatNeedARestart) {
  const Config live = with_models({});
  Config next = live;
  next.listen.port = 9090;
  next.admin_listen.host = "::1";
  next.runtime_dir = "/run/other";
  next.worker_binary = "/opt/switchyard-worker";
  next.limits.max_connections = 100;
  next.limits.max_header_bytes = 32 << 10;
  next.limits.max_body_bytes.image = 64 << 20;
  next.limits.drain_timeout = std::chrono::seconds(5);

  const ReloadPlan plan = plan_reload(live, next);
  ASSERT_EQ(plan.ignored_global_changes.size(), 8u);
  EXPECT_THAT(plan.ignored_global_changes[0],
              HasSubstr("listen changed from 127.0.0.1:8080 to 127.0.0.1:9090"));
  EXPECT_THAT(plan.ignored_global_changes[1], HasSubstr("admin_listen"));
  EXPECT_THAT(plan.ignored_global_changes[1], HasSubstr("[::1]:8081"));
  EXPECT_THAT(plan.ignored_global_changes[2], HasSubstr("runtime_dir"));
  EXPECT_THAT(plan.ignored_global_changes[3], HasSubstr("worker_binary"));
  EXPECT_THAT(plan.ignored_global_changes[4],
              HasSubstr("limits.max_connections changed from 4096 to 100"));
  EXPECT_THAT(plan.ignored_global_changes[5],
              HasSubstr("limits.max_header_bytes changed from 16KiB to 32KiB"));
  EXPECT_THAT(plan.ignored_global_changes[6], HasSubstr("limits.max_body_bytes.image"));
  EXPECT_THAT(plan.ignored_global_changes[7],
              HasSubstr("limits.drain_timeout changed from 30s to 5s"));
  for (const std::string& note : plan.ignored_global_changes) {
    EXPECT_THAT(note, HasSubstr("restart switchyard"));
  }
}

TEST(PlanReload, KeyChangesApplyLive) {
  const Config live = with_models({});
  Config next = live;
  next.api_keys = {"k1"};
  next.admin_keys = {"k2"};
  next.allow_unauthenticated = true;
  next.allowed_hosts = {"router.lan"};
  next.allowed_origins = {"http://chat.lan:3000"};
  EXPECT_THAT(plan_reload(live, next).ignored_global_changes, IsEmpty());
}

}  // namespace
}  // namespace switchyard::config
