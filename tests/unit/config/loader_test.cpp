// The top level of models.yaml: syntax, unknown keys, listeners, keys, limits, path resolution.
#include "router/config/loader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "config_test_support.hpp"

namespace switchyard::config::testing {
namespace {

using std::chrono::seconds;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST_F(ConfigTest, MinimalFileGetsEveryDefault) {
  LoadResult result = load("models: {}\n");
  ASSERT_TRUE(result.config) << describe(result.errors);
  const Config& config = *result.config;
  EXPECT_EQ(config.path, (dir_.path() / "models.yaml").string());
  EXPECT_EQ(config.listen, (Endpoint{"127.0.0.1", 8080}));
  EXPECT_EQ(config.admin_listen, (Endpoint{"127.0.0.1", 8081}));
  EXPECT_THAT(config.api_keys, IsEmpty());
  EXPECT_FALSE(config.allow_unauthenticated);
  EXPECT_THAT(config.allowed_hosts, IsEmpty());
  EXPECT_THAT(config.allowed_origins, IsEmpty());
  EXPECT_EQ(config.limits, Limits{});
  EXPECT_EQ(config.rate_limit, RateLimit{});
  EXPECT_EQ(config.rate_limit.requests_per_minute, 0) << "no rate limit unless asked for";
  EXPECT_EQ(config.worker_binary, worker_.string());
  EXPECT_THAT(result.warnings, ElementsAre(diagnostic(1, 0, "no models configured")));
}

TEST_F(ConfigTest, ReadsEveryTopLevelKey) {
  vars_["API_KEY"] = "k2";
  const Config config = load_ok(R"(listen: 0.0.0.0:0
admin_listen: "[::1]:0"
api_keys: [k1, "${API_KEY}"]
admin_keys: [a1]
allow_unauthenticated: false
allowed_hosts: [router.lan, "*"]
allowed_origins: ["http://chat.lan:3000", "app://desktop", "null"]
runtime_dir: /run/sy
worker_binary: @DIR@/switchyard-worker
rate_limit: {requests_per_minute: 120, burst: 10}
limits:
  max_connections: 100
  max_header_bytes: 32KiB
  max_body_bytes: {text: 1MiB, image: 2MiB, audio: 3MB}
  header_timeout: 5s
  idle_timeout: 1m
  stream_idle_timeout: 1h
  drain_timeout: 500ms
models:
)");
  EXPECT_EQ(config.listen, (Endpoint{"0.0.0.0", 0}));
  EXPECT_EQ(config.admin_listen, (Endpoint{"::1", 0}));
  EXPECT_THAT(config.admin_keys, ElementsAre("a1"));
  EXPECT_THAT(config.allowed_hosts, ElementsAre("router.lan", "*"));
  EXPECT_THAT(config.allowed_origins, ElementsAre("http://chat.lan:3000", "app://desktop", "null"));
  EXPECT_EQ(config.runtime_dir, "/run/sy");
  EXPECT_EQ(config.rate_limit, (RateLimit{120, 10}));
  EXPECT_EQ(config.limits.max_connections, 100);
  EXPECT_EQ(config.limits.max_header_bytes, 32u << 10);
  EXPECT_EQ(config.limits.max_body_bytes, (BodyLimits{1u << 20, 2u << 20, 3'000'000}));
  EXPECT_EQ(config.limits.header_timeout, seconds(5));
  EXPECT_EQ(config.limits.idle_timeout, seconds(60));
  EXPECT_EQ(config.limits.stream_idle_timeout, seconds(3600));
  EXPECT_EQ(config.limits.drain_timeout, std::chrono::milliseconds(500));
}

TEST_F(ConfigTest, ApiKeysExpandTheEnvironment) {
  vars_["API_KEY"] = "s3cret";
  const Config config = load_ok("api_keys: [k1, \"${API_KEY}\"]\nmodels: {}\n");
  EXPECT_THAT(config.api_keys, ElementsAre("k1", "s3cret"));
}

TEST_F(ConfigTest, EmptyKeysAreDroppedWithAWarning) {
  LoadResult result = load("api_keys: [\"${API_KEY:-}\", k2]\nadmin_keys: ['']\nmodels: {}\n");
  ASSERT_TRUE(result.config) << describe(result.errors);
  EXPECT_THAT(result.config->api_keys, ElementsAre("k2"));
  EXPECT_THAT(result.config->admin_keys, IsEmpty());
  EXPECT_THAT(result.warnings,
              ::testing::IsSupersetOf({diagnostic(1, 12, "api_keys.0 is empty"),
                                       diagnostic(2, 14, "admin_keys.0 is empty")}));
}

TEST_F(ConfigTest, UnsetVariableIsAnErrorAtTheValue) {
  const LoadResult result = load("models: {}\napi_keys: [\"${SWITCHYARD_API_KEY}\"]\n");
  EXPECT_FALSE(result.config);
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(2, 12,
                                     "'SWITCHYARD_API_KEY' is not set; write "
                                     "${SWITCHYARD_API_KEY:-} to allow it to be empty")));
}

