// Strict parsers for the duration and size values of models.yaml.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "router/config/config.hpp"

namespace switchyard::config {

// "500ms", "10s", "5m", "1h"; a bare number or any other suffix is refused.
std::optional<Duration> parse_duration(std::string_view text);
// "512B", "16KiB", "32MiB", "1GiB" (also KB/MB/GB as powers of 1000); a bare integer is bytes.
std::optional<std::uint64_t> parse_size(std::string_view text);

// The inverse of the parsers, in the largest unit that is exact: 90s -> "90s", 2048 -> "2KiB".
std::string format_duration(Duration duration);
std::string format_size(std::uint64_t bytes);

}  // namespace switchyard::config
