#include "router/config/address.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>

namespace switchyard::config {
namespace {

constexpr std::string_view kHttpScheme = "http://";
constexpr std::string_view kLocalhost = "localhost";

std::optional<in_addr> parse_v4(std::string_view host) {
  in_addr address{};
  if (inet_pton(AF_INET, std::string(host).c_str(), &address) != 1) return std::nullopt;
  return address;
}

std::optional<in6_addr> parse_v6(std::string_view host) {
  in6_addr address{};
  if (inet_pton(AF_INET6, std::string(host).c_str(), &address) != 1) return std::nullopt;
  return address;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

// Addresses compare by value ("::1" is "0:0::1"); names by text; localhost is every loopback
// address it resolves to on a stock system (127.0.0.1 and ::1).
bool same_host(std::string_view a, std::string_view b) {
  if (const auto v4a = parse_v4(a), v4b = parse_v4(b); v4a && v4b) {
    return v4a->s_addr == v4b->s_addr;
  }
  if (const auto v6a = parse_v6(a), v6b = parse_v6(b); v6a && v6b) {
    return std::memcmp(v6a->s6_addr, v6b->s6_addr, sizeof(v6a->s6_addr)) == 0;
  }
  const auto localhost_and_primary_loopback = [](std::string_view x, std::string_view y) {
    return equal_ignoring_case(x, kLocalhost) && (same_host(y, "127.0.0.1") || same_host(y, "::1"));
  };
  return equal_ignoring_case(a, b) || localhost_and_primary_loopback(a, b) ||
         localhost_and_primary_loopback(b, a);
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc{} || end != text.data() + text.size() || value > 65535) {
    return std::nullopt;
  }
  return static_cast<std::uint16_t>(value);
}

bool is_host_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
}

}  // namespace

std::optional<Endpoint> parse_endpoint(std::string_view text) {
  std::string_view host;
  std::string_view port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") return std::nullopt;
    host = text.substr(1, close - 1);
    if (!parse_v6(host)) return std::nullopt;
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    // A bare IPv6 address is ambiguous ("::1:8080"); brackets are required.
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_name_char)) {
      return std::nullopt;
    }
  }
  const auto number = parse_port(port);
  if (!number) return std::nullopt;
  return Endpoint{std::string(host), *number};
}

std::string format_endpoint(const Endpoint& endpoint) {
  const bool v6 = endpoint.host.find(':') != std::string::npos;
  const std::string host = v6 ? "[" + endpoint.host + "]" : endpoint.host;
  return host + ":" + std::to_string(endpoint.port);
}

bool is_loopback_host(std::string_view host) {
  if (equal_ignoring_case(host, kLocalhost)) return true;
  if (const auto v4 = parse_v4(host)) {
    return (ntohl(v4->s_addr) >> 24) == 127;
  }
  if (const auto v6 = parse_v6(host)) {
    if (IN6_IS_ADDR_LOOPBACK(&*v6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&*v6) && v6->s6_addr[12] == 127;
  }
  return false;
}

bool is_wildcard_host(std::string_view host) {
  if (const auto v4 = parse_v4(host)) return v4->s_addr == INADDR_ANY;
  if (const auto v6 = parse_v6(host)) return IN6_IS_ADDR_UNSPECIFIED(&*v6);
  return false;
}

bool is_ip_literal(std::string_view host) {
  return parse_v4(host).has_value() || parse_v6(host).has_value();
}

bool listeners_clash(const Endpoint& a, const Endpoint& b) {
  if (a.port == 0 || a.port != b.port) return false;
  return same_host(a.host, b.host) || is_wildcard_host(a.host) || is_wildcard_host(b.host);
}

bool reaches_listener(const Endpoint& target, const Endpoint& listener) {
  if (listener.port == 0 || target.port != listener.port) return false;
  if (same_host(target.host, listener.host)) return true;
  // A wildcard listener answers on loopback too; any other address may be another machine.
  return is_wildcard_host(listener.host) &&
         (is_loopback_host(target.host) || is_wildcard_host(target.host));
}

std::optional<HttpUrl> parse_http_url(std::string_view url) {
  if (!url.starts_with(kHttpScheme)) return std::nullopt;
  const std::string_view rest = url.substr(kHttpScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  const auto endpoint = parse_endpoint(authority);
  if (!endpoint || endpoint->port == 0) return std::nullopt;
  const bool plain_path = std::none_of(path.begin(), path.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '?' || c == '#';
  });
  if (!plain_path) return std::nullopt;
  return HttpUrl{*endpoint, std::string(path)};
}

}  // namespace switchyard::config
