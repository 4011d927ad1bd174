// Connection-level fields that are never forwarded (RFC 9110 §7.6.1), plus the client's
// credentials, which are for the router only.
#pragma once

#include <string_view>

#include "common/http/field_name.hpp"

namespace switchyard::proxy {

bool is_hop_by_hop(http::FieldName field);

// A name with '_' for '-' that would be a field the daemon acts on (`Transfer_Encoding`,
// `X_Forwarded_For`). Never forwarded, as nginx drops names with underscores: a server that reads
// '_' as '-' (CGI-style environments) would see a framing or identity field the router did not.
bool is_underscore_alias(std::string_view name);

}  // namespace switchyard::proxy
