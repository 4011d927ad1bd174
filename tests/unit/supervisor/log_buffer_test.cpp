#include "router/supervisor/log_buffer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace switchyard::supervisor {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

LogBuffer filled(std::size_t capacity, int lines) {
  LogBuffer buffer(capacity);
  for (int i = 0; i < lines; ++i) buffer.append("line " + std::to_string(i));
  return buffer;
}

TEST(LogBuffer, StartsEmpty) {
  LogBuffer buffer(3);
  EXPECT_THAT(buffer.tail(10), IsEmpty());
  EXPECT_EQ(buffer.next_sequence(), 0u);
  std::uint64_t from = 0;
  EXPECT_THAT(buffer.since(from), IsEmpty());
  EXPECT_EQ(from, 0u);
}

TEST(LogBuffer, KeepsLinesInOrderBelowCapacity) {
  const LogBuffer buffer = filled(5, 3);
  EXPECT_THAT(buffer.tail(5), ElementsAre("line 0", "line 1", "line 2"));
  EXPECT_EQ(buffer.next_sequence(), 3u);
}

TEST(LogBuffer, EvictsTheOldestLinesBeyondCapacity) {
  const LogBuffer buffer = filled(3, 7);
  EXPECT_THAT(buffer.tail(100), ElementsAre("line 4", "line 5", "line 6"));
  EXPECT_EQ(buffer.next_sequence(), 7u);  // sequence numbers keep counting
}

TEST(LogBuffer, TailReturnsTheLastLines) {
  const LogBuffer buffer = filled(10, 6);
  EXPECT_THAT(buffer.tail(2), ElementsAre("line 4", "line 5"));
  EXPECT_THAT(buffer.tail(1), ElementsAre("line 5"));
  EXPECT_THAT(buffer.tail(0), IsEmpty());
}

TEST(LogBuffer, TailLargerThanSizeReturnsEverything) {
  const LogBuffer buffer = filled(10, 4);
  EXPECT_THAT(buffer.tail(4), ElementsAre("line 0", "line 1", "line 2", "line 3"));
  EXPECT_THAT(buffer.tail(5), ElementsAre("line 0", "line 1", "line 2", "line 3"));
  EXPECT_EQ(buffer.tail(static_cast<std::size_t>(-1)).size(), 4u);
}

TEST(LogBuffer, KeepsEmptyAndLongLinesVerbatim) {
  LogBuffer buffer(3);
  buffer.append("");
  buffer.append(std::string(10000, 'x'));
  buffer.append("tab\there");
  EXPECT_THAT(buffer.tail(3), ElementsAre("", std::string(10000, 'x'), "tab\there"));
}

TEST(LogBuffer, SinceReturnsNewLinesAndAdvancesTheCursor) {
  LogBuffer buffer(10);
  buffer.append("a");
  buffer.append("b");
  std::uint64_t from = 0;
  EXPECT_THAT(buffer.since(from), ElementsAre("a", "b"));
  EXPECT_EQ(from, 2u);
  EXPECT_THAT(buffer.since(from), IsEmpty());
  EXPECT_EQ(from, 2u);
  buffer.append("c");
  EXPECT_THAT(buffer.since(from), ElementsAre("c"));
  EXPECT_EQ(from, 3u);
}

TEST(LogBuffer, SinceFromTheMiddle) {
  const LogBuffer buffer = filled(10, 5);
  std::uint64_t from = 3;
  EXPECT_THAT(buffer.since(from), ElementsAre("line 3", "line 4"));
  EXPECT_EQ(from, 5u);
}

TEST(LogBuffer, SinceAnEvictedSequenceStartsAtTheOldestKeptLine) {
  const LogBuffer buffer = filled(3, 10);  // keeps sequence 7, 8, 9
  std::uint64_t from = 2;
  EXPECT_THAT(buffer.since(from), ElementsAre("line 7", "line 8", "line 9"));
  EXPECT_EQ(from, 10u);
}

TEST(LogBuffer, FollowerThatFellBehindSkipsTheEvictedLines) {
  LogBuffer buffer(2);
  buffer.append("a");  // 0
  std::uint64_t from = 0;
  EXPECT_THAT(buffer.since(from), ElementsAre("a"));
  buffer.append("b");  // 1
  buffer.append("c");  // 2
  buffer.append("d");  // 3; "b" is gone
  EXPECT_THAT(buffer.since(from), ElementsAre("c", "d"));
  EXPECT_EQ(from, 4u);
}

TEST(LogBuffer, SinceBeyondTheEndReturnsNothing) {
  const LogBuffer buffer = filled(10, 3);
  std::uint64_t from = 3;
  EXPECT_THAT(buffer.since(from), IsEmpty());
  EXPECT_EQ(from, 3u);
}

TEST(LogBuffer, SinceAFutureSequenceReturnsNothing) {
  // A cursor from before a model was replaced may point past this buffer's end.
  const LogBuffer buffer = filled(10, 3);
  std::uint64_t from = 50;
  EXPECT_THAT(buffer.since(from), IsEmpty());
  EXPECT_EQ(from, 3u);
}

TEST(LogBuffer, DefaultCapacity) {
  LogBuffer buffer;
  for (std::size_t i = 0; i < LogBuffer::kDefaultCapacity + 5; ++i) {
    buffer.append(std::to_string(i));
  }
  const auto lines = buffer.tail(static_cast<std::size_t>(-1));
  ASSERT_EQ(lines.size(), LogBuffer::kDefaultCapacity);
  EXPECT_EQ(lines.front(), "5");
  EXPECT_EQ(lines.back(), std::to_string(LogBuffer::kDefaultCapacity + 4));
}

}  // namespace
}  // namespace switchyard::supervisor
