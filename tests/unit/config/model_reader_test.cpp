// The models: and defaults: sections: per-model keys, merging, env expansion, args, inputs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"
#include "router/config/loader.hpp"

namespace switchyard::config::testing {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

TEST_F(ConfigTest, ReadsTheThreeKindsOfModel) {
  const Config config = load_ok(R"(models:
  my-llm:
    type: text
    engine: llama
    model: @DIR@/models/llm.gguf
    args: {ctx_size: 4096}
    aliases: [gpt-4o-mini]
    inputs: [text, image]
  my-image:
    type: image
    command: ["fake-server", "--port", "${PORT}", "--model", "${MODEL_PATH}"]
    model: sd.gguf
    env: {OMP_NUM_THREADS: "4"}
  lan-whisper:
    type: audio
    url: http://192.168.1.20:9000
)");
  ASSERT_EQ(config.models.size(), 3u);
  const ModelConfig& llm = config.models[0];
  EXPECT_EQ(llm.name, "my-llm");
  EXPECT_EQ(llm.line, 2);
  EXPECT_EQ(llm.source, Source::engine);
  EXPECT_EQ(llm.engine, "llama");
  EXPECT_EQ(llm.model_path, model_file_.string());
  EXPECT_EQ(llm.args, nlohmann::json({{"ctx_size", 4096}}));
  EXPECT_THAT(llm.aliases, ElementsAre("gpt-4o-mini"));
  EXPECT_THAT(llm.inputs, ElementsAre(Input::text, Input::image));

  const ModelConfig& image = config.models[1];
  EXPECT_EQ(image.line, 9);
  EXPECT_EQ(image.type, ModelType::image);
  EXPECT_EQ(image.source, Source::command);
  EXPECT_THAT(image.command,
              ElementsAre("fake-server", "--port", "${PORT}", "--model", "${MODEL_PATH}"));
  EXPECT_EQ(image.model_path, "sd.gguf");  // a command's model is passed on as written
  EXPECT_THAT(image.env, ElementsAre(Pair("OMP_NUM_THREADS", "4")));

  const ModelConfig& whisper = config.models[2];
  EXPECT_EQ(whisper.type, ModelType::audio);
  EXPECT_EQ(whisper.source, Source::url);
  EXPECT_EQ(whisper.url, "http://192.168.1.20:9000");
  EXPECT_EQ(config.find_model("lan-whisper"), &whisper);
}

TEST_F(ConfigTest, TypeDefaultsToText) {
  const Config config = load_ok("models:\n  m: {url: 'http://10.0.0.1:1'}\n");
  EXPECT_EQ(config.models[0].type, ModelType::text);
}

TEST_F(ConfigTest, UnknownModelKeyIsAnErrorAtItsLineAndColumn) {
  const LoadResult result = load(R"(models:
  my-llm:
    engine: llama
    model: @DIR@/models/llm.gguf
    helth: {path: /x}
)");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(5, 5,
                                                    "unknown key 'helth' in model 'my-llm'; "
                                                    "did you mean 'health'?")));
  EXPECT_EQ(result.errors[0].to_string(),
            (dir_.path() / "models.yaml").string() +
                ":5:5: unknown key 'helth' in model 'my-llm'; did you mean 'health'?");
}

TEST_F(ConfigTest, UnknownTypeListsTheKnownOnes) {
  const LoadResult result = load("models:\n  v:\n    type: video\n    url: http://h:1\n");
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(3, 11,
                                                    "type: unknown model type 'video'; "
                                                    "expected text, image or audio")));
}

TEST_F(ConfigTest, ModelNeedsExactlyOneSource) {
  EXPECT_THAT(load("models:\n  m:\n    type: text\n").errors,
              ElementsAre(diagnostic(2, 3,
                                     "model 'm' needs exactly one of engine, command or "
                                     "url; it sets none")));
  EXPECT_THAT(load("models:\n  m:\n").errors, ElementsAre(diagnostic(2, 3, "it sets none")));
  EXPECT_THAT(load("models:\n  m: {engine: llama, url: 'http://h:1'}\n").errors,
              ElementsAre(diagnostic(2, 3, "it sets engine and url")));
  EXPECT_THAT(load("models:\n  m: {engine: e, command: [x], url: 'http://h:1'}\n").errors,
              ElementsAre(diagnostic(2, 3, "it sets engine, command and url")));
}

