// A model's `params`: the body fields the router fills in, sets or strips, with their YAML types,
// merged onto `defaults:`, and refused where the router could not write them or routes by them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"
#include "router/config/loader.hpp"

namespace switchyard::config::testing {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;

TEST_F(ConfigTest, ParamsKeepYamlTypesAndMergeOntoDefaults) {
  vars_["TOP_P"] = "0.9";
  const Config config = load_ok(R"(defaults:
  params:
    defaults: {temperature: 0.7, top_p: 1}
    strip: [user]
models:
  plain: {url: 'http://h:1'}
  tuned:
    url: http://h:2
    params:
      defaults:
        top_p: ${TOP_P}
        stop: ["</s>", "\n"]
        seed: "42"
      overrides:
        response_format: {type: json_object}
        logit_bias:
      strip: [seed, "timestamp_granularities[]"]
)");
  const RequestParams& plain = config.models[0].params;
  EXPECT_EQ(plain.defaults, json({{"temperature", 0.7}, {"top_p", 1}}));
  EXPECT_EQ(plain.overrides, json::object());
  EXPECT_THAT(plain.strip, ElementsAre("user"));

  const RequestParams& tuned = config.models[1].params;
  EXPECT_EQ(tuned.defaults,
            json({{"temperature", 0.7}, {"top_p", 0.9}, {"stop", {"</s>", "\n"}}, {"seed", "42"}}))
      << "key by key onto defaults:, a quoted scalar staying a string";
  EXPECT_EQ(tuned.overrides,
            json({{"response_format", {{"type", "json_object"}}}, {"logit_bias", nullptr}}));
  EXPECT_THAT(tuned.strip, ElementsAre("seed", "timestamp_granularities[]")) << "a list replaces";
  EXPECT_FALSE(config.models[1].same_settings(config.models[0]));
}

TEST_F(ConfigTest, ParamsMayNotNameTheModelNorFieldsThatCannotBeWritten) {
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {overrides: {model: x}}}\n").errors,
              ElementsAre(diagnostic(2, 47, "params.overrides: may not name 'model'")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {strip: [stream, model]}}\n").errors,
              ElementsAre(diagnostic(2, 51, "params.strip: may not name 'model'")));
  EXPECT_THAT(load("models:\n  m:\n    url: http://h:1\n    params:\n      defaults: {\"a b\": 1, "
                   "'q\"': 2, '': 3}\n")
                  .errors,
              ElementsAre(diagnostic(5, 18, "params.defaults: invalid field name 'a b'"),
                          diagnostic(5, 28, "invalid field name 'q\"'"),
                          diagnostic(5, 37, "invalid field name ''")));
}

TEST_F(ConfigTest, ParamsHaveAFixedShape) {
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {default: {n: 1}}}\n").errors,
              ElementsAre(diagnostic(
                  2, 35, "unknown key 'default' in model 'm' params; did you mean 'defaults'?")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {defaults: [n]}}\n").errors,
              ElementsAre(diagnostic(2, 45, "expected a map")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {strip: n}}\n").errors,
              ElementsAre(diagnostic(2, 42, "expected a list of strings")));
  EXPECT_THAT(load("models:\n  m: {url: 'http://h:1', params: {defaults: {n: 1, n: 2}}}\n").errors,
              ElementsAre(diagnostic(2, 52, "duplicate key 'n'")));
}

}  // namespace
}  // namespace switchyard::config::testing
