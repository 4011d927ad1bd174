#include "router/http/request_origin.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>

#include "common/http/request.hpp"
#include "router/config/address.hpp"

namespace switchyard::http {
namespace {

bool is_local_name(std::string_view host) {
  constexpr std::string_view kLocalhost = "localhost";
  constexpr std::string_view kLocalhostDomain = ".localhost";
  if (host.ends_with('.')) host.remove_suffix(1);  // the root: "localhost." is "localhost"
  if (boost::beast::iequals(host, kLocalhost)) return true;
  return host.size() > kLocalhostDomain.size() &&
         boost::beast::iequals(host.substr(host.size() - kLocalhostDomain.size()),
                               kLocalhostDomain);
}

// An address cannot be rebound: a name made only of digits and dots is read by browsers as an
// IPv4 address (or refused), never looked up; a ':' is left only by a bracketed IPv6 literal.
// Cheaper than inet_pton for the usual "127.0.0.1".
bool is_address(std::string_view host) {
  bool digits_and_dots = !host.empty();
  for (const char c : host) {
    if (c == ':') return config::is_ip_literal(host);
    digits_and_dots &= (c >= '0' && c <= '9') || c == '.';
  }
  return digits_and_dots;
}

bool listed(std::string_view text, const std::vector<std::string>& list) {
  return std::ranges::any_of(list, [text](const std::string& item) {
    return item == "*" || boost::beast::iequals(item, text);
  });
}

}  // namespace

std::string_view host_name_of(std::string_view authority) {
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    return close == std::string_view::npos ? authority : authority.substr(1, close - 1);
  }
  return authority.substr(0, authority.rfind(':'));
}

bool host_allowed(std::string_view host_field, std::string_view listen_host,
                  const std::vector<std::string>& allowed_hosts) {
  if (host_field.empty()) return true;
  const std::string_view host = host_name_of(host_field);
  if (is_address(host) || is_local_name(host) || listed(host, allowed_hosts)) {
    return true;
  }
  return allowed_hosts.empty() && !config::is_loopback_host(listen_host);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string>& allowed_origins) {
  if (listed(origin, allowed_origins)) return true;
  for (const std::string_view scheme :
       {std::string_view("http://"), std::string_view("https://")}) {
    if (origin.size() > scheme.size() &&
        boost::beast::iequals(origin.substr(0, scheme.size()), scheme)) {
      const std::string_view host = host_name_of(origin.substr(scheme.size()));
      return is_local_name(host) || config::is_loopback_host(host);
    }
  }
  return false;
}

void check_request_origin(const Request& request, std::string_view listen_host,
                          const std::vector<std::string>& allowed_hosts,
                          const std::vector<std::string>& allowed_origins) {
  const std::string_view host = request[FieldName::host];
  if (!host_allowed(host, listen_host, allowed_hosts)) {
    throw ApiError(ErrorKind::forbidden,
                   "Host '" + std::string(host_name_of(host)) +
                       "' is not a name of this server; add it to allowed_hosts to accept it",
                   std::nullopt, "host_not_allowed");
  }
  // Browsers send one Origin; an empty one is no browser's.
  const std::string_view origin = request[FieldName::origin];
  if (!origin.empty() && !origin_allowed(origin, allowed_origins)) {
    throw ApiError(ErrorKind::forbidden,
                   "requests from the web page at '" + std::string(origin) +
                       "' are refused; add its origin to allowed_origins to accept them",
                   std::nullopt, "origin_not_allowed");
  }
}

bool request_origin_accepted(const Request& request, std::string_view listen_host,
                             const std::vector<std::string>& allowed_hosts,
                             const std::vector<std::string>& allowed_origins) {
  try {
    check_request_origin(request, listen_host, allowed_hosts, allowed_origins);
    return true;
  } catch (const ApiError&) {
    return false;
  }
}

}  // namespace switchyard::http
