// Host and port text as written in models.yaml (listen addresses and url models), and the
// questions the checks ask about it. Only literal comparisons: nothing here resolves names.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "router/config/config.hpp"

namespace switchyard::config {

// "host:port" or "[v6]:port", port 0-65535; the host is stored without brackets.
std::optional<Endpoint> parse_endpoint(std::string_view text);
// The inverse of parse_endpoint: brackets around IPv6 hosts.
std::string format_endpoint(const Endpoint& endpoint);

bool is_loopback_host(std::string_view host);  // localhost, 127.0.0.0/8, ::1
bool is_wildcard_host(std::string_view host);  // 0.0.0.0, ::
bool is_ip_literal(std::string_view host);     // an IPv4 or IPv6 address, without brackets

// Whether the router could not bind both: the same non-zero port on the same host, or on a
// wildcard host, which takes the port on every address.
bool listeners_clash(const Endpoint& a, const Endpoint& b);
// Whether connecting to `target` would reach a router listening on `listener`.
bool reaches_listener(const Endpoint& target, const Endpoint& listener);

// http://host:port[/path]; the port is required and not 0.
struct HttpUrl {
  Endpoint endpoint;
  std::string path;  // "" or starting with '/'
};
std::optional<HttpUrl> parse_http_url(std::string_view url);

}  // namespace switchyard::config
