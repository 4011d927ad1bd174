#include "router/supervisor/spawn_spec.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

namespace switchyard::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

config::ModelConfig engine_model() {
  config::ModelConfig model;
  model.name = "qwen";
  model.source = config::Source::engine;
  model.engine = "llama";
  model.model_path = "/models/qwen.gguf";
  return model;
}

config::ModelConfig command_model(std::vector<std::string> command) {
  config::ModelConfig model;
  model.name = "sd";
  model.source = config::Source::command;
  model.command = std::move(command);
  model.model_path = "/models/sd.safetensors";
  return model;
}

// ---------------------------------------------------------------------------------------------
// arg_value_text

TEST(ArgValueText, ScalarsArePlainText) {
  EXPECT_EQ(arg_value_text("q4_0"), "q4_0");
  EXPECT_EQ(arg_value_text(""), "");
  EXPECT_EQ(arg_value_text("with \"quotes\""), "with \"quotes\"");
  EXPECT_EQ(arg_value_text(8192), "8192");
  EXPECT_EQ(arg_value_text(-1), "-1");
  EXPECT_EQ(arg_value_text(0.5), "0.5");
  EXPECT_EQ(arg_value_text(true), "true");
  EXPECT_EQ(arg_value_text(false), "false");
  EXPECT_EQ(arg_value_text(nullptr), "null");
}

TEST(ArgValueText, ListsAndMapsAreCompactJson) {
  EXPECT_EQ(arg_value_text(nlohmann::json::array({"a.gguf", "b.gguf"})), R"(["a.gguf","b.gguf"])");
  EXPECT_EQ(arg_value_text(nlohmann::json::array()), "[]");
  EXPECT_EQ(arg_value_text(nlohmann::json{{"scale", 0.5}, {"path", "x"}}),
            R"({"path":"x","scale":0.5})");
  EXPECT_EQ(arg_value_text(nlohmann::json::object()), "{}");
}

// ---------------------------------------------------------------------------------------------
// engine models

TEST(MakeSpawnSpec, EngineModelArgvShape) {
  const SpawnSpec spec = make_spawn_spec(engine_model(), "/usr/bin/switchyard-worker", 41234);
  EXPECT_EQ(spec.model_name, "qwen");
  EXPECT_THAT(spec.argv,
              ElementsAre("/usr/bin/switchyard-worker", "--engine", "llama", "--model",
                          "/models/qwen.gguf", "--host", "127.0.0.1", "--port", "41234"));
}

TEST(MakeSpawnSpec, EngineArgsBecomeArgKeyValuePairs) {
  auto model = engine_model();
  model.args = nlohmann::json{{"ctx_size", 8192},
                              {"flash_attn", true},
                              {"cache_type", "q8_0"},
                              {"rope_scale", 0.25},
                              {"lora", nlohmann::json::array({"/l/a.gguf", "/l/b.gguf"})},
                              {"sampler", nlohmann::json{{"top_k", 40}}}};
  const SpawnSpec spec = make_spawn_spec(model, "w", 9000);
  ASSERT_GE(spec.argv.size(), 9u);
  const std::vector<std::string> extra(spec.argv.begin() + 9, spec.argv.end());
  // nlohmann::json objects iterate in key order.
  EXPECT_THAT(extra, ElementsAre("--arg", "cache_type=q8_0",                    //
                                 "--arg", "ctx_size=8192",                      //
                                 "--arg", "flash_attn=true",                    //
                                 "--arg", R"(lora=["/l/a.gguf","/l/b.gguf"])",  //
                                 "--arg", "rope_scale=0.25",                    //
                                 "--arg", R"(sampler={"top_k":40})"));
}

TEST(MakeSpawnSpec, EngineModelWithoutArgsHasNoArgFlags) {
  auto model = engine_model();
  model.args = nlohmann::json::object();
  const SpawnSpec spec = make_spawn_spec(model, "w", 1);
  EXPECT_EQ(spec.argv.size(), 9u);
  EXPECT_EQ(std::count(spec.argv.begin(), spec.argv.end(), "--arg"), 0);
}

TEST(MakeSpawnSpec, EngineArgValueContainingEqualsIsPassedWhole) {
  auto model = engine_model();
  model.args = nlohmann::json{{"extra", "a=b=c"}};
  const SpawnSpec spec = make_spawn_spec(model, "w", 1);
  EXPECT_EQ(spec.argv.back(), "extra=a=b=c");
}

