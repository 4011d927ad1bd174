#include "common/http/query.hpp"

#include <array>
#include <boost/beast/core/string.hpp>

namespace switchyard::http {
namespace {

// Calls visit(name, value, pair) for each non-empty `&`-separated pair of the query of `target`
// until it returns true; `value` is empty for a pair without '='.
template <typename Visit>
void for_each_param(std::string_view target, Visit&& visit) {
  const std::size_t question = target.find('?');
  if (question == std::string_view::npos) return;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    if (!pair.empty()) {
      const std::size_t eq = pair.find('=');
      const std::string_view value =
          eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
      if (visit(pair.substr(0, eq), value, pair)) return;
    }
    if (amp == std::string_view::npos) return;
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::optional<std::string> query_param(std::string_view target, std::string_view key) {
  std::optional<std::string> found;
  for_each_param(target, [&](std::string_view name, std::string_view value, std::string_view) {
    if (name != key) return false;
    found = std::string(value);
    return true;
  });
  return found;
}

bool is_credential_param(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kNames = {"key",    "api_key",      "api-key",
                                                             "apikey", "access_token", "token"};
  for (const std::string_view credential : kNames) {
    if (boost::beast::iequals(name, credential)) return true;
  }
  return false;
}

void append_target_without_credentials(std::string& out, std::string_view target) {
  bool has_credential = false;
  for_each_param(target, [&](std::string_view name, std::string_view, std::string_view) {
    return has_credential = is_credential_param(name);
  });
  if (!has_credential) {
    out.append(target);
    return;
  }
  out.append(target.substr(0, target.find('?')));
  const std::size_t path_end = out.size();
  for_each_param(target, [&](std::string_view name, std::string_view, std::string_view pair) {
    if (!is_credential_param(name)) out.append(out.size() == path_end ? "?" : "&").append(pair);
    return false;
  });
}

}  // namespace switchyard::http
