#include "common/openai_error.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace switchyard {
namespace {

using nlohmann::json;

struct KindCase {
  ErrorKind kind;
  int status;
  std::string_view type;
};

constexpr KindCase kKinds[] = {
    {ErrorKind::invalid_request, 400, "invalid_request_error"},
    {ErrorKind::unauthorized, 401, "authentication_error"},
    {ErrorKind::forbidden, 403, "permission_error"},
    {ErrorKind::not_found, 404, "invalid_request_error"},
    {ErrorKind::method_not_allowed, 405, "invalid_request_error"},
    {ErrorKind::request_timeout, 408, "invalid_request_error"},
    {ErrorKind::payload_too_large, 413, "invalid_request_error"},
    {ErrorKind::headers_too_large, 431, "invalid_request_error"},
    {ErrorKind::too_many_requests, 429, "rate_limit_error"},
    {ErrorKind::internal, 500, "server_error"},
    {ErrorKind::not_implemented, 501, "not_implemented_error"},
    {ErrorKind::bad_gateway, 502, "service_unavailable_error"},
    {ErrorKind::unavailable, 503, "service_unavailable_error"},
    {ErrorKind::gateway_timeout, 504, "service_unavailable_error"},
};

TEST(HttpStatus, EveryKind) {
  for (const auto& c : kKinds) {
    EXPECT_EQ(http_status(c.kind), c.status) << c.type;
    EXPECT_EQ(ApiError(c.kind, "m").status(), c.status);
  }
}

TEST(ErrorType, EveryKind) {
  for (const auto& c : kKinds) EXPECT_EQ(error_type(c.kind), c.type) << c.status;
}

TEST(ErrorBody, ShapeWithNullParamAndCode) {
  const json body = json::parse(error_body(ErrorKind::not_found, "model 'x' not found"));
  ASSERT_TRUE(body.is_object());
  ASSERT_EQ(body.size(), 1u);
  const json& error = body.at("error");
  ASSERT_TRUE(error.is_object());
  EXPECT_EQ(error.size(), 4u);
  EXPECT_EQ(error.at("message"), "model 'x' not found");
  EXPECT_EQ(error.at("type"), "invalid_request_error");
  EXPECT_TRUE(error.at("param").is_null());
  EXPECT_TRUE(error.at("code").is_null());
}

TEST(ErrorBody, ParamAndCodeWhenGiven) {
  const json body = json::parse(
      error_body(ErrorKind::invalid_request, "bad model", std::string("model"), std::string("c1")));
  EXPECT_EQ(body["error"]["param"], "model");
  EXPECT_EQ(body["error"]["code"], "c1");
}

TEST(ErrorBody, MessageIsEscaped) {
  const std::string message = "quote \" backslash \\ newline \n tab \t";
  const json body = json::parse(error_body(ErrorKind::internal, message));
  EXPECT_EQ(body["error"]["message"], message);
}

TEST(ErrorBody, InvalidUtf8IsReplacedNotThrown) {
  const std::string message = "bad \xff\xfe bytes";
  std::string text;
  ASSERT_NO_THROW(text = error_body(ErrorKind::invalid_request, message));
  const json body = json::parse(text);
  EXPECT_THAT(body["error"]["message"].get<std::string>(), ::testing::StartsWith("bad "));
}

TEST(ApiError, CarriesKindMessageParamAndCode) {
  const ApiError error(ErrorKind::unavailable, "model 'm' is starting", "model", "model_starting");
  EXPECT_EQ(error.kind, ErrorKind::unavailable);
  EXPECT_STREQ(error.what(), "model 'm' is starting");
  EXPECT_EQ(error.param, "model");
  EXPECT_EQ(error.code, "model_starting");
  EXPECT_EQ(error.status(), 503);
  const json body = json::parse(error.body());
  EXPECT_EQ(body, json::parse(error_body(ErrorKind::unavailable, "model 'm' is starting",
                                         std::string("model"), std::string("model_starting"))));
}

TEST(ApiError, IsARuntimeError) {
  try {
    throw ApiError(ErrorKind::forbidden, "no");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "no");
  }
}

}  // namespace
}  // namespace switchyard
