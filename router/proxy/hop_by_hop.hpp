// Connection-level fields that are never forwarded (RFC 9110 §7.6.1), plus the client's
// credentials, which are for the router only. All are fields Beast knows by name.
#pragma once

#include <boost/beast/http/field.hpp>
#include <string_view>

namespace switchyard::proxy {

bool is_hop_by_hop(boost::beast::http::field field);
bool is_hop_by_hop(std::string_view field_name);

}  // namespace switchyard::proxy
