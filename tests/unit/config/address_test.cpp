#include "router/config/address.hpp"

#include <gtest/gtest.h>

namespace switchyard::config {
namespace {

TEST(ParseEndpoint, AcceptsHostPortAndBracketedV6) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:8080"), (Endpoint{"127.0.0.1", 8080}));
  EXPECT_EQ(parse_endpoint("localhost:0"), (Endpoint{"localhost", 0}));
  EXPECT_EQ(parse_endpoint("gpu-box.lan:65535"), (Endpoint{"gpu-box.lan", 65535}));
  EXPECT_EQ(parse_endpoint("[::1]:8081"), (Endpoint{"::1", 8081}));
  EXPECT_EQ(parse_endpoint("[::]:80"), (Endpoint{"::", 80}));
}

TEST(ParseEndpoint, RefusesMalformed) {
  for (const char* text :
       {"", "8080", ":8080", "host:", "host:65536", "host:-1", "host:80x", "::1:8080", "[::1]8080",
        "[::1:8080", "[nothost]:80", "a b:80", "host:123456", "http://host:80"}) {
    EXPECT_EQ(parse_endpoint(text), std::nullopt) << text;
  }
}

TEST(FormatEndpoint, BracketsV6) {
  EXPECT_EQ(format_endpoint({"::1", 80}), "[::1]:80");
  EXPECT_EQ(format_endpoint({"10.0.0.1", 80}), "10.0.0.1:80");
}

TEST(HostKinds, LoopbackAndWildcard) {
  for (const char* host : {"localhost", "LocalHost", "127.0.0.1", "127.1.2.3", "::1",
                           "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1"}) {
    EXPECT_TRUE(is_loopback_host(host)) << host;
  }
  for (const char* host : {"0.0.0.0", "::", "192.168.1.2", "128.0.0.1", "example.com", "::2"}) {
    EXPECT_FALSE(is_loopback_host(host)) << host;
  }
  EXPECT_TRUE(is_wildcard_host("0.0.0.0"));
  EXPECT_TRUE(is_wildcard_host("::"));
  EXPECT_FALSE(is_wildcard_host("127.0.0.1"));
  EXPECT_FALSE(is_wildcard_host("localhost"));
}

TEST(ListenersClash, SamePortOnSameOrWildcardHost) {
  EXPECT_TRUE(listeners_clash({"127.0.0.1", 8080}, {"127.0.0.1", 8080}));
  EXPECT_TRUE(listeners_clash({"0.0.0.0", 8080}, {"127.0.0.1", 8080}));
  EXPECT_TRUE(listeners_clash({"10.0.0.1", 8080}, {"::", 8080}));
  EXPECT_TRUE(listeners_clash({"localhost", 8080}, {"127.0.0.1", 8080}));
  EXPECT_TRUE(listeners_clash({"::1", 8080}, {"0:0::1", 8080}));
  EXPECT_FALSE(listeners_clash({"127.0.0.1", 8080}, {"127.0.0.1", 8081}));
  EXPECT_FALSE(listeners_clash({"127.0.0.1", 8080}, {"10.0.0.1", 8080}));
  EXPECT_FALSE(listeners_clash({"0.0.0.0", 0}, {"0.0.0.0", 0}));  // ephemeral ports differ
}

TEST(ReachesListener, OnlyWhenTheTargetIsCertainlyTheRouter) {
  EXPECT_TRUE(reaches_listener({"127.0.0.1", 8080}, {"127.0.0.1", 8080}));
  EXPECT_TRUE(reaches_listener({"localhost", 8080}, {"0.0.0.0", 8080}));
  EXPECT_FALSE(reaches_listener({"192.168.1.20", 8080}, {"0.0.0.0", 8080}));  // maybe elsewhere
  EXPECT_FALSE(reaches_listener({"127.0.0.1", 9000}, {"127.0.0.1", 8080}));
}

TEST(ParseHttpUrl, RequiresHttpHostAndPort) {
  const auto url = parse_http_url("http://192.168.1.20:9000/v1");
  ASSERT_TRUE(url.has_value());
  EXPECT_EQ(url->endpoint, (Endpoint{"192.168.1.20", 9000}));
  EXPECT_EQ(url->path, "/v1");
  EXPECT_EQ(parse_http_url("http://[::1]:9000")->path, "");
  for (const char* text : {"https://h:1", "http://h", "http://h:0", "h:80", "http://:80",
                           "http://h:80/a b", "http://h:80/?q", "ftp://h:80"}) {
    EXPECT_EQ(parse_http_url(text), std::nullopt) << text;
  }
}

}  // namespace
}  // namespace switchyard::config
