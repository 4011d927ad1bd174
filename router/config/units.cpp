#include "router/config/units.hpp"

#include <array>
#include <charconv>
#include <limits>

namespace switchyard::config {
namespace {

struct Unit {
  std::string_view suffix;
  std::uint64_t factor;
};

// Milliseconds per unit, largest first so that formatting picks the largest exact one.
constexpr std::array<Unit, 4> kDurationUnits{{
    {"h", 3'600'000},
    {"m", 60'000},
    {"s", 1'000},
    {"ms", 1},
}};

// Bytes per unit, largest first within each family; binary units are preferred when formatting.
constexpr std::array<Unit, 7> kSizeUnits{{
    {"GiB", 1ull << 30},
    {"MiB", 1ull << 20},
    {"KiB", 1ull << 10},
    {"GB", 1'000'000'000},
    {"MB", 1'000'000},
    {"KB", 1'000},
    {"B", 1},
}};

struct Split {
  std::uint64_t number;
  std::string_view suffix;
};

// Leading decimal digits and what follows them. Refuses signs, spaces, fractions and overflow,
// which from_chars alone would not all catch ("+1" and " 1" are refused by it, "1.5" is not).
std::optional<Split> split_number(std::string_view text) {
  std::uint64_t number = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, number);
  if (error != std::errc{} || stop == text.data()) return std::nullopt;
  return Split{number, std::string_view(stop, static_cast<std::size_t>(end - stop))};
}

std::optional<std::uint64_t> scale(std::uint64_t number, std::uint64_t factor, std::uint64_t max) {
  if (number > max / factor) return std::nullopt;
  return number * factor;
}

}  // namespace

std::optional<Duration> parse_duration(std::string_view text) {
  const auto split = split_number(text);
  if (!split) return std::nullopt;
  for (const Unit& unit : kDurationUnits) {
    if (split->suffix != unit.suffix) continue;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Duration::rep>::max());
    const auto millis = scale(split->number, unit.factor, kMax);
    if (!millis) return std::nullopt;
    return Duration(static_cast<Duration::rep>(*millis));
  }
  return std::nullopt;
}

std::optional<std::uint64_t> parse_size(std::string_view text) {
  const auto split = split_number(text);
  if (!split) return std::nullopt;
  if (split->suffix.empty()) return split->number;
  for (const Unit& unit : kSizeUnits) {
    if (split->suffix == unit.suffix) {
      return scale(split->number, unit.factor, std::numeric_limits<std::uint64_t>::max());
    }
  }
  return std::nullopt;
}

std::string format_duration(Duration duration) {
  if (duration.count() > 0) {
    const auto millis = static_cast<std::uint64_t>(duration.count());
    for (const Unit& unit : kDurationUnits) {
      if (millis % unit.factor == 0) {
        return std::to_string(millis / unit.factor) + std::string(unit.suffix);
      }
    }
  }
  return std::to_string(duration.count()) + "ms";
}

std::string format_size(std::uint64_t bytes) {
  for (const Unit& unit : kSizeUnits) {
    if (bytes != 0 && bytes % unit.factor == 0) {
      return std::to_string(bytes / unit.factor) + std::string(unit.suffix);
    }
  }
  return "0B";
}

}  // namespace switchyard::config
