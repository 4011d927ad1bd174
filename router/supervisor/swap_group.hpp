// The places of one swap group (config `groups:`): a member takes a place before its worker is
// spawned and gives it back once the worker is reaped, so at most max_loaded members ever hold
// memory together. A member that finds the group full has one of the others unloaded (see
// swap_policy.hpp for which, and when) and waits for its place.
//
// Fairness comes from the unload itself: the member giving way first answers what was sent to
// it (up to drain_timeout), and takes no new request meanwhile, so a member in steady use
// cannot keep out one that is asked for. A member that has just loaded is not unloaded before
// the requests that waited for it have been sent to it, so two wanted members take turns
// instead of unloading each other before either answers.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "router/supervisor/notifier.hpp"

namespace switchyard::supervisor {

class Supervisor;

class SwapGroup : public std::enable_shared_from_this<SwapGroup> {
 public:
  // Held by a member while it has a worker; destroying it gives the place back.
  class Place {
   public:
    Place() = default;
    Place(std::shared_ptr<SwapGroup> group, const Supervisor& member)
        : group_(std::move(group)), member_(&member) {}
    Place(Place&& other) noexcept
        : group_(std::move(other.group_)), member_(std::exchange(other.member_, nullptr)) {}
    Place& operator=(Place&& other) noexcept;
    ~Place() { release(); }
    bool held() const { return member_ != nullptr; }

   private:
    void release();
    std::shared_ptr<SwapGroup> group_;
    const Supervisor* member_ = nullptr;
  };

  SwapGroup(std::string name, int max_loaded)
      : name_(std::move(name)), max_loaded_(static_cast<std::size_t>(max_loaded)) {}

  const std::string& name() const { return name_; }
  // A reload may change it; members over a lowered limit give way at the next swap.
  void set_max_loaded(int max_loaded);
  // Returns once `member` holds a place, unloading other members as needed.
  boost::asio::awaitable<Place> take_place(Supervisor& member);
  // Called by members whose state, or whose count of waiting requests, changed.
  void member_changed() { changed_.notify_all(); }

 private:
  void make_room(const Supervisor& wanting);

  std::string name_;
  std::size_t max_loaded_;
  std::vector<Supervisor*> loaded_;
  std::size_t wanting_ = 0;  // members waiting in take_place()
  Notifier changed_;
};

}  // namespace switchyard::supervisor