TEST_F(ConfigTest, AllowedHostsAreBareNames) {
  EXPECT_THAT(load("models: {}\nallowed_hosts: [ok.lan, \"router.lan:8080\", \"\"]\n").errors,
              ElementsAre(diagnostic(2, 25, "allowed_hosts.1 'router.lan:8080' is not a host name"),
                          diagnostic(2, 44, "allowed_hosts.2 '' is empty")));
  EXPECT_THAT(load("models: {}\nallowed_hosts: [\"http://router.lan\"]\n").errors,
              ElementsAre(diagnostic(2, 17, "without scheme, port or path")));
}

TEST_F(ConfigTest, AllowedOriginsAreSchemeHostAndPort) {
  EXPECT_THAT(load("models: {}\nallowed_origins: [chat.lan]\n").errors,
              ElementsAre(diagnostic(2, 19, "allowed_origins.0 'chat.lan' is not an origin")));
  EXPECT_THAT(load("models: {}\nallowed_origins: [\"http://chat.lan/\"]\n").errors,
              ElementsAre(diagnostic(2, 19, "has a path")));
  EXPECT_THAT(load("models: {}\nallowed_origins: [\"http://\"]\n").errors,
              ElementsAre(diagnostic(2, 19, "is not an origin")));
}

TEST_F(ConfigTest, RateLimitNeedsACountAndABurstOfAtLeastOne) {
  EXPECT_THAT(load("models: {}\nrate_limit: {requests_per_minute: -1}\n").errors,
              ElementsAre(diagnostic(2, 35, "must be at least 0, got -1")));
  EXPECT_THAT(load("models: {}\nrate_limit: {requests_per_minute: 60, burst: 0}\n").errors,
              ElementsAre(diagnostic(2, 46, "must be at least 1, got 0")));
  EXPECT_THAT(load("models: {}\nrate_limit: {per_minute: 60}\n").errors,
              ElementsAre(diagnostic(2, 14, "unknown key 'per_minute'")));
  EXPECT_THAT(load("models: {}\nrate_limit: 60\n").errors, ::testing::SizeIs(1));
}

TEST_F(ConfigTest, AnApiKeyMayHaveARateOfItsOwn) {
  vars_["API_KEY"] = "k2";
  const Config config = load_ok(R"(api_keys:
  - k1
  - {key: "${API_KEY}", rate_limit: {requests_per_minute: 600, burst: 20}}
  - key: k3
    rate_limit: {requests_per_minute: 0}
rate_limit: {requests_per_minute: 60}
models: {}
)");
  EXPECT_THAT(config.api_keys, ElementsAre("k1", "k2", "k3"));
  EXPECT_EQ(config.key_rate_limits.size(), 2u);
  EXPECT_EQ(config.key_rate_limits.at("k2"), (RateLimit{600, 20}));
  EXPECT_EQ(config.key_rate_limits.at("k3"), (RateLimit{0, 0}));
  EXPECT_EQ(config.rate_limit, (RateLimit{60, 0}));
}

