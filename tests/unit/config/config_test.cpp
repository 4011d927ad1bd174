#include "router/config/config.hpp"

#include <gtest/gtest.h>

#include "router/config/loader.hpp"

namespace switchyard::config {
namespace {

TEST(EnumStrings, RoundTrip) {
  for (ModelType type : {ModelType::text, ModelType::image, ModelType::audio}) {
    EXPECT_EQ(model_type_from_string(to_string(type)), type);
  }
  for (RestartPolicy policy :
       {RestartPolicy::always, RestartPolicy::on_failure, RestartPolicy::never}) {
    EXPECT_EQ(restart_policy_from_string(to_string(policy)), policy);
  }
  for (Input input : {Input::text, Input::image, Input::audio}) {
    EXPECT_EQ(input_from_string(to_string(input)), input);
  }
  EXPECT_EQ(to_string(Source::engine), "engine");
  EXPECT_EQ(to_string(Source::command), "command");
  EXPECT_EQ(to_string(Source::url), "url");
}

TEST(EnumStrings, RefuseUnknownAndWrongCase) {
  EXPECT_EQ(model_type_from_string("video"), std::nullopt);
  EXPECT_EQ(model_type_from_string("Text"), std::nullopt);
  EXPECT_EQ(restart_policy_from_string("sometimes"), std::nullopt);
  EXPECT_EQ(input_from_string("video"), std::nullopt);
}

TEST(EnumStrings, OnFailureTakesBothSpellings) {
  EXPECT_EQ(to_string(RestartPolicy::on_failure), "on-failure");
  EXPECT_EQ(restart_policy_from_string("on_failure"), RestartPolicy::on_failure);
}

TEST(SameSettings, IgnoresOnlyTheLine) {
  ModelConfig a;
  a.name = "m";
  a.line = 3;
  ModelConfig b = a;
  b.line = 30;
  EXPECT_TRUE(a.same_settings(b));

  const auto differs = [&](auto change) {
    ModelConfig c = a;
    change(c);
    return !a.same_settings(c);
  };
  EXPECT_TRUE(differs([](ModelConfig& m) { m.type = ModelType::image; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.source = Source::url; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.engine = "llama"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.command = {"x"}; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.url = "http://h:1"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.model_path = "/m"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.upstream_model = "org/m"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.args["lora"] = {{{"scale", 0.5}}}; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.params.defaults["n"] = 1; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.params.overrides["n"] = 1; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.params.strip = {"n"}; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.aliases = {"x"}; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.env["A"] = "1"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.inputs.push_back(Input::image); }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.health.path = "/ready"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.restart.max_restarts = 1; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.stop_timeout = std::chrono::seconds(1); }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.queue_timeout = std::chrono::seconds(1); }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.max_in_flight = 2; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.on_demand = true; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.unload_after = std::chrono::seconds(1); }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.group = "gpu"; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.fallbacks = {"small"}; }));
  EXPECT_TRUE(differs([](ModelConfig& m) { m.name = "n"; }));
}

TEST(SameSettings, OnlySettingsReadPerRequestLeaveTheSameWorker) {
  ModelConfig a;
  a.name = "m";
  const auto same_worker = [&](auto change) {
    ModelConfig c = a;
    change(c);
    EXPECT_FALSE(a.same_settings(c));
    return a.same_worker(c);
  };
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.upstream_model = "org/m"; }));
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.params.strip = {"n"}; }));
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.aliases = {"x"}; }));
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.inputs.push_back(Input::image); }));
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.queue_timeout = std::chrono::seconds(1); }));
  EXPECT_TRUE(same_worker([](ModelConfig& m) { m.fallbacks = {"small"}; }));
  EXPECT_FALSE(same_worker([](ModelConfig& m) { m.args["ctx_size"] = 1; }));
  EXPECT_FALSE(same_worker([](ModelConfig& m) { m.env["A"] = "1"; }));
  EXPECT_FALSE(same_worker([](ModelConfig& m) { m.max_in_flight = 2; }));
  EXPECT_FALSE(same_worker([](ModelConfig& m) { m.health.max_failed_requests = 1; }));

  ModelConfig next = a;
  next.params.defaults["n"] = 1;
  next.aliases = {"x"};
  next.env["A"] = "1";
  next.line = 9;
  a.take_request_settings(next);
  EXPECT_EQ(a.params, next.params);
  EXPECT_EQ(a.aliases, next.aliases);
  EXPECT_EQ(a.line, 9);
  EXPECT_TRUE(a.env.empty()) << "a worker setting is not taken";
}

TEST(BodyLimits, ForType) {
  const BodyLimits limits{1, 2, 3};
  EXPECT_EQ(limits.for_type(ModelType::text), 1u);
  EXPECT_EQ(limits.for_type(ModelType::image), 2u);
  EXPECT_EQ(limits.for_type(ModelType::audio), 3u);
}

TEST(FindModel, ByNameOnly) {
  Config config;
  config.models.resize(2);
  config.models[0].name = "a";
  config.models[0].aliases = {"gpt-4o-mini"};
  config.models[1].name = "b";
  ASSERT_NE(config.find_model("b"), nullptr);
  EXPECT_EQ(config.find_model("b")->name, "b");
  EXPECT_EQ(config.find_model("gpt-4o-mini"), nullptr);
  EXPECT_EQ(config.find_model("c"), nullptr);
}

TEST(Diagnostic, ToString) {
  EXPECT_EQ((Diagnostic{"m.yaml", 3, 7, "bad"}).to_string(), "m.yaml:3:7: bad");
  EXPECT_EQ((Diagnostic{"m.yaml", 0, 0, "bad"}).to_string(), "m.yaml: bad");
}

}  // namespace
}  // namespace switchyard::config
