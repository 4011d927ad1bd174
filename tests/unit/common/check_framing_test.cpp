#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

#include "common/http/request_parser.hpp"

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using ::testing::HasSubstr;

Request header(unsigned version,
               std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  Request request(bhttp::verb::post, "/v1/chat/completions", version);
  for (const auto& [name, value] : fields) request.insert(name, value);
  return request;
}

void expect_refused(const std::optional<ApiError>& error, std::string_view why) {
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, ErrorKind::invalid_request);
  EXPECT_EQ(error->status(), 400);
  EXPECT_THAT(error->what(), HasSubstr(std::string(why)));
}

TEST(CheckFraming, ValidContentLength) {
  EXPECT_FALSE(
      check_framing(header(11, {{"Host", "a"}, {"Content-Length", "12"}})));
}

TEST(CheckFraming, ValidChunked) {
  EXPECT_FALSE(check_framing(
      header(11, {{"Host", "a"}, {"Transfer-Encoding", "chunked"}})));
  EXPECT_FALSE(check_framing(
      header(11, {{"Host", "a"}, {"Transfer-Encoding", "Chunked"}})));
}

TEST(CheckFraming, NoBodyFraming) {
  EXPECT_FALSE(check_framing(header(11, {{"Host", "a"}})));
}

TEST(CheckFraming, Http10WithoutHostIsFine) {
  EXPECT_FALSE(check_framing(header(10, {{"Content-Length", "3"}})));
  EXPECT_FALSE(check_framing(header(10, {})));
}

TEST(CheckFraming, TwoContentLengths) {
  expect_refused(check_framing(header(11, {{"Host", "a"},
                                           {"Content-Length", "5"},
                                           {"Content-Length", "6"}})),
                 "Content-Length");
  // Even when they agree.
  expect_refused(check_framing(header(11, {{"Host", "a"},
                                           {"Content-Length", "5"},
                                           {"Content-Length", "5"}})),
                 "Content-Length");
}

TEST(CheckFraming, ContentLengthAndTransferEncoding) {
  expect_refused(check_framing(header(11, {{"Host", "a"},
                                           {"Content-Length", "5"},
                                           {"Transfer-Encoding", "chunked"}})),
                 "both Content-Length and Transfer-Encoding");
}

TEST(CheckFraming, TransferEncodingOtherThanChunked) {
  for (std::string_view te :
       {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "identity", "", "chunkedx"}) {
    expect_refused(check_framing(header(
                       11, {{"Host", "a"}, {"Transfer-Encoding", te}})),
                   "Transfer-Encoding");
  }
}

TEST(CheckFraming, TwoTransferEncodingHeaders) {
  expect_refused(check_framing(header(11, {{"Host", "a"},
                                           {"Transfer-Encoding", "chunked"},
                                           {"Transfer-Encoding", "chunked"}})),
                 "Transfer-Encoding");
}

TEST(CheckFraming, TransferEncodingOnHttp10) {
  expect_refused(check_framing(header(10, {{"Host", "a"},
                                           {"Transfer-Encoding", "chunked"}})),
                 "HTTP/1.0");
}

TEST(CheckFraming, MissingHostOnHttp11) {
  expect_refused(check_framing(header(11, {{"Content-Length", "0"}})), "Host");
}

TEST(CheckFraming, TwoHosts) {
  expect_refused(check_framing(header(11, {{"Host", "a"}, {"Host", "b"}})),
                 "Host");
  expect_refused(check_framing(header(10, {{"Host", "a"}, {"Host", "a"}})),
                 "Host");
}

}  // namespace
}  // namespace switchyard::http
