#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "router/admin/admin_handler.hpp"

namespace switchyard::admin {
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

}  // namespace
}  // namespace switchyard::admin
