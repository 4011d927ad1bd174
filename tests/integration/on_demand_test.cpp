// Models started by their first request and stopped when idle (RELIABILITY.md P6): requests that
// arrive together while the model loads share one worker and are all answered; an idle worker
// is stopped and reaped, and the next request brings it back; an operator's stop still holds,
// and like an unload it lets the request in flight finish first.
#include <gtest/gtest.h>

#include <future>
#include <set>
#include <vector>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

TEST(OnDemandTest, TenRequestsTogetherStartOneWorkerAndAreAllAnswered) {
  // The worker takes 500 ms to load, so every request arrives while it loads.
  TestRouter router(model_yaml("always") +
                    model_yaml("lazy", {"--load-delay", "500"}, "on_demand: true"));
  router.wait_ready("always");
  const json idle = router.wait_state("lazy", "stopped");
  EXPECT_TRUE(idle["pid"].is_null()) << idle;
  EXPECT_EQ(idle["starts_on_request"], true);
  // A model down until asked for does not make the router unready.
  EXPECT_EQ(admin_get(router.admin_port(), "/ready").status, 200);

  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 10; ++i) {
    answers.push_back(std::async(std::launch::async, [&] { return router.chat("lazy"); }));
  }
  std::set<int> pids;
  for (auto& answer : answers) {
    const HttpResponse response = answer.get();
    ASSERT_EQ(response.status, 200) << response.body;
    pids.insert(response.json()["pid"].get<int>());
  }
  EXPECT_EQ(pids.size(), 1u) << "more than one worker served the model";
  const json ready = router.wait_ready("lazy");
  EXPECT_EQ(ready["pid"], *pids.begin()) << "a second worker took its place";
  EXPECT_EQ(ready["restarts"], 0);
  EXPECT_EQ(ready["starts_on_request"], false);
}

// A load longer than the request may wait: the request gets a 503 it can retry, the load goes
// on, and the retry finds the model ready.
TEST(OnDemandTest, RequestOutwaitedByTheLoadGets503WithRetryAfterAndTheLoadGoesOn) {
  TestRouter router(
      model_yaml("slow", {"--load-delay", "2000"}, "on_demand: true\nqueue_timeout: 300ms"));
  router.wait_state("slow", "stopped");

  const HttpResponse early = router.chat("slow");
  EXPECT_EQ(early.status, 503) << early.body;
  EXPECT_EQ(early.json()["error"]["code"], "model_not_ready");
  EXPECT_TRUE(early.header("Retry-After").has_value());

  router.wait_ready("slow");
  EXPECT_EQ(router.chat("slow").status, 200);
}

TEST(OnDemandTest, IdleWorkerIsStoppedAndTheNextRequestStartsAnother) {
  TestRouter router(model_yaml("m", {}, "unload_after: 300ms"));
  const int first_pid = router.wait_ready("m")["pid"];
  ASSERT_EQ(router.chat("m").status, 200);

  const json unloaded = router.wait_state("m", "stopped");
  EXPECT_EQ(unloaded["starts_on_request"], true);
  EXPECT_EQ(unloaded["restarts"], 0) << "an unload is not a restart";
  EXPECT_EQ(unloaded["unloads"], 1);
  EXPECT_NE(admin_get(router.admin_port(), "/metrics")
                .body.find("switchyard_model_unloads_total{model=\"m\"} 1\n"),
            std::string::npos);
  EXPECT_TRUE(wait_until([&] { return !process_exists(first_pid); }, kLongWait)) << "not reaped";

  const HttpResponse again = router.chat("m");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.json()["pid"], first_pid);

  // Stopped by an operator, it stays down: requests get 503 instead of starting it.
  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/m/stop").status, 202);
  router.wait_model(
      "m", [](const json& s) { return s["state"] == "stopped" && s["starts_on_request"] == false; },
      "stopped by the operator");
  const HttpResponse refused = router.chat("m");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_stopped");
}

// An operator frees a model's memory at once without taking it out of service.
TEST(OnDemandTest, OperatorUnloadStopsTheWorkerAndTheNextRequestStartsAnother) {
  TestRouter router(model_yaml("m") + "  remote:\n    url: http://127.0.0.1:9\n");
  const int first_pid = router.wait_ready("m")["pid"];

  const HttpResponse unload = admin_post(router.admin_port(), "/admin/models/m/unload");
  EXPECT_EQ(unload.status, 202) << unload.body;
  const json unloaded = router.wait_model(
      "m", [](const json& s) { return s["state"] == "stopped"; }, "unloaded");
  EXPECT_EQ(unloaded["starts_on_request"], true);
  EXPECT_EQ(unloaded["unloads"], 1);
  EXPECT_TRUE(wait_until([&] { return !process_exists(first_pid); }, kLongWait)) << "not reaped";

  const HttpResponse again = router.chat("m");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_NE(again.json()["pid"], first_pid);

  // A request in flight is answered before the worker goes.
  const int second_pid = again.json()["pid"];
  auto slow = std::async(std::launch::async, [&] {
    return router.chat("m", json{{"delay_ms", 1500}});
  });
  router.wait_model(
      "m", [](const json& s) { return s["requests_in_flight"] == 1; }, "the slow request sent");
  EXPECT_EQ(admin_post(router.admin_port(), "/admin/models/m/unload").status, 202);
  EXPECT_EQ(router.model_status("m").value()["state"], "stopping");
  const HttpResponse answered = slow.get();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.json()["pid"], second_pid);
  router.wait_state("m", "stopped");
  EXPECT_TRUE(wait_until([&] { return !process_exists(second_pid); }, kLongWait));

  const HttpResponse remote = admin_post(router.admin_port(), "/admin/models/remote/unload");
  EXPECT_EQ(remote.status, 400) << remote.body;
  EXPECT_NE(remote.body.find("no worker to unload"), std::string::npos) << remote.body;
}

