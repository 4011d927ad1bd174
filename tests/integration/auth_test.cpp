// Authentication and exposure (X1-X5, X7): API keys on /v1/*, some limited to some models, admin
// keys on the admin listener and never interchangeable, the client's credentials never forwarded to
// a worker nor written anywhere, no start on a public address without keys, and no request from
// another site's page.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

const Headers kAdmin{{"Authorization", "Bearer admin-key"}};
const Headers kInference{{"Authorization", "Bearer inference-key"}};

void expect_401(const HttpResponse& response, std::string_view what) {
  EXPECT_EQ(response.status, 401) << what << ": " << response.body;
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer") << what;
  if (response.status == 401) {
    EXPECT_EQ(response.json()["error"]["type"], "authentication_error") << what;
  }
}

TEST(AuthTest, ApiKeysGuardTheApiAndNeverReachTheWorker) {
  TestRouter router(model_yaml("m"), "api_keys: [\"inference-key\", \"second-key\"]\n");
  router.wait_ready("m");
  const std::uint16_t port = router.port();

  expect_401(router.chat("m"), "no key");
  expect_401(http_request(port, "GET", "/v1/models"), "no key on /v1/models");
  expect_401(http_request(port, "GET", "/v1/nothing-here"), "no key on an unknown path");
  const std::vector<std::pair<std::string, Headers>> wrong = {
      {"wrong key", {{"Authorization", "Bearer nope"}}},
      {"key prefix", {{"Authorization", "Bearer inference"}}},
      {"empty bearer", {{"Authorization", "Bearer "}}},
      {"basic scheme", {{"Authorization", "Basic aW5mZXJlbmNlLWtleQ=="}}},
      {"bare key", {{"Authorization", "inference-key"}}},
      {"two headers",
       {{"Authorization", "Bearer inference-key"}, {"Authorization", "Bearer nope"}}},
  };
  for (const auto& [what, headers] : wrong) expect_401(router.chat("m", {}, headers), what);
  EXPECT_EQ(router.worker_stats("m")["requests"], 0) << "a refused request reached the worker";

  for (const auto& key : {"inference-key", "second-key"}) {
    const HttpResponse response =
        router.chat("m", {}, {{"Authorization", std::string("Bearer ") + key}});
    ASSERT_EQ(response.status, 200) << response.body;
    const json echo = response.json();
    EXPECT_TRUE(echo["authorization"].is_null()) << echo;
    EXPECT_FALSE(echo["headers"].contains("authorization")) << echo["headers"];
  }
  EXPECT_EQ(http_request(port, "GET", "/v1/models", {}, kInference).status, 200);
  // Liveness needs no key.
  EXPECT_EQ(http_request(port, "GET", "/healthz").status, 200);
}

// X2, X4: every route of the API, whatever its method, needs the key; malformed credentials
// (non-ASCII, a scheme with no token, a key with a space after it) never pass as anonymous.
TEST(AuthTest, EveryRouteNeedsTheKeyAndNoMalformedCredentialPasses) {
  TestRouter router(model_yaml("m"), "api_keys: [\"inference-key\"]\n");
  router.wait_ready("m");
  const std::uint16_t port = router.port();
  const std::vector<std::pair<std::string, std::string>> routes = {
      {"GET", "/v1/models"},
      {"GET", "/v1/models/m"},
      {"POST", "/v1/chat/completions"},
      {"POST", "/v1/completions"},
      {"POST", "/v1/embeddings"},
      {"POST", "/v1/images/generations"},
      {"POST", "/v1/images/edits"},
      {"POST", "/v1/images/variations"},
      {"POST", "/v1/audio/transcriptions"},
      {"POST", "/v1/audio/translations"},
      {"POST", "/v1/audio/speech"},
      {"DELETE", "/v1/models/m"},
      {"OPTIONS", "/v1/chat/completions"},
      {"GET", "/v1/chat/completions"},
      {"POST", "/v1/nothing-here"},
      {"GET", "/admin/models"},
  };
  const std::vector<std::pair<std::string, Headers>> credentials = {
      {"none", {}},
      {"wrong", {{"Authorization", "Bearer nope"}}},
      {"non-ASCII", {{"Authorization", "Bearer \xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"}}},
      {"non-ASCII after the key", {{"Authorization", "Bearer inference-key\xc3\xa9"}}},
      {"key then space", {{"Authorization", "Bearer inference-key x"}}},
      {"scheme only", {{"Authorization", "Bearer"}}},
      {"lower-case scheme, empty", {{"Authorization", "bearer "}}},
  };
  const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  for (const auto& [method, target] : routes) {
    for (const auto& [what, headers] : credentials) {
      expect_401(http_request(port, method, target, method == "POST" ? body : "", headers),
                 method + " " + target + " with " + what + " credentials");
    }
  }
  EXPECT_EQ(router.worker_stats("m")["requests"], 0) << "a refused request reached the worker";
}

