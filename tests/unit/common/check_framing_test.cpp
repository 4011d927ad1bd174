#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

#include "common/http/request_reader.hpp"

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using ::testing::HasSubstr;

RequestHeader header(unsigned version,
                     std::initializer_list<std::pair<bhttp::field, std::string_view>> fields) {
  RequestHeader h;
  h.method(bhttp::verb::post);
  h.target("/v1/chat/completions");
  h.version(version);
  for (const auto& [name, value] : fields) h.insert(name, value);
  return h;
}

void expect_refused(const std::optional<ApiError>& error, std::string_view why) {
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, ErrorKind::invalid_request);
  EXPECT_EQ(error->status(), 400);
  EXPECT_THAT(error->what(), HasSubstr(std::string(why)));
}

TEST(CheckFraming, ValidContentLength) {
  EXPECT_FALSE(
      check_framing(header(11, {{bhttp::field::host, "a"}, {bhttp::field::content_length, "12"}})));
}

TEST(CheckFraming, ValidChunked) {
  EXPECT_FALSE(check_framing(
      header(11, {{bhttp::field::host, "a"}, {bhttp::field::transfer_encoding, "chunked"}})));
  EXPECT_FALSE(check_framing(
      header(11, {{bhttp::field::host, "a"}, {bhttp::field::transfer_encoding, "Chunked"}})));
}

TEST(CheckFraming, NoBodyFraming) {
  EXPECT_FALSE(check_framing(header(11, {{bhttp::field::host, "a"}})));
}

TEST(CheckFraming, Http10WithoutHostIsFine) {
  EXPECT_FALSE(check_framing(header(10, {{bhttp::field::content_length, "3"}})));
  EXPECT_FALSE(check_framing(header(10, {})));
}

TEST(CheckFraming, TwoContentLengths) {
  expect_refused(check_framing(header(11, {{bhttp::field::host, "a"},
                                           {bhttp::field::content_length, "5"},
                                           {bhttp::field::content_length, "6"}})),
                 "Content-Length");
  // Even when they agree.
  expect_refused(check_framing(header(11, {{bhttp::field::host, "a"},
                                           {bhttp::field::content_length, "5"},
                                           {bhttp::field::content_length, "5"}})),
                 "Content-Length");
}

TEST(CheckFraming, ContentLengthAndTransferEncoding) {
  expect_refused(check_framing(header(11, {{bhttp::field::host, "a"},
                                           {bhttp::field::content_length, "5"},
                                           {bhttp::field::transfer_encoding, "chunked"}})),
                 "both Content-Length and Transfer-Encoding");
}

TEST(CheckFraming, TransferEncodingOtherThanChunked) {
  for (std::string_view te :
       {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "identity", "", "chunkedx"}) {
    expect_refused(check_framing(header(
                       11, {{bhttp::field::host, "a"}, {bhttp::field::transfer_encoding, te}})),
                   "Transfer-Encoding");
  }
}

TEST(CheckFraming, TwoTransferEncodingHeaders) {
  expect_refused(check_framing(header(11, {{bhttp::field::host, "a"},
                                           {bhttp::field::transfer_encoding, "chunked"},
                                           {bhttp::field::transfer_encoding, "chunked"}})),
                 "Transfer-Encoding");
}

TEST(CheckFraming, TransferEncodingOnHttp10) {
  expect_refused(check_framing(header(10, {{bhttp::field::host, "a"},
                                           {bhttp::field::transfer_encoding, "chunked"}})),
                 "HTTP/1.0");
}

TEST(CheckFraming, MissingHostOnHttp11) {
  expect_refused(check_framing(header(11, {{bhttp::field::content_length, "0"}})), "Host");
}

TEST(CheckFraming, TwoHosts) {
  expect_refused(check_framing(header(11, {{bhttp::field::host, "a"}, {bhttp::field::host, "b"}})),
                 "Host");
  expect_refused(check_framing(header(10, {{bhttp::field::host, "a"}, {bhttp::field::host, "a"}})),
                 "Host");
}

}  // namespace
}  // namespace switchyard::http