TEST(MakeSpawnSpec, EngineModelEnvironment) {
  auto model = engine_model();
  model.env = {{"CUDA_VISIBLE_DEVICES", "1"}, {"OMP_NUM_THREADS", "4"}};
  const SpawnSpec spec = make_spawn_spec(model, "w", 5555);
  EXPECT_THAT(spec.env, UnorderedElementsAre(Pair("CUDA_VISIBLE_DEVICES", "1"),
                                             Pair("OMP_NUM_THREADS", "4"), Pair("PORT", "5555"),
                                             Pair("HOST", "127.0.0.1"), Pair("MODEL_NAME", "qwen"),
                                             Pair("MODEL_PATH", "/models/qwen.gguf")));
}

// ---------------------------------------------------------------------------------------------
// command models

TEST(MakeSpawnSpec, CommandPlaceholdersAreReplaced) {
  const auto model = command_model({"/opt/sd/server", "--port", "${PORT}", "--host", "${HOST}",
                                    "--name", "${MODEL_NAME}", "--model", "${MODEL_PATH}"});
  const SpawnSpec spec = make_spawn_spec(model, "/usr/bin/switchyard-worker", 8123);
  EXPECT_EQ(spec.model_name, "sd");
  EXPECT_THAT(spec.argv, ElementsAre("/opt/sd/server", "--port", "8123", "--host", "127.0.0.1",
                                     "--name", "sd", "--model", "/models/sd.safetensors"));
}

TEST(MakeSpawnSpec, SeveralPlaceholdersInOneArgument) {
  const auto model =
      command_model({"server", "--listen=${HOST}:${PORT}", "${MODEL_NAME}@${MODEL_PATH}",
                     "${PORT}${PORT}", "x${PORT}y${PORT}z"});
  const SpawnSpec spec = make_spawn_spec(model, "w", 7000);
  EXPECT_THAT(spec.argv, ElementsAre("server", "--listen=127.0.0.1:7000",
                                     "sd@/models/sd.safetensors", "70007000", "x7000y7000z"));
}

TEST(MakeSpawnSpec, CommandArgumentsWithoutPlaceholdersAreUnchanged) {
  const auto model = command_model({"python3", "-m", "server", "$PORT", "${port}", "${PORT"});
  const SpawnSpec spec = make_spawn_spec(model, "w", 7000);
  EXPECT_THAT(spec.argv, ElementsAre("python3", "-m", "server", "$PORT", "${port}", "${PORT"));
}

TEST(MakeSpawnSpec, ReplacementTextIsNotExpandedAgain) {
  // A model name that itself looks like a placeholder must not be substituted a second time.
  auto model = command_model({"run", "${MODEL_NAME}", "${MODEL_PATH}"});
  model.name = "${PORT}";
  model.model_path = "/m/${HOST}";
  const SpawnSpec spec = make_spawn_spec(model, "w", 7000);
  EXPECT_THAT(spec.argv, ElementsAre("run", "${PORT}", "/m/${HOST}"));
}

TEST(MakeSpawnSpec, CommandModelDoesNotUseTheWorkerBinary) {
  const auto model = command_model({"/bin/server"});
  const SpawnSpec spec = make_spawn_spec(model, "/usr/bin/switchyard-worker", 7000);
  EXPECT_THAT(spec.argv, ElementsAre("/bin/server"));
}

TEST(MakeSpawnSpec, CommandModelEnvironment) {
  auto model = command_model({"server"});
  model.env = {{"HF_HOME", "/var/cache/hf"}};
  const SpawnSpec spec = make_spawn_spec(model, "w", 7001);
  EXPECT_THAT(spec.env, UnorderedElementsAre(Pair("HF_HOME", "/var/cache/hf"), Pair("PORT", "7001"),
                                             Pair("HOST", "127.0.0.1"), Pair("MODEL_NAME", "sd"),
                                             Pair("MODEL_PATH", "/models/sd.safetensors")));
}

TEST(MakeSpawnSpec, CommandModelWithoutModelPathHasNoModelPathVariable) {
  auto model = command_model({"server", "--model", "${MODEL_PATH}"});
  model.model_path.clear();
  const SpawnSpec spec = make_spawn_spec(model, "w", 7001);
  EXPECT_THAT(spec.argv, ElementsAre("server", "--model", ""));
  EXPECT_EQ(spec.env.count("MODEL_PATH"), 0u);
  EXPECT_EQ(spec.env.at("PORT"), "7001");
}

TEST(MakeSpawnSpec, ChosenPortAndHostOverrideTheModelsOwnEnv) {
  auto model = command_model({"server"});
  model.env = {{"PORT", "1"}, {"HOST", "0.0.0.0"}, {"KEEP", "me"}};
  const SpawnSpec spec = make_spawn_spec(model, "w", 7002);
  EXPECT_EQ(spec.env.at("PORT"), "7002");
  EXPECT_EQ(spec.env.at("HOST"), "127.0.0.1");
  EXPECT_EQ(spec.env.at("KEEP"), "me");
}

}  // namespace
}  // namespace switchyard::supervisor
