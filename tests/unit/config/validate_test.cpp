// Checks across values and against the filesystem: exposure without keys, port clashes, names
// and aliases, binaries and model files.
#include "router/config/validate.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace switchyard::config::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(ConfigTest, NonLoopbackListenNeedsApiKeys) {
  EXPECT_THAT(load("listen: 0.0.0.0:8080\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 9,
                                     "listen 0.0.0.0:8080 is not loopback and api_keys is "
                                     "empty")));
  EXPECT_TRUE(load("listen: 0.0.0.0:8080\napi_keys: [k]\nmodels: {}\n").config);
  for (const char* address : {"localhost:8080", "127.0.0.2:8080", "'[::1]:8080'"}) {
    EXPECT_TRUE(load(std::string("listen: ") + address + "\nmodels: {}\n").config) << address;
  }
}

TEST_F(ConfigTest, AllowUnauthenticatedTurnsTheErrorIntoAWarning) {
  const LoadResult result =
      load("listen: 192.168.1.5:8080\nallow_unauthenticated: true\nmodels: {}\n");
  ASSERT_TRUE(result.config) << describe(result.errors);
  EXPECT_THAT(result.warnings,
              ::testing::Contains(diagnostic(1, 9, "serving without authentication")));
}

TEST_F(ConfigTest, NonLoopbackAdminListenNeedsAdminKeys) {
  EXPECT_THAT(load("admin_listen: \"[::]:9\"\napi_keys: [k]\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 15,
                                     "admin_listen [::]:9 is not loopback and admin_keys "
                                     "is empty")));
  EXPECT_TRUE(load("admin_listen: \"[::]:9\"\nadmin_keys: [k]\nmodels: {}\n").config);
}

TEST_F(ConfigTest, ApiKeysWithoutAdminKeysWarnThatTheAdminListenerIsOpen) {
  const LoadResult open = load("api_keys: [k]\nmodels: {}\n");
  ASSERT_TRUE(open.config) << describe(open.errors);
  EXPECT_THAT(open.warnings, ::testing::Contains(diagnostic(
                                 1, 11, "admin_keys is empty: any local user can stop")));
  EXPECT_THAT(load("api_keys: [k]\nadmin_keys: [a]\nmodels: {}\n").warnings,
              ::testing::Not(::testing::Contains(diagnostic(0, 0, "admin_keys is empty"))));
  EXPECT_THAT(load("models: {}\n").warnings,
              ::testing::Not(::testing::Contains(diagnostic(0, 0, "admin_keys is empty"))));
}

TEST_F(ConfigTest, ListenAndAdminListenMustNotShareAPort) {
  EXPECT_THAT(load("listen: 127.0.0.1:9000\nadmin_listen: 127.0.0.1:9000\nmodels: {}\n").errors,
              ElementsAre(diagnostic(2, 15,
                                     "port clash: admin_listen 127.0.0.1:9000 and listen "
                                     "127.0.0.1:9000")));
  EXPECT_THAT(load("listen: 0.0.0.0:9000\napi_keys: [k]\nadmin_listen: 127.0.0.1:9000\n"
                   "models: {}\n")
                  .errors,
              ElementsAre(diagnostic(3, 15, "port clash")));
  EXPECT_THAT(load("admin_listen: 127.0.0.1:8080\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 15, "port clash")));
  EXPECT_TRUE(load("listen: 127.0.0.1:0\nadmin_listen: 127.0.0.1:0\nmodels: {}\n").config);
  EXPECT_TRUE(load("listen: 127.0.0.1:9000\nadmin_listen: 127.0.0.2:9000\nmodels: {}\n").config);
}

TEST_F(ConfigTest, UrlModelMustNotPointAtTheRouterItself) {
  EXPECT_THAT(load("models:\n  loop: {url: 'http://127.0.0.1:8080/v1'}\n").errors,
              ElementsAre(diagnostic(2, 15,
                                     "port clash: url 'http://127.0.0.1:8080/v1' of model "
                                     "'loop' points at the router's own listen")));
  EXPECT_THAT(load("models:\n  loop: {url: 'http://localhost:8081'}\n").errors,
              ElementsAre(diagnostic(2, 15, "own admin_listen")));
  EXPECT_TRUE(load("models:\n  lan: {url: 'http://192.168.1.20:8080'}\n").config);
}

TEST_F(ConfigTest, AliasesMustNotCollide) {
  const LoadResult result = load(R"(models:
  a:
    url: http://h:1
    aliases: [a, shared, b]
  b:
    url: http://h:2
    aliases: [shared, mine, mine]
)");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(4, 15, "alias 'a' of model 'a' is the model's own name"),
                          diagnostic(4, 26,
                                     "alias 'b' of model 'a' is already the name of the "
                                     "model at line 5"),
                          diagnostic(7, 15,
                                     "alias 'shared' of model 'b' is already an alias of "
                                     "model 'a' (line 2)"),
                          diagnostic(7, 29,
                                     "alias 'mine' of model 'b' is already an alias of "
                                     "model 'b'")));
}

