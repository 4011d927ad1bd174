// Which requests may come from a browser page of another site. A daemon on loopback with no keys
// is reachable from any page its user opens: by DNS rebinding (a name the attacker controls
// resolves to 127.0.0.1, and the browser sends that name as Host) and by cross-site requests
// (the browser sends them with the page's Origin, even when it would not let the page read the
// answer). The Host a request names and the Origin a browser adds are checked here, for both
// listeners, before anything else is done with the request.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/openai_error.hpp"

namespace switchyard::http {

class Request;

// The host of a Host field value or of an origin's authority, without the port and without the
// brackets of an IPv6 literal: "Example.com:8080" -> "Example.com", "[::1]:80" -> "::1".
std::string_view host_name_of(std::string_view authority);

// A Host names this daemon when it is an IP address (rebinding needs a name), `localhost` or a
// name under `.localhost` (RFC 6761 keeps them on this machine), or a name in `allowed_hosts`
// ("*" there allows any). On a listener that is not loopback, an empty `allowed_hosts` allows
// any: its keys guard it, and LAN clients use whatever name they know it by. An absent Host
// (HTTP/1.0) is allowed: browsers always send one.
bool host_allowed(std::string_view host_field, std::string_view listen_host,
                  const std::vector<std::string>& allowed_hosts);

// A request with an Origin came from a browser page. It is allowed from pages this machine
// serves itself (http or https on localhost, a .localhost name or a loopback address) and from
// the origins in `allowed_origins` ("*" there allows any); "null" only when listed.
bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed_origins);

// Throws the 403 ApiError for a request that fails either check, naming the Host or Origin and
// the key that would allow it. It throws rather than returns the error so that the coroutines
// calling it keep no ApiError in their frames.
void check_request_origin(const Request& request, std::string_view listen_host,
                          const std::vector<std::string>& allowed_hosts,
                          const std::vector<std::string>& allowed_origins);

// The same check as a yes or no, for the answers a listener writes itself.
bool request_origin_accepted(const Request& request, std::string_view listen_host,
                             const std::vector<std::string>& allowed_hosts,
                             const std::vector<std::string>& allowed_origins);

}  // namespace switchyard::http
