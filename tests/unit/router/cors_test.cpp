#include "router/http/cors.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "common/http/request.hpp"

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;

std::optional<std::string> find(const HeaderList& fields, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& [field, value] : fields) {
    if (field != name) continue;
    EXPECT_FALSE(found) << name << " twice";
    found = value;
  }
  return found;
}

Request preflight(std::string_view asked_headers) {
  Request request(bhttp::verb::options, "/v1/chat/completions");
  request.insert("Origin", "http://chat.lan:3000");
  request.insert("Access-Control-Request-Method", "POST");
  if (!asked_headers.empty()) request.insert("Access-Control-Request-Headers", asked_headers);
  return request;
}

TEST(IsPreflight, NeedsOptionsAnOriginAndTheRequestedMethod) {
  EXPECT_TRUE(is_preflight(preflight("")));
  Request no_origin(bhttp::verb::options, "/v1/models");
  no_origin.insert("Access-Control-Request-Method", "GET");
  EXPECT_FALSE(is_preflight(no_origin));
  Request no_method(bhttp::verb::options, "/v1/models");
  no_method.insert("Origin", "http://chat.lan:3000");
  EXPECT_FALSE(is_preflight(no_method));
  Request post(bhttp::verb::post, "/v1/models");
  post.insert("Origin", "http://chat.lan:3000");
  post.insert("Access-Control-Request-Method", "POST");
  EXPECT_FALSE(is_preflight(post));
}

TEST(AddCorsFields, NamesTheOriginNeverTheWildcard) {
  Request request(bhttp::verb::post, "/v1/chat/completions");
  request.insert("Origin", "http://evil.example");
  HeaderList fields{{"X-Request-Id", "abc"}};
  add_cors_fields(fields, request);
  EXPECT_EQ(find(fields, "Access-Control-Allow-Origin"), "http://evil.example");
  EXPECT_EQ(find(fields, "Vary"), "Origin");
  const auto exposed = find(fields, "Access-Control-Expose-Headers");
  ASSERT_TRUE(exposed);
  EXPECT_NE(exposed->find("X-Request-Id"), std::string::npos);
  EXPECT_NE(exposed->find("Retry-After"), std::string::npos);
  EXPECT_FALSE(find(fields, "Access-Control-Allow-Credentials"));
}

TEST(AddCorsFields, NothingWithoutAnOrigin) {
  HeaderList fields{{"X-Request-Id", "abc"}};
  add_cors_fields(fields, Request(bhttp::verb::post, "/v1/chat/completions"));
  EXPECT_EQ(fields.size(), 1u);
  std::string head;
  append_cors_lines(head, Request(bhttp::verb::post, "/v1/chat/completions"));
  EXPECT_EQ(head, "");
}

// The relay writes the same fields as text.
TEST(AppendCorsLines, TheSameFieldsAsLines) {
  Request request(bhttp::verb::post, "/v1/chat/completions");
  request.insert("Origin", "http://chat.lan:3000");
  HeaderList fields;
  add_cors_fields(fields, request);
  std::string expected;
  for (const auto& [name, value] : fields) expected += name + ": " + value + "\r\n";
  std::string head = "HTTP/1.1 200 OK\r\n";
  append_cors_lines(head, request);
  EXPECT_EQ(head, "HTTP/1.1 200 OK\r\n" + expected);
}

// The SDKs send headers of their own (x-stainless-*, openai-organization); the browser sends
// their names, which come back as they were asked.
TEST(PreflightFields, EchoesTheAskedHeadersAndListsTheMethods) {
  const std::string asked = "authorization, content-type,x-stainless-os , openai-organization";
  const HeaderList fields = preflight_fields(preflight(asked));
  EXPECT_EQ(find(fields, "Access-Control-Allow-Origin"), "http://chat.lan:3000");
  EXPECT_EQ(find(fields, "Access-Control-Allow-Headers"), asked);
  EXPECT_EQ(find(fields, "Access-Control-Allow-Methods"), "GET, POST");
  EXPECT_EQ(find(fields, "Access-Control-Max-Age"), "600");
  EXPECT_NE(find(fields, "Vary").value_or("").find("Origin"), std::string::npos);
}

// RFC 9110 5.6.1: a list may hold empty items.
TEST(PreflightFields, EmptyListItemsAreAccepted) {
  const HeaderList fields = preflight_fields(preflight("authorization,, content-type,"));
  EXPECT_EQ(find(fields, "Access-Control-Allow-Headers"), "authorization,, content-type,");
}

TEST(PreflightFields, NoAllowHeadersWhenNoneAreAsked) {
  const HeaderList fields = preflight_fields(preflight(""));
  EXPECT_FALSE(find(fields, "Access-Control-Allow-Headers"));
}

TEST(PreflightFields, AskedHeadersThatAreNotFieldNamesAre400) {
  for (const auto* asked : {"x(y)", "a b", "content-type;q=1", "content-type, x\"y\"", "x/y"}) {
    try {
      preflight_fields(preflight(asked));
      ADD_FAILURE() << asked;
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 400) << asked;
      EXPECT_NE(std::string(error.what()).find("Access-Control-Request-Headers"),
                std::string::npos);
    }
  }
}

TEST(IsCorsField, AnyAccessControlFieldInAnyCase) {
  for (const auto* name : {"Access-Control-Allow-Origin", "access-control-allow-headers",
                           "ACCESS-CONTROL-MAX-AGE", "Access-Control-X"}) {
    EXPECT_TRUE(is_cors_field(name)) << name;
  }
  for (const auto* name :
       {"Access-Control-", "Access-Control", "X-Access-Control-Allow-Origin", "Vary", "Origin"}) {
    EXPECT_FALSE(is_cors_field(name)) << name;
  }
}

}  // namespace
}  // namespace switchyard::http
