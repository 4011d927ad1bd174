#include "router/supervisor/swap_policy.hpp"

#include <algorithm>
#include <tuple>

namespace switchyard::supervisor {

std::optional<std::size_t> member_to_unload(std::span<const LoadedMember> loaded,
                                            std::size_t max_loaded, std::size_t wanting) {
  const auto leaving = static_cast<std::size_t>(
      std::count_if(loaded.begin(), loaded.end(), [](const LoadedMember& m) { return m.leaving; }));
  // Places that will be free once the leaving members are gone; a max_loaded lowered by a
  // reload can leave more loaded than it allows.
  if (loaded.size() - leaving + wanting <= max_loaded) return std::nullopt;
  std::optional<std::size_t> chosen;
  for (std::size_t i = 0; i < loaded.size(); ++i) {
    const LoadedMember& m = loaded[i];
    if (m.leaving || !m.may_go) continue;
    // Crashed first, then the oldest last use.
    const auto key = [](const LoadedMember& x) { return std::tuple(!x.crashed, x.last_used); };
    if (!chosen || key(m) < key(loaded[*chosen])) chosen = i;
  }
  return chosen;
}

}  // namespace switchyard::supervisor