// A key given `models` may use those only (by name or alias). It learns of no other: a model it
// may not use is a 404 like one that does not exist, and lists and errors name only its own.
TEST(AuthTest, AKeyLimitedToSomeModelsSeesAndUsesOnlyThose) {
  TestRouter router(model_yaml("big") + model_yaml("small", {}, "aliases: [tiny]"),
                    "api_keys:\n  - inference-key\n  - {key: guest-key, models: [tiny]}\n");
  router.wait_ready("big");
  router.wait_ready("small");
  const Headers guest{{"Authorization", "Bearer guest-key"}};
  const std::uint16_t port = router.port();

  EXPECT_EQ(router.chat("small", {}, guest).status, 200);
  EXPECT_EQ(router.chat("tiny", {}, guest).status, 200);
  for (const char* name : {"big", "nothing"}) {
    const HttpResponse refused = router.chat(name, {}, guest);
    ASSERT_EQ(refused.status, 404) << refused.body;
    EXPECT_EQ(refused.json()["error"]["code"], "model_not_found");
    EXPECT_EQ(refused.body.find("big", refused.body.find("models for this key")), std::string::npos)
        << "the 404 lists a model the key may not use: " << refused.body;
  }
  EXPECT_EQ(http_request(port, "GET", "/upstream/big/stats", "", guest).status, 404);
  EXPECT_EQ(http_request(port, "GET", "/v1/models/big", "", guest).status, 404);
  EXPECT_EQ(http_request(port, "GET", "/v1/models/tiny", "", guest).status, 200);
  const json list = http_request(port, "GET", "/v1/models", "", guest).json();
  std::vector<std::string> listed;
  for (const json& entry : list["data"]) listed.push_back(entry["id"]);
  EXPECT_EQ(listed, (std::vector<std::string>{"small", "tiny"}));
  EXPECT_EQ(router.worker_stats("big")["requests"], 0);

  // A key without `models` uses them all.
  EXPECT_EQ(router.chat("big", {}, kInference).status, 200);
  EXPECT_EQ(http_request(port, "GET", "/v1/models", "", kInference).json()["data"].size(), 3u);
}

TEST(AuthTest, AdminKeysAndInferenceKeysAreNotInterchangeable) {
  TestRouter router(model_yaml("m"), "api_keys: [\"inference-key\"]\nadmin_keys: [\"admin-key\"]\n",
                    kAdmin);
  router.wait_ready("m");
  const std::uint16_t admin = router.admin_port();

  const HttpResponse with_inference = admin_get(admin, "/admin/models", kInference);
  EXPECT_EQ(with_inference.status, 403) << with_inference.body;
  EXPECT_EQ(with_inference.json()["error"]["type"], "permission_error");
  expect_401(admin_get(admin, "/admin/models"), "no admin key");
  expect_401(admin_get(admin, "/admin/models", {{"Authorization", "Bearer nope"}}),
             "wrong admin key");
  const HttpResponse ok = admin_get(admin, "/admin/models", kAdmin);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()["models"][0]["name"], "m");

  // Every admin route, not only the listing.
  EXPECT_EQ(admin_get(admin, "/admin/models/m/logs", kInference).status, 403);
  EXPECT_EQ(admin_get(admin, "/metrics", kInference).status, 403);
  expect_401(admin_get(admin, "/metrics"), "no key on /metrics");
  EXPECT_EQ(admin_post(admin, "/admin/reload", kInference).status, 403);
  EXPECT_EQ(admin_post(admin, "/admin/models/m/stop", kInference).status, 403);
  expect_401(admin_post(admin, "/admin/models/m/stop"), "no key on stop");
  EXPECT_EQ(router.model_status("m").value()["state"], "ready") << "a refused stop stopped it";

  // Probes need no key.
  EXPECT_EQ(admin_get(admin, "/health").status, 200);
  EXPECT_EQ(admin_get(admin, "/ready").status, 200);

  // Nor does the admin key open the API.
  expect_401(router.chat("m", {}, kAdmin), "admin key on the API");
  EXPECT_EQ(router.chat("m", {}, kInference).status, 200);
}

