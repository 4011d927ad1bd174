// CORS (X7): a page of an accepted origin, such as a chat front end served from another host or
// port, reads every answer of either listener (proxied, streamed, refused) after its preflight.
// The router alone decides: it names the page's origin, never "*", and a worker's own
// Access-Control-* fields never reach the page.
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

const std::string kPage = "http://chat.lan:3000";
const Headers kAdmin{{"Authorization", "Bearer admin-key"}};
const Headers kFromPage{{"Origin", kPage}, {"Authorization", "Bearer inference-key"}};

std::string field(const HeaderMap& headers, const std::string& name) {
  const auto [first, last] = headers.equal_range(name);
  if (first == last) return "<absent>";
  std::string values;
  for (auto it = first; it != last; ++it) values += (values.empty() ? "" : " | ") + it->second;
  return values;
}

// What a page of `origin` needs to read an answer, and nothing a worker sent of its own.
void expect_readable_by(const HeaderMap& headers, const std::string& origin,
                        std::string_view what) {
  EXPECT_EQ(field(headers, "access-control-allow-origin"), origin) << what;
  EXPECT_NE(field(headers, "vary").find("Origin"), std::string::npos) << what;
  EXPECT_NE(field(headers, "access-control-expose-headers").find("X-Request-Id"), std::string::npos)
      << what;
  EXPECT_EQ(field(headers, "access-control-allow-headers"), "<absent>") << what;
}

HttpResponse preflight(std::uint16_t port, std::string_view path, const std::string& origin,
                       std::string_view asked_headers) {
  return http_request(port, "OPTIONS", path, {},
                      {{"Origin", origin},
                       {"Access-Control-Request-Method", "POST"},
                       {"Access-Control-Request-Headers", std::string(asked_headers)}});
}

TEST(CorsTest, PagesOfAcceptedOriginsReadEveryAnswerAfterTheirPreflight) {
  TestRouter router(model_yaml("m"),
                    "api_keys: [\"inference-key\"]\n"
                    "admin_keys: [\"admin-key\"]\n"
                    "allowed_origins: [\"" +
                        kPage + "\"]\n",
                    kAdmin);
  router.wait_ready("m");
  const std::uint16_t port = router.port();
  const std::uint16_t admin = router.admin_port();

  // The browser asks first, with no key; the router answers for the worker.
  const std::string asked = "authorization, content-type, x-stainless-os";
  const HttpResponse asked_api = preflight(port, "/v1/chat/completions", kPage, asked);
  EXPECT_EQ(asked_api.status, 204) << asked_api.body;
  EXPECT_EQ(asked_api.body, "");
  EXPECT_EQ(field(asked_api.headers, "access-control-allow-origin"), kPage);
  EXPECT_EQ(field(asked_api.headers, "access-control-allow-headers"), asked);
  EXPECT_NE(field(asked_api.headers, "access-control-allow-methods").find("POST"),
            std::string::npos);
  EXPECT_EQ(router.worker_stats("m")["requests"], 0) << "the preflight reached the worker";

  const HttpResponse chat = router.chat("m", {}, kFromPage);
  EXPECT_EQ(chat.status, 200) << chat.body;
  expect_readable_by(chat.headers, kPage, "proxied answer");

  SseStream stream(port, "POST", "/v1/chat/completions",
                   json{{"model", "m"}, {"stream", true}, {"messages", json::array()}}.dump(),
                   kFromPage);
  EXPECT_EQ(stream.status(), 200) << stream.body();
  expect_readable_by(stream.headers(), kPage, "stream");
  while (stream.next_event()) {
  }
  EXPECT_EQ(stream.end(), StreamEnd::complete);

  const HttpResponse no_key =
      http_request(port, "POST", "/v1/chat/completions", "{}", {{"Origin", kPage}});
  EXPECT_EQ(no_key.status, 401);
  expect_readable_by(no_key.headers, kPage, "401");
  const HttpResponse unknown = router.chat("nope", {}, kFromPage);
  EXPECT_EQ(unknown.status, 404);
  expect_readable_by(unknown.headers, kPage, "404");
  expect_readable_by(http_request(port, "GET", "/v1/models", {}, kFromPage).headers, kPage,
                     "model list");

  // The admin listener alike, with its own key.
  const HttpResponse asked_admin = preflight(admin, "/admin/models", kPage, "authorization");
  EXPECT_EQ(asked_admin.status, 204) << asked_admin.body;
  EXPECT_EQ(field(asked_admin.headers, "access-control-allow-origin"), kPage);
  Headers admin_from_page = kAdmin;
  admin_from_page.emplace_back("Origin", kPage);
  const HttpResponse models = admin_get(admin, "/admin/models", admin_from_page);
  EXPECT_EQ(models.status, 200) << models.body;
  expect_readable_by(models.headers, kPage, "admin list");
  const HttpResponse admin_401 = admin_get(admin, "/admin/models", {{"Origin", kPage}});
  EXPECT_EQ(admin_401.status, 401);
  expect_readable_by(admin_401.headers, kPage, "admin 401");

  // Without an Origin (the SDKs, curl) no CORS field at all, the worker's "*" included.
  const HttpResponse plain = router.chat("m", {}, {{"Authorization", "Bearer inference-key"}});
  EXPECT_EQ(plain.status, 200);
  EXPECT_EQ(field(plain.headers, "access-control-allow-origin"), "<absent>");
  EXPECT_EQ(field(plain.headers, "vary"), "<absent>");

  // A malformed preflight is named.
  const HttpResponse bad = preflight(port, "/v1/chat/completions", kPage, "content-type;q=1");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("Access-Control-Request-Headers"), std::string::npos) << bad.body;
  // Another origin gets the 403 and nothing that would let it read it.
  const HttpResponse other = preflight(port, "/v1/chat/completions", "http://chat.lan:3001", "");
  EXPECT_EQ(other.status, 403);
  EXPECT_EQ(field(other.headers, "access-control-allow-origin"), "<absent>");
}