TEST_F(ConfigTest, AliasesMayLookLikeVendorNames) {
  const Config config =
      load_ok("models:\n  m: {url: 'http://h:1', aliases: [meta-llama/Llama-3-8B, gpt-4o]}\n");
  EXPECT_THAT(config.models[0].aliases, ElementsAre("meta-llama/Llama-3-8B", "gpt-4o"));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', aliases: ['a b']}\n").errors,
              ElementsAre(diagnostic(2, 36, "invalid alias 'a b'")));
}

TEST_F(ConfigTest, CommandBinaryIsSearchedInPath) {
  EXPECT_TRUE(load("models:\n  m: {command: [fake-server]}\n").config);
  EXPECT_THAT(load("models:\n  m: {command: [sd-server, --port, '${PORT}']}\n").errors,
              ElementsAre(diagnostic(2, 17, "command binary 'sd-server' not found in PATH")));
}

TEST_F(ConfigTest, CommandBinaryWithASlashMustBeExecutable) {
  const Config config = load_ok("models:\n  m: {command: [bin/fake-server]}\n");
  EXPECT_EQ(config.models[0].command[0], server_.string());  // relative to the file
  EXPECT_TRUE(load("models:\n  m: {command: ['@DIR@/bin/fake-server']}\n").config);

  dir_.write("bin/not-executable", "#!/bin/sh\n");
  EXPECT_THAT(load("models:\n  m: {command: ['@DIR@/bin/not-executable']}\n").errors,
              ElementsAre(diagnostic(2, 17, "not found or not executable")));
  EXPECT_THAT(load("models:\n  m: {command: [/opt/sd/sd-server]}\n").errors,
              ElementsAre(diagnostic(2, 17, "command binary '/opt/sd/sd-server' not found")));
}

TEST_F(ConfigTest, CommandUsingModelPathNeedsModel) {
  EXPECT_THAT(load("models:\n  m: {command: [fake-server, -m, '${MODEL_PATH}']}\n").errors,
              ElementsAre(diagnostic(2, 16,
                                     "command uses ${MODEL_PATH} but model 'm' does not "
                                     "set 'model:'")));
}

TEST_F(ConfigTest, EngineModelNeedsAnExistingModelFile) {
  EXPECT_THAT(load("models:\n  m: {engine: llama}\n").errors,
              ElementsAre(diagnostic(2, 15, "model 'm' uses engine 'llama' and needs 'model:'")));
  const LoadResult missing = load("models:\n  m: {engine: llama, model: /nope/x.gguf}\n");
  EXPECT_THAT(missing.errors,
              ElementsAre(diagnostic(2, 29, "model file '/nope/x.gguf' does not exist")));
  const Config config = load_ok("models:\n  m: {engine: llama, model: models/llm.gguf}\n");
  EXPECT_EQ(config.models[0].model_path, model_file_.string());
}

