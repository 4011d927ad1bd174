#include "router/config/env_expand.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_support.hpp"

namespace switchyard::config {
namespace {

using ::testing::HasSubstr;
using testing::map_environment;

class EnvExpandTest : public ::testing::Test {
 protected:
  Expansion expand(std::string_view text, Placeholders placeholders = Placeholders::expand) {
    return expand_env(text, env_, placeholders);
  }
  EnvLookup env_ = map_environment({{"KEY", "secret"}, {"EMPTY", ""}, {"HOME", "/home/op"}});
};

TEST_F(EnvExpandTest, ExpandsSetVariables) {
  EXPECT_EQ(expand("${KEY}").text, "secret");
  EXPECT_EQ(expand("a-${KEY}-${HOME}/x").text, "a-secret-/home/op/x");
  EXPECT_EQ(expand("${KEY:-fallback}").text, "secret");
}

TEST_F(EnvExpandTest, DefaultAppliesWhenUnsetOrEmpty) {
  EXPECT_EQ(expand("${MISSING:-fallback}").text, "fallback");
  EXPECT_EQ(expand("${EMPTY:-fallback}").text, "fallback");
  EXPECT_EQ(expand("${MISSING:-}").text, "");
  EXPECT_EQ(expand("${MISSING:-a:-b}").text, "a:-b");
  EXPECT_TRUE(expand("${MISSING:-}").ok());
}

TEST_F(EnvExpandTest, SetButEmptyWithoutDefaultIsEmpty) {
  const Expansion expansion = expand("x${EMPTY}y");
  EXPECT_TRUE(expansion.ok());
  EXPECT_EQ(expansion.text, "xy");
}

TEST_F(EnvExpandTest, UnsetWithoutDefaultNamesTheVariableAndSuggestsADefault) {
  const Expansion expansion = expand("Bearer ${API_TOKEN}");
  EXPECT_FALSE(expansion.ok());
  EXPECT_THAT(expansion.error, HasSubstr("'API_TOKEN' is not set"));
  EXPECT_THAT(expansion.error, HasSubstr("${API_TOKEN:-}"));
}

TEST_F(EnvExpandTest, DollarSignsOutsideReferencesAreLiteral) {
  EXPECT_EQ(expand("price: $5").text, "price: $5");
  EXPECT_EQ(expand("$$").text, "$$");
  EXPECT_EQ(expand("$${KEY}").text, "$secret");
  EXPECT_EQ(expand("{KEY}").text, "{KEY}");
  EXPECT_EQ(expand("end$").text, "end$");
  EXPECT_EQ(expand("").text, "");
}

TEST_F(EnvExpandTest, RefusesUnterminatedReference) {
  for (const char* text : {"${KEY", "a ${", "${KEY:-x"}) {
    const Expansion expansion = expand(text);
    EXPECT_FALSE(expansion.ok()) << text;
    EXPECT_THAT(expansion.error, HasSubstr("unterminated")) << text;
  }
}

TEST_F(EnvExpandTest, RefusesNestedDefaults) {
  const Expansion expansion = expand("${A:-${KEY}}");
  EXPECT_FALSE(expansion.ok());
  EXPECT_THAT(expansion.error, HasSubstr("nested"));
}

TEST_F(EnvExpandTest, RefusesMalformedNames) {
  for (const char* text : {"${}", "${1ABC}", "${A-B}", "${A:=x}", "${ KEY}", "${KEY }"}) {
    const Expansion expansion = expand(text);
    EXPECT_FALSE(expansion.ok()) << text;
    EXPECT_THAT(expansion.error, HasSubstr("invalid variable reference")) << text;
  }
}

TEST_F(EnvExpandTest, KeepsSpawnPlaceholdersOnlyWhenAsked) {
  const Expansion kept =
      expand("--port ${PORT} --host ${HOST} -a ${MODEL_NAME} -m ${MODEL_PATH} -k ${KEY}",
             Placeholders::keep);
  ASSERT_TRUE(kept.ok()) << kept.error;
  EXPECT_EQ(kept.text, "--port ${PORT} --host ${HOST} -a ${MODEL_NAME} -m ${MODEL_PATH} -k secret");

  const Expansion expanded = expand("${PORT}");
  EXPECT_FALSE(expanded.ok());
  EXPECT_THAT(expanded.error, HasSubstr("only inside command"));
}

TEST_F(EnvExpandTest, PlaceholderWithDefaultIsAnOrdinaryVariable) {
  EXPECT_EQ(expand("${PORT:-9000}", Placeholders::keep).text, "9000");
}

TEST(IsVariableName, FollowsShellRules) {
  EXPECT_TRUE(is_variable_name("OMP_NUM_THREADS"));
  EXPECT_TRUE(is_variable_name("_x1"));
  EXPECT_FALSE(is_variable_name(""));
  EXPECT_FALSE(is_variable_name("1X"));
  EXPECT_FALSE(is_variable_name("A-B"));
  EXPECT_FALSE(is_variable_name("A=B"));
}

TEST(ProcessEnvironment, ReadsTheRealEnvironment) {
  setenv("SWITCHYARD_CONFIG_TEST_VAR", "v", 1);
  const EnvLookup env = process_environment();
  EXPECT_EQ(env("SWITCHYARD_CONFIG_TEST_VAR"), "v");
  EXPECT_EQ(env("SWITCHYARD_CONFIG_TEST_UNSET_VAR"), std::nullopt);
  unsetenv("SWITCHYARD_CONFIG_TEST_VAR");
}

}  // namespace
}  // namespace switchyard::config
