#include "common/http/multipart.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace switchyard::http {
namespace {

using ::testing::HasSubstr;
using namespace std::string_literals;

// The router's question of a multipart body: the value of one field, or why the body is bad.
struct Field {
  std::optional<std::string> value;
  std::optional<std::string> error;
};

Field find_multipart_field(std::string_view body, std::string_view content_type,
                           std::string_view name) {
  std::string error;
  const auto parts = parse_multipart(body, content_type, &error);
  if (!parts) return {std::nullopt, error};
  const MultipartPart* part = find_part(*parts, name);
  return {part ? std::optional<std::string>(part->data) : std::nullopt, std::nullopt};
}

constexpr std::string_view kType = "multipart/form-data; boundary=XyZ123";

std::string text_part(std::string_view name, std::string_view value) {
  return "--XyZ123\r\nContent-Disposition: form-data; name=\"" + std::string(name) + "\"\r\n\r\n" +
         std::string(value) + "\r\n";
}

std::string file_part(std::string_view name, std::string_view content) {
  return "--XyZ123\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"; filename=\"clip.wav\"\r\nContent-Type: audio/wav\r\n\r\n" + std::string(content) +
         "\r\n";
}

constexpr std::string_view kEnd = "--XyZ123--\r\n";

// ---------------------------------------------------------------------------------------------
// multipart_boundary

TEST(MultipartBoundary, Unquoted) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data;boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk"),
            "----WebKitFormBoundary7MA4YWxk");
}

TEST(MultipartBoundary, Quoted) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"a b;c\""), "a b;c");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=\"abc\""), "abc");
}

TEST(MultipartBoundary, AmongOtherParameters) {
  EXPECT_EQ(multipart_boundary("multipart/form-data; charset=utf-8; boundary=abc"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc; charset=utf-8"), "abc");
  EXPECT_EQ(multipart_boundary("multipart/form-data; x=\"y;boundary=no\"; boundary=yes"), "yes");
}

TEST(MultipartBoundary, CaseInsensitiveTypeAndParameterName) {
  EXPECT_EQ(multipart_boundary("Multipart/Form-Data; BOUNDARY=abc"), "abc");
  EXPECT_EQ(multipart_boundary("  multipart/form-data ; boundary = abc "), "abc");
}

TEST(MultipartBoundary, Missing) {
  EXPECT_FALSE(multipart_boundary("multipart/form-data"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data;"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; charset=utf-8"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary="));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"\""));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"unterminated"));
  EXPECT_FALSE(multipart_boundary(""));
}

TEST(MultipartBoundary, OtherContentTypes) {
  EXPECT_FALSE(multipart_boundary("application/json"));
  EXPECT_FALSE(multipart_boundary("application/json; boundary=abc"));
  EXPECT_FALSE(multipart_boundary("multipart/mixed; boundary=abc"));
  EXPECT_FALSE(multipart_boundary("multipart/form-datax; boundary=abc"));
  EXPECT_FALSE(multipart_boundary("text/plain"));
}

TEST(MultipartBoundary, AtMostSeventyCharacters) {
  const std::string seventy(70, 'b');
  EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=" + seventy), seventy);
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + seventy + "b"));
  EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=\"" + seventy + "b\""));
}

// ---------------------------------------------------------------------------------------------
// find_multipart_field: well-formed bodies

TEST(FindField, FieldFirst) {
  const std::string body =
      text_part("model", "whisper-1") + file_part("file", "RIFF....") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_EQ(field.value, "whisper-1");
}

TEST(FindField, FieldLast) {
  const std::string body = file_part("file", "RIFF....") + text_part("language", "en") +
                           text_part("model", "whisper-1") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_EQ(field.value, "whisper-1");
}

TEST(FindField, FieldAbsent) {
  const std::string body =
      file_part("file", "RIFF....") + text_part("language", "en") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_FALSE(field.value);
}

TEST(FindField, EmptyFormHasNoField) {
  const auto field = find_multipart_field("--XyZ123--\r\n", kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_FALSE(field.value);
}

TEST(FindField, EmptyValue) {
  const std::string body = text_part("model", "") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_EQ(field.value, "");
}

TEST(FindField, ValueKeepsInnerLineBreaks) {
  const std::string body =
      text_part("prompt", "line one\r\nline two") + text_part("model", "m") + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "prompt").value, "line one\r\nline two");
}

TEST(FindField, FilePartWithCrlfAndBoundaryLikeTextBeforeTheField) {
  // Binary content holding CRLFs, a dash-dash line and the boundary text not at a line start:
  // none of it is a delimiter, which is CRLF "--" boundary.
  const std::string content =
      "\r\n\r\n--XyZ12\r\n--XyZ is not it\r\nabc--XyZ123\r\n-XyZ123\r\n\r\n\0\xff"s;
  const std::string body =
      file_part("file", content) + text_part("model", "whisper-1") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error) << *field.error;
  EXPECT_EQ(field.value, "whisper-1");
  EXPECT_EQ(find_multipart_field(body, kType, "file").value, content);
}

TEST(FindField, QuotedNameHoldingASemicolon) {
  const std::string body =
      "--XyZ123\r\nContent-Disposition: form-data; name=\"a;b\"\r\n\r\nfirst\r\n" +
      text_part("model", "m") + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "a;b").value, "first");
  EXPECT_EQ(find_multipart_field(body, kType, "model").value, "m");
  EXPECT_FALSE(find_multipart_field(body, kType, "a").value);
}