TEST_F(ConfigTest, DuplicateModelNameIsAnErrorWithBothLines) {
  const LoadResult result = load(R"(models:
  a: {url: 'http://10.0.0.1:1'}
  b: {url: 'http://10.0.0.1:2'}
  a: {url: 'http://10.0.0.1:3'}
)");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(4, 3, "duplicate key 'a' in models (first at line 2)")));
}

TEST_F(ConfigTest, ModelNamesMustBeSafeInUrlPaths) {
  for (const char* name : {"llama-3.1:8b", "A_b.c", "7b"}) {
    EXPECT_TRUE(load(std::string("models:\n  '") + name + "': {url: 'http://h:1'}\n").config)
        << name;
  }
  for (const char* name : {"a/b", "-a", ".hidden", "a..b", "a b", "é", "a?b"}) {
    const LoadResult result = load(std::string("models:\n  '") + name + "': {url: 'http://h:1'}\n");
    EXPECT_THAT(result.errors, ElementsAre(diagnostic(2, 3, "invalid model name"))) << name;
  }
  const std::string long_name(129, 'a');
  EXPECT_THAT(load("models:\n  " + long_name + ": {url: 'http://h:1'}\n").errors,
              ElementsAre(diagnostic(2, 3, "longer than 128 characters")));
}

TEST_F(ConfigTest, CommandKeepsSpawnPlaceholdersAndExpandsTheRest) {
  vars_["SD_THREADS"] = "8";
  const Config config = load_ok(R"(models:
  img:
    command: [fake-server, --host, "${HOST}", --port, "${PORT}", -n, "${MODEL_NAME}",
              -m, "${MODEL_PATH}", -t, "${SD_THREADS}", --extra, "${EXTRA:-none}"]
    model: /anything
)");
  EXPECT_THAT(config.models[0].command,
              ElementsAre("fake-server", "--host", "${HOST}", "--port", "${PORT}", "-n",
                          "${MODEL_NAME}", "-m", "${MODEL_PATH}", "-t", "8", "--extra", "none"));
}

TEST_F(ConfigTest, SpawnPlaceholdersOutsideCommandComeFromTheEnvironment) {
  const LoadResult result = load("models:\n  m:\n    url: http://h:1\n    env: {P: '${PORT}'}\n");
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(4, 14, "'PORT' is not set")));
}

TEST_F(ConfigTest, CommandMustBeANonEmptyListOfStrings) {
  EXPECT_THAT(load("models:\n  m: {command: 'fake-server --port 1'}\n").errors,
              ElementsAre(diagnostic(2, 16, "command: expected a list of arguments")));
  EXPECT_THAT(load("models:\n  m: {command: []}\n").errors,
              ElementsAre(diagnostic(2, 16, "command: must not be empty")));
  EXPECT_THAT(load("models:\n  m: {command: [fake-server, [a]]}\n").errors,
              ElementsAre(diagnostic(2, 30, "expected a string, found a list")));
}

