// H8: limits.max_connections per listener. At the limit a new connection takes the place of the
// oldest kept-alive connection waiting for its next request; with none such, it is closed at
// once, and the admin listener, which has its own count, still serves. The soft limit on open
// files is raised for the router and given back to its workers.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

const std::string kList = "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n\r\n";

std::string chat_stream_body() {
  return R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
}

// The soft limit on open files of `pid`, from /proc/PID/limits.
std::optional<long> soft_open_files(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("Max open files")) continue;
    std::istringstream fields(line.substr(std::string_view("Max open files").size()));
    long soft = 0;
    if (fields >> soft) return soft;
  }
  return std::nullopt;
}

TEST(ConnectionLimitsTest, AtTheLimitANewConnectionTakesTheOldestKeptAliveOnesPlace) {
  TestRouter router(model_yaml("m"), "limits: {max_connections: 2}\n");
  router.wait_ready("m");
  RawConnection oldest(router.port());
  oldest.send(kList);
  EXPECT_NE(oldest.read_until_closed(500ms).find("200 OK"), std::string::npos);
  RawConnection newer(router.port());
  newer.send(kList);
  EXPECT_NE(newer.read_until_closed(500ms).find("200 OK"), std::string::npos);

  // Two open, both kept alive: the third is served and the oldest closed for it.
  const HttpResponse third = http_request(router.port(), "GET", "/v1/models");
  EXPECT_EQ(third.status, 200) << third.body;
  bool closed = false;
  oldest.read_until_closed(5s, &closed);
  EXPECT_TRUE(closed) << "the oldest kept-alive connection stayed open";
  newer.send(kList);
  EXPECT_NE(newer.read_until_closed(500ms).find("200 OK"), std::string::npos)
      << "the newer one was closed instead";
}

TEST(ConnectionLimitsTest, AConnectionThatBeganItsNextRequestIsNotTheOneClosed) {
  TestRouter router(model_yaml("m"), "limits: {max_connections: 2}\n");
  router.wait_ready("m");
  RawConnection oldest(router.port());
  oldest.send(kList);
  EXPECT_NE(oldest.read_until_closed(500ms).find("200 OK"), std::string::npos);
  RawConnection newer(router.port());
  newer.send(kList);
  EXPECT_NE(newer.read_until_closed(500ms).find("200 OK"), std::string::npos);
  // The oldest starts its next request: half a header, read by the router before the third
  // connection comes (a round trip on the newer one orders the two).
  oldest.send("GET /v1/models HTTP/1.1\r\n");
  newer.send(kList);
  EXPECT_NE(newer.read_until_closed(500ms).find("200 OK"), std::string::npos);

  const HttpResponse third = http_request(router.port(), "GET", "/v1/models");
  EXPECT_EQ(third.status, 200) << third.body;
  bool closed = false;
  newer.read_until_closed(5s, &closed);
  EXPECT_TRUE(closed) << "the idle connection stayed open";
  oldest.send("Host: localhost\r\n\r\n");
  EXPECT_NE(oldest.read_until_closed(500ms).find("200 OK"), std::string::npos)
      << "the connection in the middle of a request was closed";
}

TEST(ConnectionLimitsTest, WithEveryConnectionBusyANewOneIsClosedAndAdminStillServes) {
  TestRouter router(model_yaml("m", {"--sse-events", "1000", "--sse-interval", "20"}),
                    "limits: {max_connections: 2}\n");
  router.wait_ready("m");
  auto first = std::make_unique<SseStream>(router.port(), "POST", "/v1/chat/completions",
                                           chat_stream_body());
  auto second = std::make_unique<SseStream>(router.port(), "POST", "/v1/chat/completions",
                                            chat_stream_body());
  ASSERT_TRUE(first->next_event());
  ASSERT_TRUE(second->next_event());

  bool closed = false;
  const std::string refused = raw_exchange(router.port(), kList, 5s, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(refused, "") << "a connection over the limit got an answer";
  EXPECT_TRUE(first->next_event()) << "an open stream suffered";
  EXPECT_EQ(admin_get(router.admin_port(), "/admin/models").status, 200);

  first.reset();
  second.reset();
  // Until the router has seen the streams go, a new connection is still closed at once.
  EXPECT_TRUE(wait_until(
      [&] {
        try {
          return http_request(router.port(), "GET", "/v1/models").status == 200;
        } catch (const std::runtime_error&) {
          return false;
        }
      },
      kLongWait));
}

TEST(ConnectionLimitsTest, RouterRaisesItsOpenFileLimitAndWorkersGetTheOldOne) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &saved), 0);
  if (saved.rlim_max != RLIM_INFINITY && saved.rlim_max <= 512) {
    GTEST_SKIP() << "hard limit " << saved.rlim_max << " leaves nothing to raise";
  }
  rlimit low = saved;
  low.rlim_cur = 512;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::optional<TestRouter> router;
  try {
    router.emplace(model_yaml("m"));
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &saved);
    throw;
  }
  ::setrlimit(RLIMIT_NOFILE, &saved);
  const int worker = router->wait_ready("m")["pid"];

  const auto router_files = soft_open_files(router->process().pid());
  ASSERT_TRUE(router_files);
  if (saved.rlim_max == RLIM_INFINITY) {
    EXPECT_GT(*router_files, 512);
  } else {
    EXPECT_EQ(*router_files, static_cast<long>(saved.rlim_max));
  }
  EXPECT_EQ(soft_open_files(worker), 512);
}

}  // namespace
}  // namespace switchyard::test