TEST_F(ConfigTest, AnApiKeyEntryNeedsItsKeyAndKnownSettings) {
  EXPECT_THAT(load("models: {}\napi_keys: [{rate_limit: {requests_per_minute: 5}}]\n").errors,
              ElementsAre(diagnostic(2, 12, "api_keys.0: missing key")));
  EXPECT_THAT(load("models: {}\napi_keys: [k1, {key: k2, rpm: 5}]\n").errors,
              ElementsAre(diagnostic(2, 26, "unknown key 'rpm'")));
  EXPECT_THAT(load("models: {}\napi_keys: [{key: k2, rate_limit: {burst: 0}}]\n").errors,
              ElementsAre(diagnostic(2, 42, "api_keys.0.rate_limit.burst: must be at least 1")));
  EXPECT_THAT(load("models: {}\napi_keys: k1\n").errors,
              ElementsAre(diagnostic(2, 11, "found a string")));
  // An empty key is dropped with its rate, as a plain empty item is.
  LoadResult empty = load("models: {}\napi_keys: [{key: '', rate_limit: {burst: 1}}, k2]\n");
  ASSERT_TRUE(empty.config) << describe(empty.errors);
  EXPECT_THAT(empty.config->api_keys, ElementsAre("k2"));
  EXPECT_TRUE(empty.config->key_rate_limits.empty());
}

TEST_F(ConfigTest, AnApiKeyMayBeLimitedToModelsThereAre) {
  const Config config = load_ok(R"(api_keys:
  - k1
  - {key: k2, models: [a, b-alias]}
models:
  a: {command: [fake-server]}
  b: {command: [fake-server], aliases: [b-alias]}
)");
  ASSERT_EQ(config.key_models.size(), 1u);
  EXPECT_EQ(config.key_models.at("k2").item, 1u);
  EXPECT_THAT(config.key_models.at("k2").models, ElementsAre("a", "b-alias"));

  // Messages name the key by its place, never by its value.
  EXPECT_THAT(load("api_keys: [{key: secret, models: [a, c]}]\nmodels: {a: {command: "
                   "[fake-server]}}\n")
                  .errors,
              ElementsAre(diagnostic(1, 38,
                                     "api_keys.0.models.1 'c' is not a model or an alias "
                                     "of one")));
  EXPECT_THAT(load("api_keys: [{key: secret, models: []}]\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 34, "api_keys.0.models is empty")));
  EXPECT_THAT(load("api_keys: [{key: secret, models: a}]\nmodels: {}\n").errors,
              ElementsAre(diagnostic(1, 34, "expected a list of strings")));
}

TEST_F(ConfigTest, BrokenYamlIsOneDiagnosticWithItsPlace) {
  const LoadResult result = load("models:\n  a: [1, 2\nlisten: x\n");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_THAT(result.errors[0].message, ::testing::HasSubstr("invalid YAML"));
  EXPECT_GT(result.errors[0].line, 0);
  EXPECT_EQ(result.errors[0].file, (dir_.path() / "models.yaml").string());
}

TEST_F(ConfigTest, TopLevelMustBeAMap) {
  EXPECT_THAT(load("- a\n- b\n").errors, ElementsAre(diagnostic(1, 1, "expected a map")));
  EXPECT_THAT(load("").errors, ElementsAre(diagnostic(0, 0, "the file is empty")));
  EXPECT_THAT(load("just a string\n").errors, ElementsAre(diagnostic(1, 1, "expected a map")));
}

TEST_F(ConfigTest, UnknownTopLevelKeyIsAnErrorAtTheKey) {
  const LoadResult result = load("models: {}\nlisten_address: 127.0.0.1:1\n");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(2, 1,
                                     "unknown key 'listen_address' in the top level; "
                                     "expected one of: listen, admin_listen")));
}

TEST_F(ConfigTest, UnknownKeyCloseToAKnownOneGetsASuggestion) {
  const LoadResult result = load("models: {}\nlimits:\n  idle_timout: 5s\n");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(3, 3,
                                     "unknown key 'idle_timout' in limits; did you mean "
                                     "'idle_timeout'?")));
}

TEST_F(ConfigTest, DuplicateTopLevelKeyIsAnError) {
  const LoadResult result = load("listen: 127.0.0.1:1\nmodels: {}\nlisten: 127.0.0.1:2\n");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(3, 1,
                                     "duplicate key 'listen' in the top level (first at "
                                     "line 1)")));
}

