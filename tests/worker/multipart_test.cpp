// common/http/multipart: the multipart/form-data parser the audio endpoints take uploads with.
#include <gtest/gtest.h>

#include "common/http/multipart.hpp"

namespace switchyard::http {
namespace {

using namespace std::string_literals;

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ";

TEST(Multipart, BoundaryFromContentType) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data;boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; BOUNDARY=q"), "q");
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'a')));
}

TEST(Multipart, ParsesFieldsAndFiles) {
  const std::string body =
      "preamble\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"model\"\r\n\r\n"
      "whisper-1\r\n"
      "--XyZ\r\n"
      "content-disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".wav\"\r\n"
      "Content-Type: audio/wav\r\n\r\n"
      "RIFF\r\n--Xy\0Z binary\r\n"
      "--XyZ\r\n"
      "Content-Disposition: form-data; name=\"timestamp_granularities[]\"\r\n\r\n"
      "word\r\n"
      "--XyZ--\r\n"
      "epilogue"s;  // std::string literal: the body holds a NUL byte
  std::string error;
  const auto parts = parse_multipart(body, kType, &error);
  ASSERT_TRUE(parts) << error;
  ASSERT_EQ(parts->size(), 3u);
  EXPECT_EQ((*parts)[0].name, "model");
  EXPECT_EQ((*parts)[0].data, "whisper-1");
  EXPECT_EQ((*parts)[0].filename, "");
  EXPECT_EQ((*parts)[1].name, "file");
  EXPECT_EQ((*parts)[1].filename, "a \"b\".wav");
  EXPECT_EQ((*parts)[1].content_type, "audio/wav");
  EXPECT_EQ((*parts)[1].data, std::string_view("RIFF\r\n--Xy\0Z binary", 19));
  EXPECT_EQ((*parts)[2].name, "timestamp_granularities[]");
  EXPECT_EQ(find_part(*parts, "file"), &(*parts)[1]);
  EXPECT_EQ(find_part(*parts, "nope"), nullptr);
}

TEST(Multipart, EmptyPartAndNoParts) {
  std::string error;
  auto parts = parse_multipart(
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\n\r\n--XyZ--",
      kType, &error);
  ASSERT_TRUE(parts) << error;
  ASSERT_EQ(parts->size(), 1u);
  EXPECT_TRUE((*parts)[0].data.empty());
  parts = parse_multipart("--XyZ--\r\n", kType, &error);
  ASSERT_TRUE(parts) << error;
  EXPECT_TRUE(parts->empty());
}

TEST(Multipart, RefusesMalformedBodies) {
  std::string error;
  EXPECT_FALSE(parse_multipart("{}", "application/json", &error));
  EXPECT_NE(error.find("multipart/form-data"), std::string::npos);
  EXPECT_FALSE(parse_multipart("no boundary here", kType, &error));
  EXPECT_NE(error.find("no boundary"), std::string::npos);
  // Truncated: no closing boundary.
  EXPECT_FALSE(parse_multipart(
      "--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", kType, &error));
  EXPECT_NE(error.find("closing boundary"), std::string::npos);
  // A part without Content-Disposition, or without a name.
  EXPECT_FALSE(parse_multipart("--XyZ\r\nContent-Type: text/plain\r\n\r\nx\r\n--XyZ--", kType,
                               &error));
  EXPECT_FALSE(parse_multipart("--XyZ\r\nContent-Disposition: form-data\r\n\r\nx\r\n--XyZ--",
                               kType, &error));
  EXPECT_FALSE(parse_multipart("--XyZ\r\nbroken header\r\n\r\nx\r\n--XyZ--", kType, &error));
  EXPECT_FALSE(parse_multipart("--XyZ\r\n\r\nx\r\n--XyZ--", kType, nullptr));  // null error ok
}

}  // namespace
}  // namespace switchyard::http
