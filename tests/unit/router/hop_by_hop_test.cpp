#include "router/proxy/hop_by_hop.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace switchyard::proxy {
namespace {

bool is_hop_by_hop(std::string_view name) { return proxy::is_hop_by_hop(http::field_name(name)); }

TEST(IsHopByHop, ConnectionLevelFields) {
  for (std::string_view name :
       {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
        "te", "trailer", "transfer-encoding", "upgrade"}) {
    EXPECT_TRUE(is_hop_by_hop(name)) << name;
  }
}

TEST(IsHopByHop, ClientCredentialsStayWithTheRouter) {
  EXPECT_TRUE(is_hop_by_hop("authorization"));
  EXPECT_TRUE(is_hop_by_hop("Authorization"));
}

TEST(IsHopByHop, CaseInsensitive) {
  EXPECT_TRUE(is_hop_by_hop("Connection"));
  EXPECT_TRUE(is_hop_by_hop("KEEP-ALIVE"));
  EXPECT_TRUE(is_hop_by_hop("Transfer-Encoding"));
  EXPECT_TRUE(is_hop_by_hop("TE"));
  EXPECT_TRUE(is_hop_by_hop("uPgRaDe"));
  EXPECT_TRUE(is_hop_by_hop("Proxy-Authorization"));
}

TEST(IsHopByHop, EndToEndFieldsAreForwarded) {
  for (std::string_view name :
       {"content-type", "Content-Type", "content-length", "accept", "user-agent", "x-request-id",
        "openai-organization", "cache-control", "tes", "t", "", "connections", "authorization2",
        "x-authorization"}) {
    EXPECT_FALSE(is_hop_by_hop(name)) << name;
  }
}

TEST(IsUnderscoreAlias, FieldsTheDaemonActsOnSpelledWithUnderscores) {
  for (std::string_view name : {"Transfer_Encoding", "content_length", "X_Forwarded_For",
                                "x_request_id", "Proxy_Connection", "Keep_Alive", "Content_Type"}) {
    EXPECT_TRUE(is_underscore_alias(name)) << name;
  }
}

TEST(IsUnderscoreAlias, OtherNamesPass) {
  for (std::string_view name : {"Transfer-Encoding", "X_Custom_Header", "x_stainless_os",
                                "Transfer__Encoding", "_content_length", "content_length_", ""}) {
    EXPECT_FALSE(is_underscore_alias(name)) << name;
  }
}

}  // namespace
}  // namespace switchyard::proxy
