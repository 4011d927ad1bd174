#include "common/http/bearer_auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace switchyard::http {
namespace {

const std::vector<std::string> kKeys = {"sk-alpha", "sk-beta-longer", "sk-gamma"};

AuthResult check(std::vector<std::string_view> values,
                 const std::vector<std::string>& keys = kKeys) {
  return check_bearer(values, keys);
}

TEST(CheckBearer, MissingHeader) { EXPECT_EQ(check({}), AuthResult::missing); }

TEST(CheckBearer, RightKey) { EXPECT_EQ(check({"Bearer sk-alpha"}), AuthResult::ok); }

TEST(CheckBearer, AnyOfSeveralKeys) {
  EXPECT_EQ(check({"Bearer sk-alpha"}), AuthResult::ok);
  EXPECT_EQ(check({"Bearer sk-beta-longer"}), AuthResult::ok);
  EXPECT_EQ(check({"Bearer sk-gamma"}), AuthResult::ok);
}

TEST(CheckBearer, SchemeIsCaseInsensitive) {
  EXPECT_EQ(check({"bearer sk-alpha"}), AuthResult::ok);
  EXPECT_EQ(check({"BEARER sk-alpha"}), AuthResult::ok);
  EXPECT_EQ(check({"BeArEr sk-alpha"}), AuthResult::ok);
}

TEST(CheckBearer, TokenIsCaseSensitive) {
  EXPECT_EQ(check({"Bearer SK-ALPHA"}), AuthResult::invalid);
}

TEST(CheckBearer, WrongKey) {
  EXPECT_EQ(check({"Bearer sk-delta"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer x"}), AuthResult::invalid);
}

TEST(CheckBearer, PrefixOrExtensionOfAKeyIsInvalid) {
  EXPECT_EQ(check({"Bearer sk-alph"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer sk-alphaa"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer sk-beta"}), AuthResult::invalid);  // prefix of sk-beta-longer
  EXPECT_EQ(check({"Bearer s"}), AuthResult::invalid);
  const std::string with_nul("Bearer sk-alpha\0", 16);
  EXPECT_EQ(check({with_nul}), AuthResult::invalid);
}

TEST(CheckBearer, TwoHeadersAreInvalidEvenIfBothMatch) {
  EXPECT_EQ(check({"Bearer sk-alpha", "Bearer sk-alpha"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer sk-alpha", "Bearer wrong"}), AuthResult::invalid);
}

TEST(CheckBearer, OtherSchemes) {
  EXPECT_EQ(check({"Basic c2stYWxwaGE6"}), AuthResult::invalid);
  EXPECT_EQ(check({"Basic x"}), AuthResult::invalid);
  EXPECT_EQ(check({"Token sk-alpha"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer-sk-alpha"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearersk-alpha"}), AuthResult::invalid);
  EXPECT_EQ(check({"sk-alpha"}), AuthResult::invalid);
}

TEST(CheckBearer, EmptyToken) {
  EXPECT_EQ(check({"Bearer "}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer"}), AuthResult::invalid);
  EXPECT_EQ(check({""}), AuthResult::invalid);
}

TEST(CheckBearer, ExtraWhitespaceIsPartOfTheToken) {
  EXPECT_EQ(check({"Bearer  sk-alpha"}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer sk-alpha "}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer\tsk-alpha"}), AuthResult::invalid);
}

TEST(CheckBearer, NoKeysConfiguredRejectsEverything) {
  EXPECT_EQ(check({"Bearer sk-alpha"}, {}), AuthResult::invalid);
  EXPECT_EQ(check({}, {}), AuthResult::missing);
}

TEST(CheckBearer, AnEmptyConfiguredKeyNeverMatches) {
  EXPECT_EQ(check({"Bearer "}, {""}), AuthResult::invalid);
  EXPECT_EQ(check({"Bearer x"}, {"", "x"}), AuthResult::ok);
}

TEST(ConstantTimeEqual, EqualStrings) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  const std::string binary("a\0b\xff", 4);
  EXPECT_TRUE(constant_time_equal(binary, binary));
}

TEST(ConstantTimeEqual, DifferentStrings) {
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "Abc"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
  EXPECT_FALSE(constant_time_equal("ab", "abc"));
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal("a", ""));
}

TEST(ConstantTimeEqual, TrailingNulIsNotIgnored) {
  // Past the shorter string the loop compares against 0: the length check must still fail it.
  EXPECT_FALSE(constant_time_equal("abc", std::string_view("abc\0", 4)));
  EXPECT_FALSE(constant_time_equal(std::string_view("\0", 1), ""));
}

TEST(ConstantTimeEqual, HighBitBytes) {
  EXPECT_FALSE(constant_time_equal("\x80", std::string_view("\0", 1)));
  EXPECT_FALSE(constant_time_equal("\xff\xfe", "\xff\xff"));
  EXPECT_TRUE(constant_time_equal("\xff\xfe", "\xff\xfe"));
}

}  // namespace
}  // namespace switchyard::http