TEST_F(ConfigTest, UrlMustBePlainHttpWithAPort) {
  EXPECT_THAT(load("models:\n  m: {url: 'https://h:443'}\n").errors,
              ElementsAre(diagnostic(2, 12, "https is not supported")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h'}\n").errors,
              ElementsAre(diagnostic(2, 12,
                                     "invalid url 'http://h': expected "
                                     "http://host:port[/path]")));
  EXPECT_EQ(load_ok("models:\n  m: {url: 'http://h:1/v1'}\n").models[0].url, "http://h:1/v1");
}

TEST_F(ConfigTest, ArgsKeepYamlTypesAndNesting) {
  vars_["CTX"] = "8192";
  const Config config = load_ok(R"(models:
  m:
    engine: llama
    model: models/llm.gguf
    args:
      ctx_size: ${CTX}
      temperature: 0.7
      flash_attn: true
      name: "4096"
      nothing:
      lora: [{path: x, scale: 0.8}, {path: y, scale: 1}]
      sampler: {top_k: 40, stop: ["</s>", "${STOP:-###}"]}
)");
  const nlohmann::json expected = {
      {"ctx_size", 8192},
      {"temperature", 0.7},
      {"flash_attn", true},
      {"name", "4096"},
      {"nothing", nullptr},
      {"lora", {{{"path", "x"}, {"scale", 0.8}}, {{"path", "y"}, {"scale", 1}}}},
      {"sampler", {{"top_k", 40}, {"stop", {"</s>", "###"}}}},
  };
  EXPECT_EQ(config.models[0].args, expected) << config.models[0].args.dump();
}

TEST_F(ConfigTest, ArgsMustBeAMap) {
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', args: [a]}\n").errors,
              ElementsAre(diagnostic(2, 32, "args: expected a map of engine options")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', args: {a: 1, a: 2}}\n").errors,
              ElementsAre(diagnostic(2, 39, "duplicate key 'a' in args")));
}

TEST_F(ConfigTest, InputsAreForTextModelsAndImplyText) {
  EXPECT_THAT(
      load_ok("models:\n  m: {url: 'http://h:1', inputs: [text, audio]}\n").models[0].inputs,
      ElementsAre(Input::text, Input::audio));
  // Text is implied (issue 5 writes the OCR model as `inputs: [image]`).
  const LoadResult image_only = load("models:\n  m: {url: 'http://h:1', inputs: [image]}\n");
  EXPECT_THAT(image_only.errors, IsEmpty());
  EXPECT_THAT(image_only.warnings, IsEmpty());
  ASSERT_TRUE(image_only.config);
  EXPECT_THAT(image_only.config->models[0].inputs, ElementsAre(Input::text, Input::image));
  EXPECT_THAT(
      load_ok("models:\n  m: {url: 'http://h:1', inputs: [audio, image]}\n").models[0].inputs,
      ElementsAre(Input::text, Input::audio, Input::image));
  EXPECT_THAT(load_ok("models:\n  m: {url: 'http://h:1', inputs: []}\n").models[0].inputs,
              ElementsAre(Input::text));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', inputs: [image, video]}\n").errors,
              ElementsAre(diagnostic(2, 42,
                                     "unknown input 'video'; expected text, image or "
                                     "audio")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', inputs: [text, video]}\n").errors,
              ElementsAre(diagnostic(2, 41,
                                     "unknown input 'video'; expected text, image or "
                                     "audio")));
  EXPECT_THAT(load("models:\n  m: {type: image, url: 'http://h:1', inputs: [text]}\n").errors,
              ElementsAre(diagnostic(2, 47,
                                     "only text models take inputs; model 'm' is an image "
                                     "model")));
  const LoadResult twice = load("models:\n  m: {url: 'http://h:1', inputs: [text, text]}\n");
  ASSERT_TRUE(twice.config);
  EXPECT_THAT(twice.config->models[0].inputs, ElementsAre(Input::text));
  EXPECT_THAT(twice.warnings, ElementsAre(diagnostic(2, 41, "'text' is listed twice")));
}

TEST_F(ConfigTest, EnvNamesMustBeVariableNames) {
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', env: {A-B: x}}\n").errors,
              ElementsAre(diagnostic(2, 32, "invalid environment variable name 'A-B'")));
}

TEST_F(ConfigTest, HealthAndRestartValuesAreRangeChecked) {
  const LoadResult result = load(R"(models:
  m:
    url: http://h:1
    health: {path: health, failure_threshold: 0, interval: 0s}
    restart: {policy: sometimes, max_restarts: -1, backoff_max: 1x}
)");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(4, 20, "health.path: must start with '/', got 'health'"),
                          diagnostic(4, 47, "health.failure_threshold: must be at least 1, got 0"),
                          diagnostic(4, 60, "health.interval: duration must be greater than 0"),
                          diagnostic(5, 23,
                                     "unknown restart policy 'sometimes'; expected always, "
                                     "on-failure or never"),
                          diagnostic(5, 48, "restart.max_restarts: must be at least 0, got -1"),
                          diagnostic(5, 65, "restart.backoff_max: invalid duration '1x'")));
}