// max_in_flight: requests over the limit wait for one in flight to end instead of piling up in
// the worker, and are answered once one does; one that cannot get a slot in time gets a 503
// it can retry.
TEST(OnDemandTest, MaxInFlightHoldsBackTheRestUntilARequestEnds) {
  TestRouter router(model_yaml("m", {}, "max_in_flight: 2") +
                    model_yaml("busy", {}, "max_in_flight: 1\nqueue_timeout: 300ms"));
  router.wait_ready("m");
  std::vector<std::future<HttpResponse>> answers;
  for (int i = 0; i < 6; ++i) {
    answers.push_back(std::async(std::launch::async, [&] {
      return router.chat("m", json{{"delay_ms", 300}});
    }));
  }
  for (auto& answer : answers) EXPECT_EQ(answer.get().status, 200);
  EXPECT_EQ(router.worker_stats("m")["most_delayed_at_once"], 2);

  router.wait_ready("busy");
  auto slow = std::async(std::launch::async, [&] {
    return router.chat("busy", json{{"delay_ms", 1500}});
  });
  router.wait_model(
      "busy", [](const json& s) { return s["requests_in_flight"] == 1; }, "the slow request sent");
  const HttpResponse refused = router.chat("busy");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_busy");
  EXPECT_TRUE(refused.header("Retry-After").has_value());
  EXPECT_EQ(slow.get().status, 200);
}

// Requests over max_in_flight wait in line (requests_queued on the admin listener) and are sent
// in the order they came.
TEST(OnDemandTest, MaxInFlightSendsTheWaitingRequestsInTheOrderTheyCame) {
  TestRouter router(model_yaml("m", {}, "max_in_flight: 1"));
  router.wait_ready("m");
  auto first = std::async(std::launch::async, [&] {
    return router.chat("m", json{{"delay_ms", 1000}});
  });
  router.wait_model(
      "m", [](const json& s) { return s["requests_in_flight"] == 1; }, "the first request sent");
  std::vector<std::future<std::chrono::steady_clock::time_point>> answered;
  for (int i = 1; i <= 3; ++i) {
    answered.push_back(std::async(std::launch::async, [&] {
      EXPECT_EQ(router.chat("m", json{{"delay_ms", 200}}).status, 200);
      return std::chrono::steady_clock::now();
    }));
    router.wait_model(
        "m", [i](const json& s) { return s["requests_queued"] == i; }, "the request in line");
  }
  EXPECT_NE(admin_get(router.admin_port(), "/metrics")
                .body.find("switchyard_model_queued{model=\"m\"} 3\n"),
            std::string::npos);
  EXPECT_EQ(first.get().status, 200);
  std::vector<std::chrono::steady_clock::time_point> times;
  for (auto& time : answered) times.push_back(time.get());
  EXPECT_LT(times[0], times[1]);
  EXPECT_LT(times[1], times[2]);
  EXPECT_EQ(router.wait_model(
                "m", [](const json& s) { return s["requests_in_flight"] == 0; },
                "all answered")["requests_queued"],
            0);
}

TEST(OnDemandTest, OperatorStopAnswersTheRequestInFlightAndRefusesNewOnesAtOnce) {
  TestRouter router(model_yaml("m"));
  const int pid = router.wait_ready("m")["pid"];
  auto slow = std::async(std::launch::async, [&] {
    return router.chat("m", json{{"delay_ms", 1500}});
  });
  router.wait_model(
      "m", [](const json& s) { return s["requests_in_flight"] == 1; }, "the slow request sent");

  ASSERT_EQ(admin_post(router.admin_port(), "/admin/models/m/stop").status, 202);
  const HttpResponse refused = router.chat("m");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_EQ(refused.json()["error"]["code"], "model_stopped");
  EXPECT_TRUE(slow.wait_for(0s) == std::future_status::timeout) << "refused, not queued";

  const HttpResponse answered = slow.get();
  EXPECT_EQ(answered.status, 200) << answered.body;
  EXPECT_EQ(answered.json()["pid"], pid);
  EXPECT_EQ(router.wait_state("m", "stopped")["starts_on_request"], false);
  EXPECT_TRUE(wait_until([&] { return !process_exists(pid); }, kLongWait));
}

}  // namespace
}  // namespace switchyard::test