TEST(FindField, FilenameHoldingNameEqualsIsNotTheName) {
  const std::string body =
      "--XyZ123\r\nContent-Disposition: form-data; filename=\"name=model;x\"; name=\"file\"\r\n"
      "\r\ndata\r\n" +
      text_part("model", "m") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_EQ(field.value, "m");
  EXPECT_EQ(find_multipart_field(body, kType, "file").value, "data");
}

TEST(FindField, UnquotedNameAndHeaderCase) {
  const std::string body =
      "--XyZ123\r\ncontent-disposition: form-data; NAME=model\r\n\r\nm\r\n" + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "model").value, "m");
}

TEST(FindField, FieldNameIsCaseSensitive) {
  const std::string body = text_part("Model", "m") + std::string(kEnd);
  const auto field = find_multipart_field(body, kType, "model");
  EXPECT_FALSE(field.error);
  EXPECT_FALSE(field.value);
}

TEST(FindField, ContentDispositionAfterOtherHeaders) {
  const std::string body =
      "--XyZ123\r\nContent-Type: text/plain\r\nContent-Disposition: form-data; name=\"model\"\r\n"
      "\r\nm\r\n" +
      std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "model").value, "m");
}

TEST(FindField, QuotedBoundary) {
  const std::string body = text_part("model", "m") + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, "multipart/form-data; boundary=\"XyZ123\"", "model").value,
            "m");
}

TEST(FindField, FirstOfTwoFieldsWithTheSameName) {
  const std::string body = text_part("model", "a") + text_part("model", "b") + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "model").value, "a");
}

// ---------------------------------------------------------------------------------------------
// find_multipart_field: malformed input

void expect_malformed(const Field& field, std::string_view why) {
  EXPECT_FALSE(field.value);
  ASSERT_TRUE(field.error);
  EXPECT_THAT(*field.error, HasSubstr(std::string(why)));
}

TEST(FindField, ContentTypeWithoutBoundary) {
  const std::string body = text_part("model", "m") + std::string(kEnd);
  expect_malformed(find_multipart_field(body, "multipart/form-data", "model"), "boundary");
  expect_malformed(find_multipart_field(body, "application/json", "model"), "boundary");
  expect_malformed(find_multipart_field(body, "", "model"), "boundary");
}

TEST(FindField, PreambleBeforeTheFirstBoundaryIsSkipped) {
  // RFC 2046 §5.1.1 allows a preamble; clients do not send one, but it is not an error.
  const std::string body = "preamble\r\n" + text_part("model", "m") + std::string(kEnd);
  EXPECT_EQ(find_multipart_field(body, kType, "model").value, "m");
}

TEST(FindField, BodyWithoutItsBoundary) {
  expect_malformed(
      find_multipart_field(text_part("model", "m"), "multipart/form-data; boundary=Other", "model"),
      "no boundary");
  expect_malformed(find_multipart_field("", kType, "model"), "no boundary");
}

TEST(FindField, TruncatedBody) {
  // No closing delimiter after the part's content.
  const std::string body =
      "--XyZ123\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwhisper-1";
  expect_malformed(find_multipart_field(body, kType, "model"), "closing boundary");

  const std::string cut = text_part("model", "m") + file_part("file", "RIFF");
  const auto field = find_multipart_field(cut.substr(0, cut.size() - 3), kType, "file");
  expect_malformed(field, "closing boundary");
}

TEST(FindField, BodyEndingRightAfterADelimiter) {
  expect_malformed(find_multipart_field("--XyZ123", kType, "model"), "closing boundary");
  const std::string body = text_part("a", "1") + "--XyZ123";
  expect_malformed(find_multipart_field(body, kType, "model"), "closing boundary");
}

TEST(FindField, GarbageAfterADelimiter) {
  const std::string body =
      "--XyZ123xx\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nm\r\n" +
      std::string(kEnd);
  expect_malformed(find_multipart_field(body, kType, "model"), "closing boundary");
}

TEST(FindField, MissingHeadersEnd) {
  const std::string body = "--XyZ123\r\nContent-Disposition: form-data; name=\"model\"\r\n";
  expect_malformed(find_multipart_field(body, kType, "model"), "headers do not end");
}

TEST(FindField, PartWithoutContentDispositionName) {
  const std::string no_disposition =
      "--XyZ123\r\nContent-Type: text/plain\r\n\r\nm\r\n" + std::string(kEnd);
  expect_malformed(find_multipart_field(no_disposition, kType, "model"), "Content-Disposition");

  const std::string no_name =
      "--XyZ123\r\nContent-Disposition: form-data; filename=\"a.wav\"\r\n\r\nm\r\n" +
      std::string(kEnd);
  expect_malformed(find_multipart_field(no_name, kType, "model"), "Content-Disposition");

  const std::string unterminated_quote =
      "--XyZ123\r\nContent-Disposition: form-data; name=\"model\r\n\r\nm\r\n" + std::string(kEnd);
  expect_malformed(find_multipart_field(unterminated_quote, kType, "model"), "Content-Disposition");
}

TEST(FindField, NamelessPartAnywhereMakesTheBodyMalformed) {
  // The router and the worker read the same body the same way: a bad part is a 400 at once.
  const std::string body = text_part("model", "m") +
                           "--XyZ123\r\nContent-Type: text/plain\r\n\r\nx\r\n" + std::string(kEnd);
  expect_malformed(find_multipart_field(body, kType, "model"), "Content-Disposition");
}

}  // namespace
}  // namespace switchyard::http