TEST_F(ConfigTest, DefaultsApplyUnlessTheModelOverrides) {
  const Config config = load_ok(R"(defaults:
  health: {path: /healthz, interval: 20s, timeout: 3s, failure_threshold: 5, startup_timeout: 1m}
  restart: {policy: on-failure, backoff_initial: 2s, backoff_max: 30s, reset_after: 5m,
            max_restarts: 2, window: 2m}
  stop_timeout: 15s
  queue_timeout: 45s
  env: {A: from-defaults, B: from-defaults}
  args: {ctx_size: 2048, threads: 4}
  inputs: [text, image]
models:
  plain: {url: 'http://h:1'}
  custom:
    url: http://h:2
    health: {path: /ready}
    restart: {max_restarts: 9}
    stop_timeout: 1s
    env: {B: from-model, C: from-model}
    args: {ctx_size: 8192}
    inputs: [text]
  picture: {type: image, url: 'http://h:3'}
)");
  ASSERT_EQ(config.models.size(), 3u);
  const ModelConfig& plain = config.models[0];
  EXPECT_EQ(plain.health, (HealthConfig{"/healthz", seconds(20), seconds(3), 5, seconds(60)}));
  EXPECT_EQ(plain.restart, (RestartConfig{RestartPolicy::on_failure, seconds(2), seconds(30),
                                          seconds(300), 2, seconds(120)}));
  EXPECT_EQ(plain.stop_timeout, seconds(15));
  EXPECT_EQ(plain.queue_timeout, seconds(45));
  EXPECT_THAT(plain.inputs, ElementsAre(Input::text, Input::image));

  const ModelConfig& custom = config.models[1];
  EXPECT_EQ(custom.health, (HealthConfig{"/ready", seconds(20), seconds(3), 5, seconds(60)}));
  EXPECT_EQ(custom.restart.max_restarts, 9);
  EXPECT_EQ(custom.restart.policy, RestartPolicy::on_failure);
  EXPECT_EQ(custom.stop_timeout, seconds(1));
  EXPECT_EQ(custom.queue_timeout, seconds(45));
  EXPECT_THAT(custom.env, UnorderedElementsAre(Pair("A", "from-defaults"), Pair("B", "from-model"),
                                               Pair("C", "from-model")));
  EXPECT_EQ(custom.args, nlohmann::json({{"ctx_size", 8192}, {"threads", 4}}));
  EXPECT_THAT(custom.inputs, ElementsAre(Input::text));

  // `inputs` from defaults is for text models; an image model keeps the built-in value.
  EXPECT_THAT(config.models[2].inputs, ElementsAre(Input::text));
}