TEST_F(ConfigTest, ReportsEveryErrorNotJustTheFirst) {
  const LoadResult result = load(R"(listen: nowhere
limits:
  header_timeout: 10
  max_header_bytes: 16 KiB
models: {}
bogus: true
)");
  EXPECT_THAT(result.errors,
              ElementsAre(diagnostic(1, 9, "listen: invalid address 'nowhere'"),
                          diagnostic(3, 19, "limits.header_timeout: invalid duration '10'"),
                          diagnostic(4, 21, "limits.max_header_bytes: invalid size '16 KiB'"),
                          diagnostic(6, 1, "unknown key 'bogus'")));
}

TEST_F(ConfigTest, BadDurationsNameTheValue) {
  for (const char* value : {"10", "'10 s'", "-1s", "1.5s", "10sec", "0s", "99999999999999999h"}) {
    const LoadResult result =
        load(std::string("models: {}\nlimits: {idle_timeout: ") + value + "}\n");
    ASSERT_EQ(result.errors.size(), 1u) << value;
    EXPECT_EQ(result.errors[0].line, 2) << value;
    EXPECT_EQ(result.errors[0].column, 24) << value;
    EXPECT_THAT(result.errors[0].message, ::testing::HasSubstr("limits.idle_timeout")) << value;
  }
  EXPECT_THAT(load("models: {}\nlimits: {idle_timeout: 0s}\n").errors,
              ElementsAre(diagnostic(2, 24, "must be greater than 0, got '0s'")));
  EXPECT_THAT(load("models: {}\nlimits: {idle_timeout: 10sec}\n").errors,
              ElementsAre(diagnostic(2, 24, "invalid duration '10sec'")));
}

TEST_F(ConfigTest, BadSizesNameTheValue) {
  EXPECT_THAT(load("models: {}\nlimits: {max_body_bytes: {text: 4mb}}\n").errors,
              ElementsAre(diagnostic(2, 33, "limits.max_body_bytes.text: invalid size '4mb'")));
  EXPECT_THAT(load("models: {}\nlimits: {max_body_bytes: {text: 0}}\n").errors,
              ElementsAre(diagnostic(2, 33, "must be greater than 0")));
  EXPECT_THAT(load("models: {}\nlimits: {max_body_bytes: {text: 99999999999999999999}}\n").errors,
              ElementsAre(diagnostic(2, 33, "invalid size '99999999999999999999'")));
  EXPECT_THAT(load("models: {}\nlimits: {max_body_bytes: {video: 1MiB}}\n").errors,
              ElementsAre(diagnostic(2, 27, "unknown key 'video' in limits.max_body_bytes")));
}

TEST_F(ConfigTest, MaxHeaderBytesMustBeBetween1KiBAnd1MiB) {
  EXPECT_TRUE(load("models: {}\nlimits: {max_header_bytes: 1KiB}\n").config);
  EXPECT_TRUE(load("models: {}\nlimits: {max_header_bytes: 1MiB}\n").config);
  EXPECT_THAT(load("models: {}\nlimits: {max_header_bytes: 1023}\n").errors,
              ElementsAre(diagnostic(2, 28, "must be between 1KiB and 1MiB, got 1023B")));
  EXPECT_THAT(load("models: {}\nlimits: {max_header_bytes: 2MiB}\n").errors,
              ElementsAre(diagnostic(2, 28, "must be between 1KiB and 1MiB")));
}

TEST_F(ConfigTest, ValuesAreTypeChecked) {
  EXPECT_THAT(load("models: {}\nallow_unauthenticated: yes\n").errors,
              ElementsAre(diagnostic(2, 24, "expected true or false, got 'yes'")));
  EXPECT_THAT(load("models: {}\nlisten: [127.0.0.1, 8080]\n").errors,
              ElementsAre(diagnostic(2, 9, "listen: expected a string, found a list")));
  EXPECT_THAT(load("models: {}\nlimits: 5s\n").errors,
              ElementsAre(diagnostic(2, 9, "limits: expected a map, found a string")));
  EXPECT_THAT(load("models: {}\napi_keys: secret\n").errors,
              ElementsAre(diagnostic(2, 11, "api_keys: expected a list of keys")));
  EXPECT_THAT(load("models: [a, b]\n").errors,
              ElementsAre(diagnostic(1, 9, "models: expected a map from model name")));
  EXPECT_THAT(load("models: {}\nlisten:\nadmin_keys: []\n").errors,
              ElementsAre(diagnostic(2, 1, "listen: expected a string, found nothing")));
}

