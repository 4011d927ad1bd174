#include "router/supervisor/open_file_limit.hpp"

#include <optional>

namespace switchyard::supervisor {
namespace {

std::optional<rlimit>& started_with() {
  static std::optional<rlimit> limit;
  return limit;
}

rlimit current() {
  rlimit limit{};
  ::getrlimit(RLIMIT_NOFILE, &limit);
  return limit;
}

}  // namespace

OpenFileLimits raise_open_file_limit() {
  rlimit limit = current();
  started_with() = limit;
  OpenFileLimits result{limit.rlim_cur, limit.rlim_cur};
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) result.now = limit.rlim_cur;
  }
  return result;
}

rlimit inherited_open_file_limit() { return started_with().value_or(current()); }

}  // namespace switchyard::supervisor
