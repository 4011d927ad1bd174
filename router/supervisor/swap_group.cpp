#include "router/supervisor/swap_group.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "router/supervisor/supervisor.hpp"
#include "router/supervisor/swap_policy.hpp"

namespace switchyard::supervisor {

using SteadyClock = std::chrono::steady_clock;

SwapGroup::Place& SwapGroup::Place::operator=(Place&& other) noexcept {
  if (this != &other) {
    release();
    group_ = std::move(other.group_);
    member_ = std::exchange(other.member_, nullptr);
  }
  return *this;
}

void SwapGroup::Place::release() {
  if (!group_ || member_ == nullptr) return;
  std::erase(group_->loaded_, member_);
  group_->changed_.notify_all();
  member_ = nullptr;
  group_.reset();
}

void SwapGroup::set_max_loaded(int max_loaded) {
  max_loaded_ = static_cast<std::size_t>(max_loaded);
  changed_.notify_all();
}

boost::asio::awaitable<SwapGroup::Place> SwapGroup::take_place(Supervisor& member) {
  struct Wanting {
    std::size_t& count;
    explicit Wanting(std::size_t& c) : count(++c) {}
    ~Wanting() { --count; }
  } wanting(wanting_);
  for (;;) {
    if (loaded_.size() < max_loaded_) {
      loaded_.push_back(&member);
      co_return Place(shared_from_this(), member);
    }
    make_room(member);
    co_await wait_unless_cancelled(changed_, SteadyClock::time_point::max());
  }
}

void SwapGroup::make_room(const Supervisor& wanting) {
  std::vector<LoadedMember> loaded;
  loaded.reserve(loaded_.size());
  for (const Supervisor* member : loaded_) {
    const ModelState state = member->state();
    loaded.push_back({.may_go = (state == ModelState::ready && member->waiting() == 0) ||
                                state == ModelState::restarting,
                      .leaving = state == ModelState::stopping || !member->wants_running(),
                      .crashed = state == ModelState::restarting,
                      .last_used = member->last_used()});
  }
  const auto chosen = member_to_unload(loaded, max_loaded_, wanting_);
  if (!chosen) return;
  Supervisor& member = *loaded_[*chosen];
  spdlog::info("group {}: unloading model {} to make room for model {}", name_,
               member.config().name, wanting.config().name);
  member.unload();
}

}  // namespace switchyard::supervisor