// The answers the listener writes for a request it would not read: once the header is whole, a
// page of an accepted origin can read why (here a body over the limit) instead of seeing a
// network error; an unreadable header says nothing about its origin, so it gets no CORS field.
TEST(CorsTest, RefusalsOfTheListenerAreReadableOnceTheHeaderIsWhole) {
  TestRouter router(model_yaml("m"), "allowed_origins: [\"" + kPage + "\"]\n");
  router.wait_ready("m");
  const auto too_large = [&](const std::string& origin) {
    return raw_exchange(router.port(),
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                        "Origin: " +
                            origin +
                            "\r\nContent-Type: application/json\r\n"
                            "Content-Length: 999999999999\r\n\r\n{",
                        std::chrono::seconds(5));
  };
  const std::string accepted = too_large(kPage);
  EXPECT_TRUE(accepted.starts_with("HTTP/1.1 413")) << accepted;
  EXPECT_NE(accepted.find("Access-Control-Allow-Origin: " + kPage + "\r\n"), std::string::npos)
      << accepted;
  EXPECT_NE(accepted.find("Vary: Origin\r\n"), std::string::npos) << accepted;

  const std::string other = too_large("http://chat.lan:3001");
  EXPECT_TRUE(other.starts_with("HTTP/1.1 413")) << other;
  EXPECT_EQ(other.find("Access-Control-"), std::string::npos) << other;

  const std::string unreadable = raw_exchange(
      router.port(),
      "POST /v1/chat/completions HTTP/1.1\r\nOrigin: " + kPage + "\r\nBad\x01Field: x\r\n\r\n",
      std::chrono::seconds(5));
  EXPECT_TRUE(unreadable.starts_with("HTTP/1.1 400")) << unreadable;
  EXPECT_EQ(unreadable.find("Access-Control-"), std::string::npos) << unreadable;
}

TEST(CorsTest, TheWildcardAcceptsEveryOriginButIsNeverSent) {
  TestRouter router(model_yaml("m"), "allowed_origins: [\"*\"]\n");
  router.wait_ready("m");
  const std::string origin = "https://any.example";
  const HttpResponse asked = preflight(router.port(), "/v1/chat/completions", origin, "");
  EXPECT_EQ(asked.status, 204);
  EXPECT_EQ(field(asked.headers, "access-control-allow-origin"), origin);
  const HttpResponse chat = router.chat("m", {}, {{"Origin", origin}});
  EXPECT_EQ(chat.status, 200) << chat.body;
  expect_readable_by(chat.headers, origin, "wildcard");
}

}  // namespace
}  // namespace switchyard::test