TEST_F(ConfigTest, OnDemandAndUnloadAfterComeFromDefaultsAndNeverTurnsUnloadingOff) {
  const Config config = load_ok(R"(defaults: {on_demand: true, unload_after: 10m}
models:
  lazy: {command: [fake-server]}
  kept: {command: [fake-server], on_demand: false, unload_after: '${UNLOAD:-never}'}
)");
  EXPECT_TRUE(config.models[0].on_demand);
  EXPECT_EQ(config.models[0].unload_after, std::chrono::minutes(10));
  EXPECT_FALSE(config.models[1].on_demand);
  EXPECT_EQ(config.models[1].unload_after, Duration::zero());

  const Config plain = load_ok("models: {m: {command: [fake-server]}}\n");
  EXPECT_FALSE(plain.models[0].on_demand);
  EXPECT_EQ(plain.models[0].unload_after, Duration::zero()) << "never, unless asked";

  EXPECT_EQ(plain.models[0].max_in_flight, 0) << "no limit, unless asked";
  EXPECT_EQ(plain.models[0].upstream_model, "") << "the body as it came, unless asked";
  EXPECT_EQ(load_ok("models: {m: {url: 'http://h:1', upstream_model: org/m-7b}}\n")
                .models[0]
                .upstream_model,
            "org/m-7b");
  EXPECT_THAT(
      load("models: {m: {url: 'http://h:1', upstream_model: \"a\\nb\"}}\n").errors,
      ElementsAre(diagnostic(1, 49, "upstream_model of model 'm' has a control character")));
  EXPECT_THAT(load("defaults: {upstream_model: x}\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 12, "it belongs to one model")));
  EXPECT_EQ(
      load_ok("models: {m: {command: [fake-server], max_in_flight: 4}}\n").models[0].max_in_flight,
      4);
  EXPECT_THAT(load("models: {m: {command: [fake-server], max_in_flight: -1}}\n").errors,
              ElementsAre(diagnostic(1, 53, "max_in_flight: must be at least 0")));
  EXPECT_THAT(load("models: {m: {command: [fake-server], unload_after: 0s}}\n").errors,
              ElementsAre(diagnostic(1, 52, "duration must be greater than 0")));
  EXPECT_THAT(load("models: {m: {command: [fake-server], on_demand: maybe}}\n").errors,
              ElementsAre(diagnostic(1, 49, "on_demand: expected true or false")));
}

TEST_F(ConfigTest, GroupsAndTheGroupOfEachModelAlsoFromDefaults) {
  const Config config = load_ok(R"(groups:
  gpu: {max_loaded: 2}
  cpu: {}
defaults: {group: gpu}
models:
  a: {command: [fake-server]}
  b: {command: [fake-server], on_demand: false}
  c: {command: [fake-server], group: cpu}
  solo: {command: [fake-server], group: ''}
)");
  ASSERT_EQ(config.groups.size(), 2u);
  EXPECT_EQ(config.groups.at("gpu").max_loaded, 2);
  EXPECT_EQ(config.groups.at("cpu").max_loaded, 1) << "one at a time unless set";
  EXPECT_EQ(config.models[0].group, "gpu");
  EXPECT_EQ(config.models[2].group, "cpu");
  // Members start on request unless they say otherwise (b is preloaded).
  EXPECT_TRUE(config.models[0].on_demand);
  EXPECT_FALSE(config.models[1].on_demand);
  EXPECT_TRUE(config.models[2].on_demand);
  EXPECT_EQ(config.models[3].group, "") << "taken out of the group from defaults";
  EXPECT_FALSE(config.models[3].on_demand);
  EXPECT_EQ(load_ok("models: {m: {command: [fake-server]}}\n").models[0].group, "");

  EXPECT_THAT(load("groups: {gpu: {max_loaded: 0}}\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 28, "max_loaded: must be at least 1")));
  EXPECT_THAT(load("groups: {gpu: {slots: 2}}\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 16, "unknown key 'slots'")));
}

TEST_F(ConfigTest, DefaultsRefuseKeysThatBelongToOneModel) {
  const LoadResult result = load(R"(defaults:
  engine: llama
  model: /x
  aliases: [a]
  command: [x]
  url: http://h:1
  typo_key: 1
models: {}
)");
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(2, 3, "'engine' is not allowed in defaults"),
                                         diagnostic(3, 3, "'model' is not allowed in defaults"),
                                         diagnostic(4, 3, "'aliases' is not allowed in defaults"),
                                         diagnostic(5, 3, "'command' is not allowed in defaults"),
                                         diagnostic(6, 3, "'url' is not allowed in defaults"),
                                         diagnostic(7, 3, "unknown key 'typo_key' in defaults")));
}

TEST_F(ConfigTest, DefaultsMayFollowModels) {
  const Config config =
      load_ok("models:\n  m: {url: 'http://h:1'}\ndefaults: {stop_timeout: 3s}\n");
  EXPECT_EQ(config.models[0].stop_timeout, seconds(3));
}

TEST_F(ConfigTest, ScalarsExpandBeforeTheyAreParsed) {
  vars_["STOP"] = "20s";
  const Config config = load_ok(
      "models:\n  m: {url: 'http://${HOST_IP:-10.0.0.9}:1', stop_timeout: '${STOP}',"
      " queue_timeout: '${QUEUE:-1m}'}\n");
  EXPECT_EQ(config.models[0].url, "http://10.0.0.9:1");
  EXPECT_EQ(config.models[0].stop_timeout, seconds(20));
  EXPECT_EQ(config.models[0].queue_timeout, seconds(60));
}

TEST_F(ConfigTest, ExpansionErrorsPointAtTheValue) {
  EXPECT_THAT(load("models:\n  m: {url: 'http://${H:-${X}}:1'}\n").errors,
              ElementsAre(diagnostic(2, 12, "url: nested '${'")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://${H:1'}\n").errors,
              ElementsAre(diagnostic(2, 12, "url: unterminated '${'")));
}

}  // namespace
}  // namespace switchyard::config::testing
