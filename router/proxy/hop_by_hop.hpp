// Connection-level fields that are never forwarded (RFC 9110 §7.6.1), plus the client's
// credentials, which are for the router only.
#pragma once

#include "common/http/field_name.hpp"

namespace switchyard::proxy {

bool is_hop_by_hop(http::FieldName field);

}  // namespace switchyard::proxy
