#include "common/http/query.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchyard::http {
namespace {

TEST(QueryParam, FindsEachParameter) {
  const std::string_view target = "/admin/models/qwen/logs?tail=20&follow=1";
  EXPECT_EQ(query_param(target, "tail"), "20");
  EXPECT_EQ(query_param(target, "follow"), "1");
}

TEST(QueryParam, AbsentParameter) {
  EXPECT_FALSE(query_param("/admin/models/qwen/logs?tail=20", "follow"));
  EXPECT_FALSE(query_param("/admin/models/qwen/logs", "tail"));
  EXPECT_FALSE(query_param("/admin/models/qwen/logs?", "tail"));
  EXPECT_FALSE(query_param("", "tail"));
}

TEST(QueryParam, KeyMustMatchWhole) {
  EXPECT_FALSE(query_param("/x?tails=5", "tail"));
  EXPECT_FALSE(query_param("/x?ta=5", "tail"));
  EXPECT_FALSE(query_param("/x?xtail=5", "tail"));
  EXPECT_EQ(query_param("/x?tailx=1&tail=5", "tail"), "5");
  EXPECT_FALSE(query_param("/x?TAIL=5", "tail"));
}

TEST(QueryParam, KeyInThePathDoesNotCount) {
  EXPECT_FALSE(query_param("/tail=5", "tail"));
  EXPECT_FALSE(query_param("/tail=5?follow=1", "tail"));
}

TEST(QueryParam, ValuelessAndEmptyValues) {
  EXPECT_EQ(query_param("/x?follow", "follow"), "");
  EXPECT_EQ(query_param("/x?follow=", "follow"), "");
  EXPECT_EQ(query_param("/x?a=1&follow", "follow"), "");
}

TEST(QueryParam, FirstOccurrenceWins) { EXPECT_EQ(query_param("/x?tail=1&tail=2", "tail"), "1"); }

TEST(QueryParam, EmptyPairsAreSkipped) {
  EXPECT_EQ(query_param("/x?&&tail=3&", "tail"), "3");
  EXPECT_EQ(query_param("/x?tail=3&&follow=1", "follow"), "1");
}

TEST(QueryParam, ValueKeepsEverythingAfterTheFirstEquals) {
  EXPECT_EQ(query_param("/x?expr=a=b", "expr"), "a=b");
  EXPECT_EQ(query_param("/x?q=1?2", "q"), "1?2");
}

TEST(QueryParam, EmptyKey) {
  EXPECT_EQ(query_param("/x?=v", ""), "v");
  EXPECT_FALSE(query_param("/x?a=v", ""));
}

std::string forwarded(std::string_view target) {
  std::string out = "prefix:";
  append_target_without_credentials(out, target);
  return out;
}

TEST(CredentialParam, KnownNamesInAnyCase) {
  for (const auto* name : {"key", "api_key", "api-key", "apikey", "access_token", "token", "KEY",
                           "Api_Key", "API-KEY", "ApiKey", "Access_Token", "TOKEN"}) {
    EXPECT_TRUE(is_credential_param(name)) << name;
  }
  for (const auto* name :
       {"", "keys", "monkey", "api", "api_keyx", "token_count", "tail", "api%5Fkey", "api key"}) {
    EXPECT_FALSE(is_credential_param(name)) << name;
  }
}

TEST(ForwardedTarget, WithoutCredentialsItIsUnchanged) {
  for (const auto* target : {"/v1/models", "/v1/models?", "/v1/x?a=1&&b=2&", "/v1/x?keys=1",
                             "/v1/x?a=key", "/key=1", "/v1/x?=token"}) {
    EXPECT_EQ(forwarded(target), std::string("prefix:") + target);
  }
}

TEST(ForwardedTarget, CredentialsAreDroppedAndTheRestKeepItsOrder) {
  EXPECT_EQ(forwarded("/v1/chat/completions?api_key=sk-1"), "prefix:/v1/chat/completions");
  EXPECT_EQ(forwarded("/v1/models?key=sk-1&limit=5"), "prefix:/v1/models?limit=5");
  EXPECT_EQ(forwarded("/v1/models?limit=5&Token=sk-1"), "prefix:/v1/models?limit=5");
  EXPECT_EQ(forwarded("/v1/x?a=1&API-KEY=sk-1&b=2&access_token&c=k%3D1"),
            "prefix:/v1/x?a=1&b=2&c=k%3D1");
  EXPECT_EQ(forwarded("/v1/x?key=1&key=2"), "prefix:/v1/x");
  EXPECT_EQ(forwarded("/v1/x?&key=1&&a=2&"), "prefix:/v1/x?a=2");
}

}  // namespace
}  // namespace switchyard::http