TEST_F(ConfigTest, EngineModelsNeedTheWorkerBinary) {
  const std::string model = "models:\n  m: {engine: llama, model: models/llm.gguf}\n";
  EXPECT_THAT(load("worker_binary: /opt/none/switchyard-worker\n" + model).errors,
              ElementsAre(diagnostic(1, 16,
                                     "worker binary '/opt/none/switchyard-worker' not "
                                     "found or not executable")));

  fs::remove(worker_);  // the default, beside the router, is gone too
  EXPECT_THAT(load(model).errors, ElementsAre(diagnostic(2, 15, "worker binary")));
  // Only engine models need it.
  EXPECT_TRUE(load("models:\n  m: {url: 'http://h:1'}\n").config);
}

TEST_F(ConfigTest, BackoffInitialMustNotExceedBackoffMax) {
  EXPECT_THAT(load("models:\n  m:\n    url: http://h:1\n    restart: {backoff_initial: 2m, "
                   "backoff_max: 1m}\n")
                  .errors,
              ElementsAre(diagnostic(4, 32,
                                     "restart.backoff_initial (2m) is greater than "
                                     "restart.backoff_max (1m)")));
}

TEST_F(ConfigTest, CrossChecksOnDefaultsAreReportedOnce) {
  const LoadResult result = load(R"(defaults:
  restart: {backoff_initial: 2m}
models:
  a: {url: 'http://h:1'}
  b: {url: 'http://h:2'}
)");
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(2, 30, "restart.backoff_initial (2m)")));
}

TEST_F(ConfigTest, WarnsAboutSuspiciousButValidSettings) {
  const LoadResult result = load(R"(models:
  slow:
    url: http://h:1
    health: {interval: 2s, timeout: 5s}
    args: {a: 1}
    env: {A: b}
    on_demand: true
    unload_after: 5m
  cmd:
    command: [fake-server]
    args: {a: 1}
)");
  ASSERT_TRUE(result.config) << describe(result.errors);
  EXPECT_THAT(result.warnings,
              ElementsAre(diagnostic(4, 37,
                                     "health.timeout (5s) is not shorter than "
                                     "health.interval (2s)"),
                          diagnostic(5, 11, "args of model 'slow' has no effect"),
                          diagnostic(6, 10, "env of model 'slow' has no effect"),
                          diagnostic(7, 16, "on_demand of model 'slow' has no effect"),
                          diagnostic(8, 19, "unload_after of model 'slow' has no effect"),
                          diagnostic(11, 11,
                                     "args of model 'cmd' is passed only to engine "
                                     "workers")));
}

TEST_F(ConfigTest, GroupMustBeDefinedAndAbleToSwap) {
  const LoadResult unknown = load(R"(groups: {gpu: {}, big: {}}
models:
  a: {command: [fake-server], group: gpu}
  b: {command: [fake-server], group: gpus}
)");
  EXPECT_THAT(unknown.errors,
              ElementsAre(diagnostic(4, 38,
                                     "group 'gpus' of model 'b' is not defined under groups "
                                     "(defined: 'big', 'gpu')")));

  const LoadResult preloads = load(R"(groups: {gpu: {}}
models:
  a: {command: [fake-server], group: gpu, on_demand: false}
  b: {command: [fake-server], group: gpu, on_demand: false}
  c: {command: [fake-server], group: gpu}
)");
  EXPECT_THAT(preloads.errors,
              ElementsAre(diagnostic(4, 54,
                                     "model 'b' starts with the router (on_demand: false), but "
                                     "group 'gpu' already starts 1 (max_loaded)")));

  const LoadResult idle = load(R"(groups:
  gpu: {max_loaded: 2}
  empty: {}
models:
  a: {command: [fake-server], group: gpu}
  b: {command: [fake-server], group: gpu}
  r: {url: 'http://h:1', group: empty}
)");
  ASSERT_TRUE(idle.config) << describe(idle.errors);
  EXPECT_THAT(idle.warnings,
              ElementsAre(diagnostic(2, 3,
                                     "group 'gpu' has 2 members and max_loaded 2, so no member "
                                     "ever gives way to another"),
                          diagnostic(3, 3, "group 'empty' has 0 members"),
                          diagnostic(7, 33, "group of model 'r' has no effect")));
}

