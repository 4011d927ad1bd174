#include "router/proxy/hop_by_hop.hpp"

namespace switchyard::proxy {

bool is_hop_by_hop(boost::beast::http::field field) {
  using enum boost::beast::http::field;
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

bool is_hop_by_hop(std::string_view name) {
  return is_hop_by_hop(boost::beast::http::string_to_field(name));
}

}  // namespace switchyard::proxy
