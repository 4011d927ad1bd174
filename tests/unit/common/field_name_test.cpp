#include "common/http/field_name.hpp"

#include <gtest/gtest.h>

#include <string>
#include <utility>

namespace switchyard::http {
namespace {

const std::pair<std::string_view, FieldName> kKnown[] = {
    {"access-control-request-headers", FieldName::access_control_request_headers},
    {"access-control-request-method", FieldName::access_control_request_method},
    {"authorization", FieldName::authorization},
    {"cache-control", FieldName::cache_control},
    {"connection", FieldName::connection},
    {"content-length", FieldName::content_length},
    {"content-type", FieldName::content_type},
    {"expect", FieldName::expect},
    {"host", FieldName::host},
    {"keep-alive", FieldName::keep_alive},
    {"origin", FieldName::origin},
    {"proxy-authenticate", FieldName::proxy_authenticate},
    {"proxy-authorization", FieldName::proxy_authorization},
    {"proxy-connection", FieldName::proxy_connection},
    {"te", FieldName::te},
    {"trailer", FieldName::trailer},
    {"transfer-encoding", FieldName::transfer_encoding},
    {"upgrade", FieldName::upgrade},
    {"x-accel-buffering", FieldName::x_accel_buffering},
    {"x-forwarded-for", FieldName::x_forwarded_for},
    {"x-request-id", FieldName::x_request_id},
};

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  return out;
}

TEST(FieldName, EveryKnownNameInAnyCase) {
  for (const auto& [name, id] : kKnown) {
    EXPECT_EQ(field_name(name), id) << name;
    EXPECT_EQ(field_name(upper(name)), id) << name;
    std::string mixed(name);
    mixed[0] = upper(mixed.substr(0, 1))[0];
    EXPECT_EQ(field_name(mixed), id) << mixed;
  }
}

TEST(FieldName, NamesOfTheSameLengthOrOneCharacterOffAreOther) {
  for (std::string_view name :
       {"", "t", "tes", "hosts", "hostt", "accept", "user-agent", "content-typf", "x-request-ie",
        "content_length", "content-lengtH0", "connectioN_", "authorizatiom", "x-authorization",
        "openai-organization", "transfer_encoding", "keep_alive", "access-control-request-methods",
        "access-control-allow-headers"}) {
    EXPECT_EQ(field_name(name), FieldName::other) << name;
  }
}

TEST(FieldName, IsNamedComparesCaseInsensitivelyWithALowerCaseName) {
  EXPECT_TRUE(is_named("Text/Event-Stream", "text/event-stream"));
  EXPECT_TRUE(is_named("HTTP2", "http2"));
  EXPECT_FALSE(is_named("text/event-strean", "text/event-stream"));
  EXPECT_FALSE(is_named("text/event-stream;", "text/event-stream"));
  // Setting bit 0x20 makes '_' a DEL and '@' a '`': neither is a letter, a digit, '-' or '/'.
  EXPECT_FALSE(is_named("x_y", "x-y"));
  EXPECT_FALSE(is_named("@", "a"));
}

}  // namespace
}  // namespace switchyard::http
