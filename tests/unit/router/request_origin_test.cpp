#include "router/http/request_origin.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "common/http/request.hpp"

namespace switchyard::http {
namespace {

const std::vector<std::string> kNone;

TEST(HostNameOf, DropsThePortAndTheBrackets) {
  EXPECT_EQ(host_name_of("example.com:8080"), "example.com");
  EXPECT_EQ(host_name_of("example.com"), "example.com");
  EXPECT_EQ(host_name_of("127.0.0.1:80"), "127.0.0.1");
  EXPECT_EQ(host_name_of("[::1]:8080"), "::1");
  EXPECT_EQ(host_name_of("[::1]"), "::1");
  EXPECT_EQ(host_name_of("[::1"), "[::1");
}

TEST(HostAllowed, OnLoopbackOnlyAddressesAndLocalNames) {
  for (const auto* host : {"127.0.0.1:8080", "127.0.0.1", "[::1]:8080", "localhost:8080",
                           "LOCALHOST", "localhost.:8080", "chat.localhost:8080", "10.0.0.5:8080",
                           "[fe80::1]:80", "192.168.001.5", ""}) {
    EXPECT_TRUE(host_allowed(host, "127.0.0.1", kNone)) << host;
  }
  // DNS rebinding: a name the attacker's DNS points at 127.0.0.1.
  for (const auto* host :
       {"evil.example:8080", "evil.example", "localhost.evil.example", "127.0.0.1.nip.io:8080",
        "notlocalhost:8080", ".localhost", "1e100.example", "[evil.example]:80"}) {
    EXPECT_FALSE(host_allowed(host, "127.0.0.1", kNone)) << host;
    EXPECT_FALSE(host_allowed(host, "::1", kNone)) << host;
    EXPECT_FALSE(host_allowed(host, "localhost", kNone)) << host;
  }
}

TEST(HostAllowed, ListedNamesInAnyCaseAndTheWildcard) {
  const std::vector<std::string> listed{"router.lan", "Models.Example"};
  EXPECT_TRUE(host_allowed("router.lan:8080", "127.0.0.1", listed));
  EXPECT_TRUE(host_allowed("ROUTER.LAN", "127.0.0.1", listed));
  EXPECT_TRUE(host_allowed("models.example:443", "127.0.0.1", listed));
  EXPECT_FALSE(host_allowed("evil.example", "127.0.0.1", listed));
  EXPECT_FALSE(host_allowed("sub.router.lan", "127.0.0.1", listed));
  EXPECT_TRUE(host_allowed("anything.example", "127.0.0.1", {"*"}));
}

TEST(HostAllowed, OffLoopbackAnyNameUnlessAListIsGiven) {
  EXPECT_TRUE(host_allowed("box.lan:8080", "0.0.0.0", kNone));
  EXPECT_TRUE(host_allowed("box.lan:8080", "192.168.1.5", kNone));
  EXPECT_FALSE(host_allowed("box.lan:8080", "0.0.0.0", {"router.lan"}));
  EXPECT_TRUE(host_allowed("192.168.1.5:8080", "0.0.0.0", {"router.lan"}));
}

TEST(OriginAllowed, LocalPagesOnlyByDefault) {
  for (const auto* origin : {"http://localhost:3000", "http://localhost", "https://localhost:8443",
                             "HTTP://LOCALHOST:3000", "http://127.0.0.1:5173", "http://[::1]:3000",
                             "http://chat.localhost:3000"}) {
    EXPECT_TRUE(origin_allowed(origin, kNone)) << origin;
  }
  for (const auto* origin :
       {"http://evil.example", "https://evil.example:443", "null", "http://localhost.evil.example",
        "http://10.0.0.5:3000", "file://", "chrome-extension://abc", "localhost:3000", "http://"}) {
    EXPECT_FALSE(origin_allowed(origin, kNone)) << origin;
  }
}

TEST(OriginAllowed, ListedOriginsExactlyInAnyCase) {
  const std::vector<std::string> listed{"http://chat.lan:3000", "app://desktop", "null"};
  EXPECT_TRUE(origin_allowed("http://chat.lan:3000", listed));
  EXPECT_TRUE(origin_allowed("HTTP://Chat.Lan:3000", listed));
  EXPECT_TRUE(origin_allowed("app://desktop", listed));
  EXPECT_TRUE(origin_allowed("null", listed));
  EXPECT_FALSE(origin_allowed("http://chat.lan:3001", listed));
  EXPECT_FALSE(origin_allowed("https://chat.lan:3000", listed));
  EXPECT_TRUE(origin_allowed("https://anything.example", {"*"}));
}

Request request_with(std::vector<std::pair<std::string, std::string>> fields) {
  Request request(boost::beast::http::verb::post, "/v1/chat/completions");
  for (const auto& [name, value] : fields) request.insert(name, value);
  return request;
}

// The ApiError check_request_origin throws, or nullopt when it lets the request go on.
std::optional<ApiError> refusal(const Request& request, std::string_view listen_host) {
  try {
    check_request_origin(request, listen_host, kNone, kNone);
  } catch (const ApiError& error) {
    return error;
  }
  return std::nullopt;
}

TEST(CheckRequestOrigin, NamesTheHostOrOriginAndTheKeyThatWouldAllowIt) {
  EXPECT_FALSE(refusal(request_with({{"Host", "127.0.0.1:8080"}}), "127.0.0.1"));
  EXPECT_FALSE(
      refusal(request_with({{"Host", "localhost:8080"}, {"Origin", "http://localhost:3000"}}),
              "127.0.0.1"));

  const auto host = refusal(request_with({{"Host", "evil.example:8080"}}), "127.0.0.1");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->status(), 403);
  EXPECT_NE(std::string(host->what()).find("'evil.example'"), std::string::npos) << host->what();
  EXPECT_NE(std::string(host->what()).find("allowed_hosts"), std::string::npos) << host->what();
  EXPECT_NE(host->body().find("host_not_allowed"), std::string::npos) << host->body();

  const auto origin = refusal(
      request_with({{"Host", "127.0.0.1:8080"}, {"Origin", "http://evil.example"}}), "127.0.0.1");
  ASSERT_TRUE(origin);
  EXPECT_EQ(origin->status(), 403);
  EXPECT_NE(std::string(origin->what()).find("http://evil.example"), std::string::npos);
  EXPECT_NE(origin->body().find("origin_not_allowed"), std::string::npos) << origin->body();
  // Off loopback too: a LAN router may run without keys (allow_unauthenticated).
  EXPECT_TRUE(
      refusal(request_with({{"Host", "box.lan"}, {"Origin", "http://evil.example"}}), "0.0.0.0"));
}

}  // namespace
}  // namespace switchyard::http
