#include "worker/engines/llama/text_stream.hpp"

#include <gtest/gtest.h>

namespace switchyard::worker::llama {
namespace {

std::string feed(TextStream& stream, const std::vector<std::string>& pieces, bool* stopped) {
  std::string out;
  *stopped = false;
  for (const auto& piece : pieces) {
    auto result = stream.push(piece);
    out += result.text;
    if (result.stopped) {
      *stopped = true;
      return out;
    }
  }
  return out + stream.flush();
}

TEST(TextStream, PassesTextThroughWithoutStops) {
  TextStream stream;
  EXPECT_EQ(stream.push("hello").text, "hello");
  EXPECT_EQ(stream.push(" world").text, " world");
  EXPECT_EQ(stream.flush(), "");
}

TEST(TextStream, HoldsIncompleteUtf8UntilComplete) {
  TextStream stream;
  const std::string euro = "\xE2\x82\xAC";  // U+20AC in three bytes
  EXPECT_EQ(stream.push("a" + euro.substr(0, 1)).text, "a");
  EXPECT_EQ(stream.push(euro.substr(1, 1)).text, "");
  EXPECT_EQ(stream.push(euro.substr(2, 1)).text, euro);
}

TEST(TextStream, StopStringSplitAcrossPiecesIsNeverSent) {
  TextStream stream({"STOP"});
  bool stopped = false;
  EXPECT_EQ(feed(stream, {"abc S", "TO", "P tail"}, &stopped), "abc ");
  EXPECT_TRUE(stopped);
}

TEST(TextStream, ReleasesHeldPrefixWhenItIsNotAStop) {
  TextStream stream({"STOP"});
  auto first = stream.push("x ST");
  EXPECT_EQ(first.text, "x ");
  auto second = stream.push("ART");
  EXPECT_EQ(second.text, "START");
  EXPECT_FALSE(second.stopped);
}

TEST(TextStream, FlushReturnsAnUnfinishedStopPrefix) {
  TextStream stream({"</end>"});
  EXPECT_EQ(stream.push("done </e").text, "done ");
  EXPECT_EQ(stream.flush(), "</e");
}

TEST(TextStream, EarliestOfSeveralStopsWins) {
  TextStream stream({"world", "lo w"});
  auto out = stream.push("hello world");
  EXPECT_TRUE(out.stopped);
  EXPECT_EQ(out.text, "hel");
}

TEST(Utf8, CompletePrefix) {
  EXPECT_EQ(utf8_complete_prefix("abc"), 3u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3"), 2u);
  EXPECT_EQ(utf8_complete_prefix("ab\xC3\xA9"), 4u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98"), 0u);
  EXPECT_EQ(utf8_complete_prefix("\xF0\x9F\x98\x80"), 4u);
}

}  // namespace
}  // namespace switchyard::worker::llama
