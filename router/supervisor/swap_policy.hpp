// Which loaded member of a swap group gives up its place to a model that wants to load. Pure,
// so that the fairness rules below have tests of their own.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

namespace switchyard::supervisor {

struct LoadedMember {
  // May be unloaded now: ready with no request waiting to be sent to it, or between restarts.
  // A member still loading, or one whose waiting requests have not been sent to it yet, is
  // not: unloading it then would serve nobody, and two wanted models would swap forever.
  bool may_go = false;
  bool leaving = false;  // already being unloaded
  bool crashed = false;  // between restarts: the first to go
  std::chrono::steady_clock::time_point last_used{};
};

// The index of the member to unload so that `wanting` models waiting for a place can load with
// at most `max_loaded` loaded, or nullopt when none should go now: members already leaving will
// make the room, or none may go yet. Crashed members go first, then the least recently used.
std::optional<std::size_t> member_to_unload(std::span<const LoadedMember> loaded,
                                            std::size_t max_loaded, std::size_t wanting);

}  // namespace switchyard::supervisor
