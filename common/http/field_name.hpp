// The header fields the daemon acts on, told apart without Beast's field table: a parser meets
// every field of every message, and most are none of these, which a length compare shows at once.
#pragma once

#include <cstdint>
#include <string_view>

namespace switchyard::http {

enum class FieldName : std::uint8_t {
  other,
  access_control_request_headers,
  access_control_request_method,
  authorization,
  cache_control,
  connection,
  content_length,
  content_type,
  expect,
  host,
  keep_alive,
  origin,
  proxy_authenticate,
  proxy_authorization,
  proxy_connection,
  te,
  trailer,
  transfer_encoding,
  upgrade,
  x_accel_buffering,
  x_forwarded_for,
  x_request_id,
};

// `name` is a field name already checked to be a token (RFC 9110 5.6.2).
FieldName field_name(std::string_view name);

// Case-insensitive equality with `lower`, a lower-case text of letters, digits, '-' and '/', for
// `text` already checked to hold no control characters: setting bit 0x20 lower-cases a letter
// and leaves digits, '-' and '/' as they are, and no other character that may be there becomes
// one of those.
inline bool is_named(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  unsigned char differ = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    differ |= static_cast<unsigned char>((text[i] | 0x20) ^ lower[i]);
  }
  return differ == 0;
}

}  // namespace switchyard::http