// X7: a page of another site reaches a loopback daemon through a name its DNS points at
// 127.0.0.1 (DNS rebinding) or by a cross-site request; both are refused on both listeners,
// before anything runs, until the name or origin is allowed; reloads apply the lists at once.
TEST(AuthTest, RequestsFromPagesOfOtherSitesAreRefusedOnBothListeners) {
  TestRouter router(model_yaml("m"));
  router.wait_ready("m");
  const std::uint16_t port = router.port();
  const std::uint16_t admin = router.admin_port();
  const std::string chat = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  std::vector<HttpResponse> answers;
  const auto refused = [&](const HttpResponse& response, std::string_view code,
                           std::string_view what) {
    answers.push_back(response);
    EXPECT_EQ(response.status, 403) << what << ": " << response.body;
    if (response.status == 403) {
      EXPECT_EQ(response.json()["error"]["code"], code) << what;
    }
  };
  const Headers rebound{{"Host", "evil.example:" + std::to_string(port)}};
  const Headers cross_site{{"Origin", "http://evil.example"}};

  refused(http_request(port, "POST", "/v1/chat/completions", chat, rebound), "host_not_allowed",
          "rebound chat");
  refused(http_request(port, "GET", "/v1/models", {}, rebound), "host_not_allowed", "rebound list");
  refused(http_request(port, "POST", "/v1/chat/completions", chat, cross_site),
          "origin_not_allowed", "cross-site chat");
  refused(admin_post(admin, "/admin/models/m/stop", {{"Host", "evil.example"}}), "host_not_allowed",
          "rebound stop");
  refused(admin_get(admin, "/ready", {{"Host", "evil.example"}}), "host_not_allowed",
          "rebound ready");
  refused(admin_post(admin, "/admin/models/m/stop", cross_site), "origin_not_allowed",
          "cross-site stop");
  EXPECT_EQ(router.worker_stats("m")["requests"], 0) << "a refused request reached the worker";
  EXPECT_EQ(router.model_status("m").value()["state"], "ready") << "a refused stop stopped it";

  // Local names and pages are served, and the page may read the answer.
  const HttpResponse local = http_request(
      port, "POST", "/v1/chat/completions", chat,
      {{"Host", "localhost:" + std::to_string(port)}, {"Origin", "http://localhost:3000"}});
  EXPECT_EQ(local.status, 200) << local.body;
  EXPECT_EQ(local.header("Access-Control-Allow-Origin"), "http://localhost:3000");

  router.rewrite_config(model_yaml("m"),
                        "allowed_hosts: [\"router.lan\"]\n"
                        "allowed_origins: [\"http://chat.lan:3000\"]\n");
  router.process().send_signal(SIGHUP);
  const Headers named{{"Host", "Router.LAN:" + std::to_string(port)}};
  EXPECT_TRUE(wait_until(
      [&] { return http_request(port, "GET", "/v1/models", {}, named).status == 200; }, kLongWait));
  EXPECT_EQ(
      http_request(port, "POST", "/v1/chat/completions", chat, {{"Origin", "http://chat.lan:3000"}})
          .status,
      200);
  EXPECT_EQ(admin_get(admin, "/admin/models", {{"Host", "router.lan"}}).status, 200);
  refused(http_request(port, "GET", "/v1/models", {}, rebound), "host_not_allowed",
          "rebound after reload");
  refused(http_request(port, "POST", "/v1/chat/completions", chat,
                       {{"Origin", "http://chat.lan:3001"}}),
          "origin_not_allowed", "another port of a listed origin");
  // No refusal lets the page read it.
  for (const HttpResponse& answer : answers) {
    EXPECT_FALSE(answer.header("Access-Control-Allow-Origin").has_value()) << answer.body;
  }
}

