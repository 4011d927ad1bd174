#include "router/proxy/hop_by_hop.hpp"

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

}  // namespace switchyard::proxy
