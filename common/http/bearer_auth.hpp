// Bearer-token checks. Keys are compared in constant time so response timing does not reveal
// how much of a guess was right; malformed Authorization headers never pass.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace switchyard::http {

enum class AuthResult { ok, missing, invalid };

// `header_values` are all the Authorization field values of the request: more than one is
// invalid, as is any scheme but Bearer or an empty token.
AuthResult check_bearer(const std::vector<std::string_view>& header_values,
                        const std::vector<std::string>& keys);

// The token of an Authorization value "Bearer <token>" (the scheme in any case); empty when the
// value is not that.
std::string_view bearer_token(std::string_view header_value);

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace switchyard::http
