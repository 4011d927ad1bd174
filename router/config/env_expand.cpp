#include "router/config/env_expand.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>

namespace switchyard::config {
namespace {

constexpr std::string_view kOpen = "${";
constexpr std::string_view kDefaultSeparator = ":-";

bool is_spawn_placeholder(std::string_view name) {
  return std::find(kSpawnPlaceholders.begin(), kSpawnPlaceholders.end(), name) !=
         kSpawnPlaceholders.end();
}

Expansion failure(std::string message) { return Expansion{{}, std::move(message)}; }

}  // namespace

bool is_variable_name(std::string_view name) {
  const auto is_alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  const auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (name.empty() || !(is_alpha(name[0]) || name[0] == '_')) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return is_alpha(c) || is_digit(c) || c == '_'; });
}

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

Expansion expand_env(std::string_view text, const EnvLookup& env, Placeholders placeholders) {
  const auto quoted = [text] { return "'" + std::string(text) + "'"; };
  std::string out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t open = text.find(kOpen, pos);
    if (open == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, open - pos));
    const std::size_t close = text.find('}', open + kOpen.size());
    if (close == std::string_view::npos) {
      return failure("unterminated '${' in " + quoted() + "; write ${NAME} or ${NAME:-default}");
    }
    const std::string_view reference = text.substr(open, close + 1 - open);
    const std::string_view body = text.substr(open + kOpen.size(), close - open - kOpen.size());
    if (body.find(kOpen) != std::string_view::npos) {
      return failure("nested '${' in " + quoted() +
                     " is not supported; a default is literal text: ${NAME:-default}");
    }
    const std::size_t separator = body.find(kDefaultSeparator);
    const std::string_view name = body.substr(0, separator);
    if (!is_variable_name(name)) {
      return failure("invalid variable reference '" + std::string(reference) + "' in " + quoted() +
                     "; write ${NAME} or ${NAME:-default}, NAME made of letters, digits and _");
    }
    std::optional<std::string_view> fallback;
    if (separator != std::string_view::npos) {
      fallback = body.substr(separator + kDefaultSeparator.size());
    }
    pos = close + 1;

    if (placeholders == Placeholders::keep && !fallback && is_spawn_placeholder(name)) {
      out.append(reference);
      continue;
    }
    const std::optional<std::string> value = env(name);
    if (value && !value->empty()) {
      out.append(*value);
    } else if (fallback) {
      out.append(*fallback);
    } else if (!value) {
      std::string message = "environment variable '" + std::string(name) +
                            "' is not set; write ${" + std::string(name) +
                            ":-} to allow it to be empty";
      if (is_spawn_placeholder(name)) {
        message += " (${" + std::string(name) + "} is filled in by switchyard only inside command)";
      }
      return failure(std::move(message));
    }
  }
  return Expansion{std::move(out), {}};
}

}  // namespace switchyard::config