TEST_F(ConfigTest, FallbacksAreOtherModelsOfTheSameTypeNamedOnce) {
  const LoadResult good = load(R"(models:
  big: {command: [fake-server], inputs: [text, image], fallbacks: [small, tiny]}
  small: {command: [fake-server], aliases: [tiny-alias]}
  tiny: {url: 'http://h:1', fallbacks: [tiny-alias]}
)");
  ASSERT_TRUE(good.config) << describe(good.errors);
  EXPECT_EQ(good.config->models[0].fallbacks, (std::vector<std::string>{"small", "tiny"}));
  EXPECT_EQ(good.config->models[2].fallbacks, (std::vector<std::string>{"tiny-alias"}));
  EXPECT_THAT(good.warnings,
              ElementsAre(diagnostic(2, 68,
                                     "fallback 'small' of model 'big' does not take image "
                                     "inputs: chat requests with them are not sent to it"),
                          diagnostic(2, 75, "fallback 'tiny' of model 'big' does not take image")));

  EXPECT_THAT(load(R"(models:
  a: {command: [fake-server], fallbacks: [b, a, pic, c, bee]}
  b: {command: [fake-server], aliases: [bee]}
  pic: {type: image, command: [fake-server]}
)")
                  .errors,
              ElementsAre(diagnostic(2, 46, "fallback 'a' of model 'a' is the model itself"),
                          diagnostic(2, 49,
                                     "fallback 'pic' of model 'a' is of type image; a fallback "
                                     "must be of the model's type, text"),
                          diagnostic(2, 54,
                                     "fallback 'c' of model 'a' is not a model or an "
                                     "alias of one"),
                          diagnostic(2, 57,
                                     "fallback 'bee' of model 'a' names model 'b' again "
                                     "(already fallback 1)")));
  EXPECT_THAT(load("defaults: {fallbacks: [b]}\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 12, "fallbacks name other models")));
  EXPECT_THAT(load("models: {a: {command: [fake-server], fallbacks: b}}\n").errors,
              ElementsAre(diagnostic(1, 49, "expected a list of strings")));
}

TEST_F(ConfigTest, AModelWithOneBadValueIsStillCheckedForTheRest) {
  const LoadResult result = load(R"(models:
  m:
    engine: llama
    model: /nope/x.gguf
    stop_timeout: soon
)");
  EXPECT_THAT(result.errors, ElementsAre(diagnostic(4, 12, "model file '/nope/x.gguf'"),
                                         diagnostic(5, 19, "invalid duration 'soon'")));
}

TEST_F(ConfigTest, ARefusedSourceValueIsNotReportedTwice) {
  EXPECT_THAT(load("models:\n  m: {command: []}\n").errors,
              ElementsAre(diagnostic(2, 16, "command: must not be empty")));
  EXPECT_THAT(load("models:\n  m: {engine: llama, model: ''}\n").errors,
              ElementsAre(diagnostic(2, 29, "model: must not be empty")));
}

TEST_F(ConfigTest, AValidFileHasNoWarnings) {
  const LoadResult result = load(R"(listen: 127.0.0.1:0
admin_listen: 127.0.0.1:0
models:
  m: {engine: llama, model: models/llm.gguf}
)");
  EXPECT_THAT(result.errors, IsEmpty());
  EXPECT_THAT(result.warnings, IsEmpty());
}

}  // namespace
}  // namespace switchyard::config::testing