// X5: every key the daemon is given or sent, right or wrong, in a header or in the URL, is
// absent from its log (at debug level), from everything the admin listener shows (the worker's
// captured output included) and from every error body.
TEST(AuthTest, KeysAppearInNoLogAdminOutputOrErrorBody) {
  TempDir dir;
  const std::filesystem::path runtime_dir = dir.path() / "run";
  RouterProcess router(
      router_binary_path(),
      router_config(runtime_dir, model_yaml("m"),
                    "api_keys: [\"SECRET-api\"]\nadmin_keys: [\"SECRET-admin\"]\n"),
      runtime_dir, std::chrono::seconds(20), {"--log-level", "debug"});
  const Headers api{{"Authorization", "Bearer SECRET-api"}};
  const Headers admin{{"Authorization", "Bearer SECRET-admin"}};
  ASSERT_TRUE(wait_until(
      [&] {
        const HttpResponse models = admin_get(router.admin_port(), "/admin/models", admin);
        return models.status == 200 && models.json()["models"][0]["state"] == "ready";
      },
      kLongWait));

  std::vector<std::string> seen;
  const auto keep = [&seen](const HttpResponse& response) {
    seen.push_back(response.body);
    for (const auto& [name, value] : response.headers) seen.push_back(name + ": " + value);
    return response;
  };
  const std::uint16_t port = router.port();
  const std::string chat = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  // A key in the URL is dropped on the way to the worker, which echoes the target it got.
  const HttpResponse served =
      keep(http_request(port, "POST", "/v1/chat/completions?api_key=SECRET-query&a=1", chat, api));
  ASSERT_EQ(served.status, 200) << served.body;
  EXPECT_EQ(served.json()["path"], "/v1/chat/completions?a=1");
  keep(http_request(port, "GET", "/v1/models?key=SECRET-query", {}, api));
  keep(http_request(port, "POST", "/v1/chat/completions?token=SECRET-query", chat));
  keep(http_request(port, "POST", "/v1/chat/completions", chat,
                    {{"Authorization", "Bearer SECRET-wrong"}}));
  keep(http_request(port, "POST", "/v1/chat/completions", "{\"model\":", api));
  keep(http_request(port, "POST", "/v1/embeddings?access_token=SECRET-query",
                    R"({"model":"nope","input":"x"})", api));
  seen.push_back(raw_exchange(port,
                              "GET /v1/models HTTP/1.1\r\nHost: localhost\r\n"
                              "Authorization : Bearer SECRET-malformed\r\n\r\n",
                              std::chrono::seconds(5)));
  seen.push_back(raw_exchange(port,
                              "GET /v1/models?api_key=SECRET-query HTTP/1.1\r\nHost: localhost\r\n"
                              "Bad\x01Field: SECRET-malformed\r\n\r\n",
                              std::chrono::seconds(5)));
  const std::uint16_t admin_port = router.admin_port();
  keep(admin_get(admin_port, "/admin/models", api));
  keep(admin_get(admin_port, "/admin/models?key=SECRET-query",
                 {{"Authorization", "Bearer SECRET-x"}}));
  for (const auto* target :
       {"/admin/models", "/admin/models/m/logs?tail=1000", "/metrics", "/ready", "/health"}) {
    const HttpResponse response = keep(admin_get(admin_port, target, admin));
    EXPECT_EQ(response.status, 200) << target << ": " << response.body;
  }
  seen.push_back(router.log_text());

  for (const std::string& text : seen) {
    EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  }
}

TEST(AuthTest, PublicListenWithoutApiKeysRefusesToStart) {
  TempDir dir;
  const std::string models = "models:\n" + model_yaml("m");
  const auto file =
      dir.write("public.yaml", "listen: 0.0.0.0:0\nadmin_listen: 127.0.0.1:0\nruntime_dir: " +
                                   (dir.path() / "run").string() + "\n" + models);
  const RouterExit refused = run_router_to_exit({"--config", file.string()});
  EXPECT_NE(refused.code, 0) << refused.output;
  EXPECT_NE(refused.output.find(file.string() + ":1:"), std::string::npos) << refused.output;
  EXPECT_NE(refused.output.find("api_keys"), std::string::npos) << refused.output;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "run" / "router.json"));

  const auto admin_file =
      dir.write("public-admin.yaml", "listen: 127.0.0.1:0\nadmin_listen: 0.0.0.0:0\nruntime_dir: " +
                                         (dir.path() / "run").string() + "\n" + models);
  const RouterExit admin_refused = run_router_to_exit({"--config", admin_file.string()});
  EXPECT_NE(admin_refused.code, 0) << admin_refused.output;
  EXPECT_NE(admin_refused.output.find("admin_keys"), std::string::npos) << admin_refused.output;
}

}  // namespace
}  // namespace switchyard::test
