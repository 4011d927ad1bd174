// Streaming and cancellation (P2-P4): SSE relayed event by event with the right headers, a
// departing client closes the worker's connection (streamed or not), a worker that dies
// mid-stream or before answering gives the client a clean in-band or 502 error, and one that
// falls silent for limits.stream_idle_timeout an in-band error or a 504.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

// fake_worker stamps each event with CLOCK_MONOTONIC, which is steady_clock here too.
Clock::time_point written_at(const SseEvent& event) {
  return Clock::time_point(
      std::chrono::microseconds(json::parse(event.data)["t_us"].get<std::int64_t>()));
}

std::string chat_body(const json& extra) {
  json body = extra;
  body["model"] = "m";
  body["messages"] = json::array({{{"role", "user"}, {"content", "hi"}}});
  return body.dump();
}

TEST(StreamingTest, SseEventsArriveAsTheWorkerWritesThem) {
  TestRouter router(model_yaml("m", {"--sse-events", "4", "--sse-interval", "500"}));
  router.wait_ready("m");

  SseStream stream(router.port(), "POST", "/v1/chat/completions", chat_body({{"stream", true}}));
  ASSERT_EQ(stream.status(), 200) << stream.body();
  const auto header = [&](const char* name) {
    const auto it = stream.headers().find(name);
    return it == stream.headers().end() ? std::string("<absent>") : it->second;
  };
  EXPECT_TRUE(header("content-type").starts_with("text/event-stream")) << header("content-type");
  EXPECT_EQ(header("cache-control"), "no-cache");
  EXPECT_EQ(header("x-accel-buffering"), "no");
  EXPECT_EQ(stream.headers().count("content-length"), 0u);
  EXPECT_EQ(header("transfer-encoding"), "chunked");

  std::vector<SseEvent> events;
  while (auto event = stream.next_event()) events.push_back(*event);
  EXPECT_EQ(stream.end(), StreamEnd::complete);
  ASSERT_EQ(events.size(), 5u) << stream.body();
  EXPECT_EQ(events.back().data, "[DONE]");

  for (int i = 0; i < 4; ++i) {
    SCOPED_TRACE(i);
    const json data = json::parse(events[i].data);
    EXPECT_EQ(data["seq"], i);
    EXPECT_EQ(data["worker"], "m");
    // Delivered when written, not when the stream ends. The bound is loose for a loaded machine;
    // buffering would hold an event back by 500 ms or more.
    EXPECT_LT(events[i].received - written_at(events[i]), 350ms);
  }
  // The first event reached the client before the worker had even written the last one.
  EXPECT_LT(events[0].received, written_at(events[3]));
  for (int i = 1; i < 4; ++i) {
    EXPECT_GT(events[i].received - events[i - 1].received, 100ms) << "events came in a batch";
  }
}

TEST(StreamingTest, ClientLeavingMidStreamClosesTheUpstream) {
  TestRouter router(model_yaml("m", {"--sse-events", "1000", "--sse-interval", "50"}));
  router.wait_ready("m");
  ASSERT_EQ(router.worker_stats("m")["aborted"], 0);

  SseStream stream(router.port(), "POST", "/v1/chat/completions", chat_body({{"stream", true}}));
  ASSERT_EQ(stream.status(), 200) << stream.body();
  ASSERT_TRUE(stream.next_event());
  ASSERT_TRUE(stream.next_event());
  stream.close();

  EXPECT_TRUE(wait_until([&] { return router.worker_stats("m")["aborted"] == 1; }, 5s))
      << router.worker_stats("m").dump();
  // The router counts the request as abandoned, and stays usable.
  EXPECT_EQ(router.chat("m").status, 200);
  EXPECT_TRUE(
      wait_until([&] { return router.model_status("m").value()["requests_in_flight"] == 0; }, 5s));
}

