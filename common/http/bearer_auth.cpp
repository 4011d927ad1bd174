#include "common/http/bearer_auth.hpp"

#include <cstdint>

namespace switchyard::http {

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Walk the longer length so a short guess costs as much as a long one.
  const std::size_t n = std::max(a.size(), b.size());
  std::uint8_t diff = a.size() == b.size() ? 0 : 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<std::uint8_t>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<std::uint8_t>(i < b.size() ? b[i] : 0);
    diff |= static_cast<std::uint8_t>(x ^ y);
  }
  return diff == 0;
}

std::string_view bearer_token(std::string_view value) {
  constexpr std::string_view kScheme = "Bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    const char c = value[i];
    const char lower = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    const char want = kScheme[i] >= 'A' && kScheme[i] <= 'Z'
                          ? static_cast<char>(kScheme[i] - 'A' + 'a')
                          : kScheme[i];
    if (lower != want) return {};
  }
  return value.substr(kScheme.size());
}

AuthResult check_bearer(const std::vector<std::string_view>& header_values,
                        const std::vector<std::string>& keys) {
  if (header_values.empty()) return AuthResult::missing;
  if (header_values.size() != 1) return AuthResult::invalid;
  const std::string_view token = bearer_token(header_values.front());
  if (token.empty()) return AuthResult::invalid;
  bool matched = false;
  for (const auto& key : keys) {
    // No early exit: every key is compared.
    matched |= !key.empty() && constant_time_equal(token, key);
  }
  return matched ? AuthResult::ok : AuthResult::invalid;
}

}  // namespace switchyard::http