TEST_F(ConfigTest, ListenAddresses) {
  EXPECT_EQ(load_ok("models: {}\nlisten: localhost:9000\n").listen, (Endpoint{"localhost", 9000}));
  for (const char* bad : {"8080", "127.0.0.1", "127.0.0.1:65536", "::1:8080", "127.0.0.1:http"}) {
    const LoadResult result = load(std::string("models: {}\nlisten: \"") + bad + "\"\n");
    EXPECT_THAT(result.errors, ElementsAre(diagnostic(2, 9, "invalid address"))) << bad;
  }
}

TEST_F(ConfigTest, RuntimeDirComesFromTheFileThenTheEnvironment) {
  EXPECT_EQ(load_ok("models: {}\nruntime_dir: /run/x\n").runtime_dir, "/run/x");
  EXPECT_EQ(load_ok("models: {}\nruntime_dir: state/run\n").runtime_dir,
            (dir_.path() / "state/run").string());

  vars_["RUNTIME_DIRECTORY"] = "/run/switchyard:/run/other";
  vars_["XDG_RUNTIME_DIR"] = "/run/user/1000";
  EXPECT_EQ(load_ok("models: {}\n").runtime_dir, "/run/switchyard");
  EXPECT_EQ(load_ok("models: {}\nruntime_dir: \"${UNSET:-}\"\n").runtime_dir, "/run/switchyard");
  vars_.erase("RUNTIME_DIRECTORY");
  EXPECT_EQ(load_ok("models: {}\n").runtime_dir, "/run/user/1000/switchyard");
  vars_.erase("XDG_RUNTIME_DIR");
  EXPECT_EQ(load_ok("models: {}\n").runtime_dir, "/tmp/switchyard-" + std::to_string(getuid()));
}

TEST_F(ConfigTest, WorkerBinaryIsRelativeToTheFile) {
  EXPECT_EQ(load_ok("models: {}\nworker_binary: bin/w\n").worker_binary,
            (dir_.path() / "bin/w").string());
}

TEST_F(ConfigTest, LoadConfigFileReadsFromDisk) {
  const fs::path file = dir_.write("conf/models.yaml", "listen: 127.0.0.1:0\nmodels: {}\n");
  const LoadResult result =
      load_config_file(file.string(), map_environment(vars_), dir_.path().string());
  ASSERT_TRUE(result.config) << describe(result.errors);
  EXPECT_EQ(result.config->path, file.string());
  EXPECT_EQ(result.config->listen.port, 0);
}

TEST_F(ConfigTest, LoadConfigFileReportsAMissingFile) {
  const std::string missing = (dir_.path() / "nope.yaml").string();
  const LoadResult result = load_config_file(missing, map_environment(vars_), "");
  EXPECT_FALSE(result.config);
  ASSERT_EQ(result.errors.size(), 1u);
  EXPECT_EQ(result.errors[0].file, missing);
  EXPECT_EQ(result.errors[0].line, 0);
  EXPECT_THAT(result.errors[0].to_string(), ::testing::HasSubstr("cannot read the config file"));
}

TEST_F(ConfigTest, ShippedExampleHasNoErrorsButMissingFiles) {
  vars_["SWITCHYARD_API_KEY"] = "k";
  const LoadResult result = load_config_file(SWITCHYARD_SOURCE_DIR "/config/example.yaml",
                                             map_environment(vars_), dir_.path().string());
  // Its paths are examples that need not exist here; anything else means the docs drifted.
  for (const Diagnostic& error : result.errors) {
    EXPECT_THAT(error.message, ::testing::AnyOf(::testing::HasSubstr("not found"),
                                                ::testing::HasSubstr("does not exist")))
        << error.to_string();
  }
}

}  // namespace
}  // namespace switchyard::config::testing
