// The admin listener's read side: /admin/models reports where each worker comes from and runs,
// /ready names the models that are not ready, and a log follow streams new worker lines as
// they are printed.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

TEST(AdminTest, ModelsListReportsSourcePortUptimeAndType) {
  TestRouter router(model_yaml("chat", {}, "aliases: [gpt-test]") +
                    model_yaml("img", {}, "type: image"));
  const json chat = router.wait_ready("chat");
  router.wait_ready("img");

  const std::string command_source = "command:" + fake_worker_path().string();
  for (const auto& [name, type] : {std::pair{"chat", "text"}, std::pair{"img", "image"}}) {
    SCOPED_TRACE(name);
    const json status = router.model_status(name).value();
    EXPECT_EQ(status["type"], type);
    EXPECT_EQ(status["source"], command_source);
    // The port is the worker's own: its /stats answers there with the pid the router reports.
    ASSERT_TRUE(status["port"].is_number()) << status;
    EXPECT_EQ(http_request(status["port"].get<std::uint16_t>(), "GET", "/stats").json()["pid"],
              status["pid"]);
    EXPECT_EQ(status["restarts"], 0);
    EXPECT_TRUE(status["last_exit"].is_null()) << status;
    EXPECT_EQ(status["requests_in_flight"], 0);
  }
  EXPECT_EQ(chat["aliases"], json({"gpt-test"}));

  // Uptime counts from the spawn and keeps counting.
  const double uptime = chat["uptime_seconds"];
  EXPECT_GT(uptime, 0.0);
  router.wait_model(
      "chat", [&](const json& s) { return s["uptime_seconds"].get<double>() > uptime; },
      "counting its uptime");

  const HttpResponse one = admin_get(router.admin_port(), "/admin/models/img");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["name"], "img");
  EXPECT_EQ(one.json()["type"], "image");
}

// Prometheus' text format: each family's TYPE line once, its samples right after it.
TEST(AdminTest, MetricsGroupEachFamilyAndCountPerModel) {
  TestRouter router(model_yaml("chat") + model_yaml("img", {}, "type: image"));
  router.wait_ready("chat");
  router.wait_ready("img");
  EXPECT_EQ(router.chat("chat").status, 200);
  EXPECT_EQ(router.chat("img").status, 400);  // a chat request for an image model

  const HttpResponse metrics = admin_get(router.admin_port(), "/metrics");
  ASSERT_EQ(metrics.status, 200) << metrics.body;
  std::map<std::string, std::string> samples;  // sample name with labels -> value
  std::set<std::string> families_seen;
  std::string family;
  std::istringstream lines(metrics.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      family = line.substr(7, line.find(' ', 7) - 7);
      EXPECT_TRUE(families_seen.insert(family).second) << family << " has two TYPE lines";
      continue;
    }
    const std::string name = line.substr(0, line.find_first_of("{ "));
    EXPECT_EQ(name, family) << "a sample outside its family's group: " << line;
    samples[line.substr(0, line.rfind(' '))] = line.substr(line.rfind(' ') + 1);
  }
  EXPECT_EQ(samples[R"(switchyard_model_requests_total{model="chat",code="2xx"})"], "1");
  EXPECT_EQ(samples[R"(switchyard_model_requests_total{model="img",code="4xx"})"], "1");
  for (const auto* model : {"chat", "img"}) {
    const std::string label = std::string("{model=\"") + model + "\"}";
    EXPECT_EQ(samples["switchyard_model_ready" + label], "1") << model;
    EXPECT_EQ(samples["switchyard_model_restarts_total" + label], "0") << model;
    EXPECT_EQ(samples["switchyard_model_ejections_total" + label], "0") << model;
  }
}

TEST(AdminTest, ReadyIs503NamingTheModelsNotReadyThen200) {
  TempDir dir;
  const auto hang_file = dir.write("hang", "");
  // Its health checks hang while the file exists, so it stays `starting` until the test says.
  TestRouter router(model_yaml("fast") +
                    model_yaml("slow", {"--hang-health-file", hang_file.string()},
                               "health: {timeout: 300ms, startup_timeout: 600s}"));
  router.wait_ready("fast");

  const HttpResponse waiting = admin_get(router.admin_port(), "/ready");
  ASSERT_EQ(waiting.status, 503) << waiting.body;
  const json body = waiting.json();
  EXPECT_EQ(body["status"], "not ready");
  EXPECT_EQ(body["not_ready"], json({{"slow", "starting"}})) << body;

  std::filesystem::remove(hang_file);
  router.wait_ready("slow");
  const HttpResponse ready = admin_get(router.admin_port(), "/ready");
  ASSERT_EQ(ready.status, 200) << ready.body;
  EXPECT_EQ(ready.json()["status"], "ready");
  EXPECT_TRUE(ready.json()["not_ready"].empty()) << ready.body;
}

TEST(AdminTest, FollowingLogsStreamsEachNewLine) {
  TestRouter router(model_yaml("m"));
  router.wait_ready("m");

  SseStream follow(router.admin_port(), "GET", "/admin/models/m/logs?tail=0&follow=1");
  ASSERT_EQ(follow.status(), 200) << follow.body();
  const auto type = follow.headers().find("content-type");
  ASSERT_NE(type, follow.headers().end());
  EXPECT_TRUE(type->second.starts_with("text/event-stream")) << type->second;

  // fake_worker prints one line per request it gets.
  ASSERT_EQ(router.chat("m").status, 200);
  std::optional<SseEvent> line;
  while ((line = follow.next_event(kLongWait))) {
    if (line->data.find("request POST /v1/chat/completions") != std::string::npos) break;
  }
  ASSERT_TRUE(line.has_value()) << "no such line in: " << follow.body();
  EXPECT_EQ(follow.body().find("listening on"), std::string::npos)
      << "tail=0 sends only lines printed from now on";
}

}  // namespace
}  // namespace switchyard::test