TEST(StreamingTest, ClientLeavingADelayedRequestClosesTheUpstream) {
  TestRouter router(model_yaml("m"));
  router.wait_ready("m");

  const std::string body = chat_body({{"delay_ms", 60000}});
  RawConnection client(router.port());
  client.send(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  // Hang up only once the worker is holding the request.
  ASSERT_TRUE(wait_until([&] { return router.worker_stats("m")["requests"] == 1; }, 10s));
  EXPECT_EQ(router.worker_stats("m")["aborted"], 0);
  client.close();

  EXPECT_TRUE(wait_until([&] { return router.worker_stats("m")["aborted"] == 1; }, 5s))
      << router.worker_stats("m").dump();
  EXPECT_TRUE(
      wait_until([&] { return router.model_status("m").value()["requests_in_flight"] == 0; }, 5s));
}

// P3 for a request still waiting for its model to load: the client that leaves is noticed
// while it waits, its request never reaches the worker, and it leaves nothing in flight.
TEST(StreamingTest, ClientLeavingWhileItsModelLoadsIsNeverForwarded) {
  TestRouter router(model_yaml("m", {"--load-delay", "2000"}));
  const std::string body = chat_body({{"stream", true}});
  RawConnection client(router.port());
  client.send(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  ASSERT_NE(router.model_status("m").value()["state"], "ready");
  client.close();

  const std::string aborted = R"(switchyard_model_client_aborts_total{model="m"} 1)";
  EXPECT_TRUE(wait_until(
      [&] {
        return admin_get(router.admin_port(), "/metrics").body.find(aborted) != std::string::npos;
      },
      5s))
      << admin_get(router.admin_port(), "/metrics").body;
  router.wait_ready("m");
  EXPECT_EQ(router.worker_stats("m")["requests"], 0) << "the departed client's request was sent";
  EXPECT_EQ(router.model_status("m").value()["requests_in_flight"], 0);
}

TEST(StreamingTest, WorkerDyingMidStreamEndsTheStreamWithAnErrorEvent) {
  TestRouter router(model_yaml("m", {"--sse-interval", "100"}));
  const int first_pid = router.wait_ready("m")["pid"];

  SseStream stream(router.port(), "POST", "/v1/chat/completions",
                   chat_body({{"stream", true}, {"stream_crash_after", 2}}));
  ASSERT_EQ(stream.status(), 200) << stream.body();
  std::vector<SseEvent> events;
  while (auto event = stream.next_event()) events.push_back(*event);

  ASSERT_EQ(events.size(), 3u) << stream.body();
  EXPECT_EQ(json::parse(events[0].data)["seq"], 0);
  EXPECT_EQ(json::parse(events[1].data)["seq"], 1);
  EXPECT_EQ(events[2].event, "error");
  const json error = json::parse(events[2].data)["error"];
  EXPECT_NE(error["message"].get<std::string>().find("'m'"), std::string::npos) << error;
  EXPECT_NE(stream.end(), StreamEnd::timed_out);
  EXPECT_EQ(stream.body().find("[DONE]"), std::string::npos) << stream.body();

  // The crash counts as one, and the model comes back.
  const json status = router.wait_model(
      "m", [&](const json& s) { return s["state"] == "ready" && s["pid"] != first_pid; },
      "restarted");
  EXPECT_EQ(status["restarts"], 1);
}

TEST(StreamingTest, WorkerDyingBeforeItsHeaderIsA502) {
  TestRouter router(model_yaml("m", {"--crash-on-request"}));
  router.wait_ready("m");

  const HttpResponse response = router.chat("m");
  ASSERT_EQ(response.status, 502) << response.body;
  EXPECT_EQ(response.header("Content-Type"), "application/json");
  const json error = response.json()["error"];
  EXPECT_EQ(error["code"], "upstream_error");
  EXPECT_NE(error["message"].get<std::string>().find("'m'"), std::string::npos) << error;

  // A SIGTERM just as the supervisor sees the crash must not be lost (it once was: the router
  // hung until SIGKILLed). stop_timeout is 1 s.
  router.process().send_signal(SIGTERM);
  const auto status = router.process().wait_exit(8s);
  ASSERT_TRUE(status.has_value()) << "the router ignored SIGTERM after its worker crashed";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

// The worker sends its first event at once, then nothing for ten minutes; it answers a
// non-streaming request only after `delay_ms`.
TestRouter silent_worker_router() {
  return TestRouter(model_yaml("m", {"--sse-events", "2", "--sse-interval", "600000"}),
                    "limits: {stream_idle_timeout: 500ms}\n");
}

TEST(StreamingTest, StreamSilentForStreamIdleTimeoutEndsWithAnErrorEvent) {
  TestRouter router = silent_worker_router();
  router.wait_ready("m");

  SseStream stream(router.port(), "POST", "/v1/chat/completions", chat_body({{"stream", true}}), {},
                   kLongWait);
  ASSERT_EQ(stream.status(), 200) << stream.body();
  std::vector<SseEvent> events;
  while (auto event = stream.next_event(kLongWait)) events.push_back(*event);
  EXPECT_NE(stream.end(), StreamEnd::timed_out) << stream.body();
  ASSERT_EQ(events.size(), 2u) << stream.body();
  EXPECT_EQ(json::parse(events[0].data)["seq"], 0);
  EXPECT_EQ(events[1].event, "error");
  EXPECT_EQ(json::parse(events[1].data)["error"]["code"], "upstream_timeout") << events[1].data;
  EXPECT_EQ(stream.body().find("[DONE]"), std::string::npos) << stream.body();
  // The worker's side of the stream is closed too, so it can stop generating.
  EXPECT_TRUE(wait_until([&] { return router.worker_stats("m")["aborted"] == 1; }, kLongWait))
      << router.worker_stats("m").dump();
}

// P5: only silence ends a stream, never its length: a stream much longer than
// stream_idle_timeout, an answer that comes after a silence just under it, and an answer of
// 12 MiB (over Beast's 8 MiB default for responses) all go through whole.
TEST(StreamingTest, LongStreamsSlowAnswersAndLargeAnswersAreNotCut) {
  TestRouter router(model_yaml("m", {"--sse-events", "30", "--sse-interval", "100"}),
                    "limits: {stream_idle_timeout: 1s}\n");
  router.wait_ready("m");

  SseStream stream(router.port(), "POST", "/v1/chat/completions", chat_body({{"stream", true}}), {},
                   kLongWait);
  int events = 0;
  while (auto event = stream.next_event(kLongWait)) ++events;
  EXPECT_EQ(stream.end(), StreamEnd::complete);
  EXPECT_EQ(events, 31) << "30 events over 3 s, then [DONE]";

  const HttpResponse slow = router.chat("m", {{"delay_ms", 700}});
  EXPECT_EQ(slow.status, 200) << slow.body;

  constexpr int kLarge = 12 << 20;
  const HttpResponse large = router.post("/v1/chat/completions", "m",
                                         {{"messages", json::array()}, {"reply_bytes", kLarge}}, {},
                                         std::chrono::seconds(60));
  ASSERT_EQ(large.status, 200) << large.body.substr(0, 300);
  EXPECT_EQ(large.json()["padding"].get<std::string>().size(), static_cast<std::size_t>(kLarge));
}

TEST(StreamingTest, RequestSilentForStreamIdleTimeoutIsA504) {
  TestRouter router = silent_worker_router();
  router.wait_ready("m");

  const HttpResponse response = router.chat("m", {{"delay_ms", 600000}});
  ASSERT_EQ(response.status, 504) << response.body;
  const json error = response.json()["error"];
  EXPECT_EQ(error["code"], "upstream_timeout");
  EXPECT_NE(error["message"].get<std::string>().find("'m'"), std::string::npos) << error;
  EXPECT_TRUE(wait_until([&] { return router.worker_stats("m")["aborted"] == 1; }, kLongWait))
      << router.worker_stats("m").dump();
}

}  // namespace
}  // namespace switchyard::test
