#include "router/proxy/hop_by_hop.hpp"

#include <algorithm>
#include <string>

namespace switchyard::proxy {

bool is_hop_by_hop(http::FieldName field) {
  using enum http::FieldName;
  switch (field) {
    case connection:
    case keep_alive:
    case proxy_connection:
    case proxy_authenticate:
    case proxy_authorization:
    case te:
    case trailer:
    case transfer_encoding:
    case upgrade:
    case authorization:
      return true;
    default:
      return false;
  }
}

bool is_underscore_alias(std::string_view name) {
  if (name.find('_') == std::string_view::npos) return false;
  std::string dashed(name);
  std::replace(dashed.begin(), dashed.end(), '_', '-');
  return http::field_name(dashed) != http::FieldName::other;
}

}  // namespace switchyard::proxy
