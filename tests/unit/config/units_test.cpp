#include "router/config/units.hpp"

#include <gtest/gtest.h>

namespace switchyard::config {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

TEST(ParseDuration, AcceptsEachUnit) {
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("10s"), seconds(10));
  EXPECT_EQ(parse_duration("5m"), minutes(5));
  EXPECT_EQ(parse_duration("1h"), hours(1));
  EXPECT_EQ(parse_duration("0s"), milliseconds(0));  // syntax only; the loader refuses 0
}

TEST(ParseDuration, RefusesAnythingLoose) {
  for (const char* text : {"", "10", "s", "10 s", " 10s", "10s ", "-1s", "+1s", "1.5s", "10sec",
                           "10S", "1d", "ms", "1e3ms", "0x10s"}) {
    EXPECT_EQ(parse_duration(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseDuration, RefusesOverflow) {
  EXPECT_EQ(parse_duration("99999999999999999999s"), std::nullopt);  // beyond uint64
  EXPECT_EQ(parse_duration("9223372036854775807h"), std::nullopt);   // fits, scaled does not
  EXPECT_EQ(parse_duration("9223372036854775807ms"), milliseconds(9223372036854775807));
}

TEST(ParseSize, AcceptsEachUnit) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("512B"), 512u);
  EXPECT_EQ(parse_size("16KiB"), 16u * 1024);
  EXPECT_EQ(parse_size("32MiB"), 32u << 20);
  EXPECT_EQ(parse_size("1GiB"), 1u << 30);
  EXPECT_EQ(parse_size("2KB"), 2000u);
  EXPECT_EQ(parse_size("3MB"), 3'000'000u);
  EXPECT_EQ(parse_size("1GB"), 1'000'000'000u);
}

TEST(ParseSize, RefusesAnythingLoose) {
  for (const char* text :
       {"", "KiB", "16 KiB", "16kib", "16K", "1.5MiB", "-1", "+1", "1TiB", "16KiBs"}) {
    EXPECT_EQ(parse_size(text), std::nullopt) << "'" << text << "'";
  }
}

TEST(ParseSize, RefusesOverflow) {
  EXPECT_EQ(parse_size("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parse_size("17179869184GiB"), std::nullopt);
  EXPECT_EQ(parse_size("18446744073709551615"), 18446744073709551615ull);
}

TEST(FormatUnits, PicksTheLargestExactUnit) {
  EXPECT_EQ(format_duration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(format_duration(seconds(90)), "90s");
  EXPECT_EQ(format_duration(seconds(120)), "2m");
  EXPECT_EQ(format_duration(hours(3)), "3h");
  EXPECT_EQ(format_duration(milliseconds(0)), "0ms");
  EXPECT_EQ(format_size(0), "0B");
  EXPECT_EQ(format_size(1000), "1KB");
  EXPECT_EQ(format_size(2048), "2KiB");
  EXPECT_EQ(format_size(32u << 20), "32MiB");
  EXPECT_EQ(format_size(1001), "1001B");
}

TEST(FormatUnits, RoundTripsThroughTheParsers) {
  for (const char* text : {"250ms", "7s", "45m", "12h"}) {
    EXPECT_EQ(format_duration(*parse_duration(text)), text);
  }
  for (const char* text : {"17B", "3KiB", "5MiB", "2GiB", "7KB", "9MB", "3GB"}) {
    EXPECT_EQ(format_size(*parse_size(text)), text);
  }
}

}  // namespace
}  // namespace switchyard::config
