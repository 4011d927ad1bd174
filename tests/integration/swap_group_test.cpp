// Swap groups (RELIABILITY.md P6): members of a group share max_loaded places. A member asked
// for when the group is full unloads another, and only after that worker is reaped does its own
// start, so the two never hold memory together. Requests that arrive during the swap share one
// worker; a request in flight on the member giving way is answered first; two members asked for
// in turn take turns instead of unloading each other before either answers.
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>
#include <vector>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

std::string groups(int max_loaded) {
  return "groups:\n  gpu:\n    max_loaded: " + std::to_string(max_loaded) + "\n";
}

// Polls /admin/models until `done`, and gives the largest number of the group's members seen
// with a worker process at the same time.
int most_loaded_while(const TestRouter& router, const std::function<bool()>& done) {
  int most = 0;
  while (!done()) {
    int loaded = 0;
    const json all = router.admin_models();  // not in the for: the temporary would not live
    for (const auto& model : all["models"]) {
      if (model["group"] == "gpu" && !model["pid"].is_null()) ++loaded;
    }
    most = std::max(most, loaded);
    std::this_thread::sleep_for(5ms);
  }
  return most;
}

TEST(SwapGroupTest, TenRequestsForTheOtherMemberUnloadTheFirstAndShareOneWorker) {
  TestRouter router(
      model_yaml("a", {}, "group: gpu") + model_yaml("b", {"--load-delay", "500"}, "group: gpu"),
      groups(1));
  // Members start on request.
  EXPECT_EQ(router.wait_state("a", "stopped")["starts_on_request"], true);
  EXPECT_EQ(router.wait_state("b", "stopped")["group"], "gpu");

  const HttpResponse first = router.chat("a");
  ASSERT_EQ(first.status, 200) << first.body;
  const int a_pid = first.json()["pid"];

  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 10; ++i) {
    answers.push_back(std::async(std::launch::async, [&] { return router.chat("b"); }));
  }
  std::set<int> pids;
  for (auto& answer : answers) {
    const HttpResponse response = answer.get();
    ASSERT_EQ(response.status, 200) << response.body;
    pids.insert(response.json()["pid"].get<int>());
    // b's worker spawns only once a's is reaped.
    EXPECT_FALSE(process_exists(a_pid)) << "a still had its worker while b answered";
  }
  EXPECT_EQ(pids.size(), 1u) << "more than one worker served b";
  const json b = router.wait_ready("b");
  EXPECT_EQ(b["pid"], *pids.begin());
  EXPECT_EQ(b["restarts"], 0);
  const json a = router.wait_state("a", "stopped");
  EXPECT_EQ(a["unloads"], 1);
  EXPECT_EQ(a["starts_on_request"], true) << "a must come back when asked for";
  EXPECT_EQ(a["restarts"], 0) << "giving way is not a restart";
}

TEST(SwapGroupTest, RequestInFlightOnTheMemberGivingWayIsAnsweredFirst) {
  TestRouter router(model_yaml("a", {}, "group: gpu") + model_yaml("b", {}, "group: gpu"),
                    groups(1));
  const int a_pid = router.chat("a").json()["pid"];
  auto slow = std::async(std::launch::async, [&] {
    return router.chat("a", json{{"delay_ms", 1500}});
  });
  router.wait_model(
      "a", [](const json& s) { return s["requests_in_flight"] == 1; }, "the slow request sent");

  const HttpResponse b = router.chat("b");
  ASSERT_EQ(b.status, 200) << b.body;
  const HttpResponse answered = slow.get();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.json()["pid"], a_pid);
  EXPECT_FALSE(process_exists(a_pid));
}

