// Config reloads (S12, P7) by SIGHUP and POST /admin/reload: added, removed, changed and
// unchanged models each get what the reload plan promises; a broken file changes nothing and
// says why. Also the config checks that happen before the router ever runs.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

enum class Trigger { sighup, admin_post };

std::string before() { return model_yaml("keep") + model_yaml("change") + model_yaml("remove"); }
std::string after() {
  // `change` gets another command line; `keep` is the same, only moved.
  return model_yaml("added") + model_yaml("change", {"--sse-interval", "50"}) + model_yaml("keep");
}

std::set<std::string> names(const json& admin_models) {
  std::set<std::string> out;
  for (const auto& model : admin_models["models"]) out.insert(model["name"]);
  return out;
}

class ReloadTest : public ::testing::TestWithParam<Trigger> {};

TEST_P(ReloadTest, AddsRemovesChangesAndKeepsModels) {
  TestRouter router(before());
  const int keep_pid = router.wait_ready("keep")["pid"];
  const int change_pid = router.wait_ready("change")["pid"];
  const int remove_pid = router.wait_ready("remove")["pid"];

  router.rewrite_config(after());
  if (GetParam() == Trigger::sighup) {
    router.process().send_signal(SIGHUP);
  } else {
    const HttpResponse response = admin_post(router.admin_port(), "/admin/reload");
    ASSERT_EQ(response.status, 200) << response.body;
    const json plan = response.json();
    EXPECT_EQ(plan["added"], json({"added"}));
    EXPECT_EQ(plan["removed"], json({"remove"}));
    EXPECT_EQ(plan["changed"], json({"change"}));
    EXPECT_EQ(plan["unchanged"], json({"keep"}));
  }

  ASSERT_TRUE(wait_until(
      [&] {
        return names(router.admin_models()) == std::set<std::string>{"added", "change", "keep"};
      },
      kLongWait))
      << router.admin_models().dump(2);
  const json added = router.wait_ready("added");
  const json changed = router.wait_model(
      "change", [&](const json& s) { return s["state"] == "ready" && s["pid"] != change_pid; },
      "replaced");
  EXPECT_TRUE(wait_until([&] { return !process_alive(change_pid); }, 5s));
  EXPECT_TRUE(wait_until([&] { return !process_alive(remove_pid); }, 5s))
      << "the removed model's worker is still running";

  const json kept = router.model_status("keep").value();
  EXPECT_EQ(kept["pid"], keep_pid);
  EXPECT_EQ(kept["state"], "ready");
  EXPECT_EQ(kept["restarts"], 0);
  // The listing follows the new file's order.
  const json listed = router.admin_models()["models"];
  EXPECT_EQ(listed[0]["name"], "added");
  EXPECT_EQ(listed[2]["name"], "keep");

  const HttpResponse gone = router.chat("remove");
  EXPECT_EQ(gone.status, 404) << gone.body;
  const HttpResponse to_added = router.chat("added");
  ASSERT_EQ(to_added.status, 200) << to_added.body;
  EXPECT_EQ(to_added.json()["pid"], added["pid"]);
  const HttpResponse to_changed = router.chat("change");
  ASSERT_EQ(to_changed.status, 200) << to_changed.body;
  EXPECT_EQ(to_changed.json()["pid"], changed["pid"]);
  EXPECT_EQ(router.chat("keep").json()["pid"], keep_pid);
  EXPECT_TRUE(router.admin_models()["last_reload_errors"].empty());
}

INSTANTIATE_TEST_SUITE_P(Triggers, ReloadTest,
                         ::testing::Values(Trigger::sighup, Trigger::admin_post),
                         [](const auto& info) {
                           return info.param == Trigger::sighup ? "Sighup" : "AdminPost";
                         });

