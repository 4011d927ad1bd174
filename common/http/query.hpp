// The query of a request target: its parameters read one by one, and the target as it goes on
// to a worker, without the credentials a client put there.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::http {

// The raw (still percent-encoded) value of the first parameter named exactly `key` in the query
// of `target`; "" for a parameter without '='; nullopt when there is none.
std::optional<std::string> query_param(std::string_view target, std::string_view key);

// Whether a query parameter of this name carries a credential: key, api_key, api-key, apikey,
// access_token or token, in any case. Clients of other APIs put keys there; Switchyard reads
// keys only from Authorization.
bool is_credential_param(std::string_view name);

// Appends `target` to `out` without its credential parameters, so that a key sent in the URL
// reaches no worker, and so none of its logs; the other parameters keep their order and text.
void append_target_without_credentials(std::string& out, std::string_view target);

}  // namespace switchyard::http