TEST(SwapGroupTest, MembersAskedForInTurnTakeTurnsAndNeverLoadTogether) {
  TestRouter router(model_yaml("a", {"--load-delay", "200"}, "group: gpu") +
                        model_yaml("b", {"--load-delay", "200"}, "group: gpu"),
                    groups(1));
  std::atomic<bool> done = false;
  auto watcher = std::async(std::launch::async,
                            [&] { return most_loaded_while(router, [&] { return done.load(); }); });
  // Four clients, each asking for a and b alternately: every swap has requests waiting on both
  // sides, which is where members unloading each other before answering would never end.
  std::vector<std::future<std::vector<HttpResponse>>> clients;
  for (int c = 0; c < 4; ++c) {
    clients.push_back(std::async(std::launch::async, [&, c] {
      std::vector<HttpResponse> responses;
      for (int i = 0; i < 4; ++i) responses.push_back(router.chat((c + i) % 2 ? "a" : "b"));
      return responses;
    }));
  }
  for (auto& client : clients) {
    for (const HttpResponse& response : client.get()) {
      EXPECT_EQ(response.status, 200) << response.body;
    }
  }
  done = true;
  EXPECT_EQ(watcher.get(), 1) << "both members had a worker at once";
  const int unloads = router.model_status("a").value()["unloads"].get<int>() +
                      router.model_status("b").value()["unloads"].get<int>();
  EXPECT_GE(unloads, 1);
}

// llama-swap's preload: a member with on_demand: false is loaded with the router, and gives way
// like any other.
TEST(SwapGroupTest, MemberThatIsNotOnDemandStartsWithTheRouter) {
  TestRouter router(
      model_yaml("a", {}, "group: gpu\non_demand: false") + model_yaml("b", {}, "group: gpu"),
      groups(1));
  const int a_pid = router.wait_ready("a")["pid"];
  EXPECT_EQ(router.model_status("b").value()["state"], "stopped");
  EXPECT_EQ(router.model_status("b").value()["starts_on_request"], true);

  ASSERT_EQ(router.chat("b").status, 200);
  EXPECT_FALSE(process_exists(a_pid));
  EXPECT_EQ(router.wait_state("a", "stopped")["starts_on_request"], true);
}

TEST(SwapGroupTest, FullGroupUnloadsTheLeastRecentlyUsedMember) {
  TestRouter router(model_yaml("a", {}, "group: gpu") + model_yaml("b", {}, "group: gpu") +
                        model_yaml("c", {}, "group: gpu") + model_yaml("solo"),
                    groups(2));
  ASSERT_EQ(router.chat("a").status, 200);
  ASSERT_EQ(router.chat("b").status, 200);
  ASSERT_EQ(router.chat("a").status, 200);  // b is now the least recently used

  ASSERT_EQ(router.chat("c").status, 200);
  EXPECT_EQ(router.wait_state("b", "stopped")["unloads"], 1);
  EXPECT_EQ(router.model_status("a").value()["state"], "ready");
  EXPECT_EQ(router.model_status("a").value()["unloads"], 0);
  // A model outside the group is started with the router and never counted.
  EXPECT_EQ(router.wait_ready("solo")["group"], nullptr);
}

// An operator's start takes a place like a request; a lowered max_loaded applies at the next
// swap, and the models in the group are not restarted by the reload.
TEST(SwapGroupTest, OperatorStartAndReloadOfMaxLoaded) {
  const std::string models = model_yaml("a", {}, "group: gpu") + model_yaml("b", {}, "group: gpu") +
                             model_yaml("c", {}, "group: gpu");
  TestRouter router(models, groups(2));
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/a/start").status, 202);
  const int a_pid = router.wait_ready("a")["pid"];
  ASSERT_EQ(router.chat("b").status, 200);
  EXPECT_EQ(router.model_status("a").value()["pid"], a_pid) << "room for two";

  router.rewrite_config(models, groups(1));
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/reload").status, 200);
  EXPECT_EQ(router.model_status("a").value()["pid"], a_pid) << "not restarted by the reload";

  ASSERT_EQ(router.chat("c").status, 200);
  EXPECT_EQ(router.wait_state("a", "stopped")["unloads"], 1);
  EXPECT_EQ(router.wait_state("b", "stopped")["unloads"], 1);
}

}  // namespace
}  // namespace switchyard::test