// P7: a model a reload removes while it streams keeps its stream to the end, byte for byte; new
// requests for it get 404 at once, and its worker is stopped only once the stream is done.
TEST(ReloadDrainTest, RemovedModelFinishesItsStreamThenItsWorkerStops) {
  TestRouter router(model_yaml("going", {"--sse-events", "40", "--sse-interval", "100"}) +
                    model_yaml("staying"));
  const int going_pid = router.wait_ready("going")["pid"];
  router.wait_ready("staying");
  SseStream stream(
      router.port(), "POST", "/v1/chat/completions",
      R"({"model":"going","stream":true,"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(stream.status(), 200) << stream.body();
  ASSERT_TRUE(stream.next_event());

  router.rewrite_config(model_yaml("staying"));
  router.process().send_signal(SIGHUP);
  ASSERT_TRUE(wait_until([&] { return router.chat("going").status == 404; }, kLongWait));
  EXPECT_TRUE(process_alive(going_pid)) << "stopped while its stream was open";

  int events = 1;
  std::string last;
  while (auto event = stream.next_event()) {
    ++events;
    last = event->data;
  }
  EXPECT_EQ(stream.end(), StreamEnd::complete);
  EXPECT_EQ(events, 41) << stream.body();
  EXPECT_EQ(last, "[DONE]");
  EXPECT_TRUE(wait_until([&] { return !process_alive(going_pid); }, 5s))
      << "the removed model's worker outlived its stream";
  EXPECT_EQ(router.chat("staying").status, 200);
}

TEST(SighupTest, SighupRightAfterStartupIsNotFatal) {
  // router.json is written before the workers spawn: a reload asked for at once must find the
  // signal handled (it used to kill the router).
  TestRouter router(model_yaml("a") + model_yaml("b") + model_yaml("c") + model_yaml("d"));
  router.process().send_signal(SIGHUP);
  for (const char* name : {"a", "b", "c", "d"}) router.wait_ready(name);
  EXPECT_FALSE(router.process().wait_exit(0ms).has_value()) << "the router died of SIGHUP";
  EXPECT_EQ(router.chat("a").status, 200);
}

TEST(InvalidReloadTest, BrokenFileKeepsTheOldConfigLiveAndReportsErrors) {
  TestRouter router(model_yaml("a") + model_yaml("b"));
  const int a_pid = router.wait_ready("a")["pid"];
  const int b_pid = router.wait_ready("b")["pid"];
  const std::string file = router.process().config_path().filename().string();

  // A flow list left open: a YAML syntax error, with a line to report.
  router.rewrite_config_text(router_config(router.runtime_dir(), model_yaml("a")) +
                             "  b:\n    command: [\"unterminated\"\n");

  router.process().send_signal(SIGHUP);
  json errors;
  ASSERT_TRUE(wait_until(
      [&] {
        errors = router.admin_models()["last_reload_errors"];
        return !errors.empty();
      },
      kLongWait));
  EXPECT_NE(errors[0].get<std::string>().find(file + ":"), std::string::npos) << errors;

  const HttpResponse response = admin_post(router.admin_port(), "/admin/reload");
  ASSERT_EQ(response.status, 400) << response.body;
  const json error = response.json()["error"];
  EXPECT_EQ(error["code"], "invalid_config");
  ASSERT_TRUE(error["details"].is_array() && !error["details"].empty()) << error;
  const std::string detail = error["details"][0];
  // file:line:column: message
  EXPECT_NE(detail.find(file + ":"), std::string::npos) << detail;
  EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(detail[detail.find(file) + file.size() + 1])))
      << detail;
  EXPECT_EQ(router.admin_models()["last_reload_errors"], error["details"]);

  // Nothing changed: same workers, still served (b would be gone had the file been applied).
  EXPECT_EQ(router.model_status("a").value()["pid"], a_pid);
  EXPECT_EQ(router.model_status("b").value()["pid"], b_pid);
  EXPECT_EQ(router.chat("a").status, 200);
  EXPECT_EQ(router.chat("b").status, 200);

  // A valid file is taken again, and the error report goes away.
  router.rewrite_config(model_yaml("a") + model_yaml("b"));
  const HttpResponse fixed = admin_post(router.admin_port(), "/admin/reload");
  ASSERT_EQ(fixed.status, 200) << fixed.body;
  EXPECT_EQ(fixed.json()["unchanged"], json({"a", "b"}));
  EXPECT_TRUE(router.admin_models()["last_reload_errors"].empty());
  EXPECT_EQ(router.model_status("a").value()["pid"], a_pid);
}

TEST(CheckConfigTest, BadFileExitsOnePrintingFileAndLine) {
  TempDir dir;
  const std::string prelude = router_config_prelude(dir.path() / "run");
  const auto line_of = [&](int after_prelude) {
    return std::to_string(std::count(prelude.begin(), prelude.end(), '\n') + after_prelude);
  };
  const auto file = dir.write("bad.yaml", prelude +
                                              "limits:\n"
                                              "  header_timeout: 10\n"  // 2: no unit
                                              "models:\n" +
                                              model_yaml("m") +            // 4 and 5
                                              "    helth: {path: /x}\n");  // 6: misspelt
  const auto [code, output] = run_router_to_exit({"--check-config", file.string()});
  EXPECT_EQ(code, 1) << output;
  EXPECT_NE(output.find(file.string() + ":" + line_of(2) + ":"), std::string::npos) << output;
  // Every problem at once: the misspelt key is reported with its own line.
  EXPECT_NE(output.find(file.string() + ":" + line_of(6) + ":"), std::string::npos) << output;
  EXPECT_NE(output.find("helth"), std::string::npos) << output;

  const auto good = dir.write("good.yaml", router_config(dir.path() / "run", model_yaml("m")));
  const auto [good_code, good_output] = run_router_to_exit({"--check-config", good.string()});
  EXPECT_EQ(good_code, 0) << good_output;
  // Checking starts nothing: no runtime_dir appears.
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run"));
}

}  // namespace
}  // namespace switchyard::test
