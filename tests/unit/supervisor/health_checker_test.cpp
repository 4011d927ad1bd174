#include "router/supervisor/health_checker.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <optional>
#include <string>

namespace switchyard::supervisor {
namespace {

namespace asio = boost::asio;
using Transition = HealthThresholds::Transition;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// ---------------------------------------------------------------------------------------------
// FailedRequests

TEST(FailedRequests, ServerErrorsButBusyCount) {
  for (const unsigned status : {500u, 501u, 502u, 504u, 507u, 599u}) {
    EXPECT_TRUE(is_worker_failure(status)) << status;
  }
  for (const unsigned status : {200u, 204u, 301u, 400u, 404u, 413u, 429u, 499u, 503u}) {
    EXPECT_FALSE(is_worker_failure(status)) << status;
  }
}

TEST(FailedRequests, FiresOnTheAnswerThatCompletesTheRun) {
  FailedRequests failed(3);
  EXPECT_FALSE(failed.on_answer(500));
  EXPECT_FALSE(failed.on_answer(502));
  EXPECT_EQ(failed.in_a_row(), 2);
  EXPECT_TRUE(failed.on_answer(504));
  // A new run needs the whole threshold again.
  EXPECT_EQ(failed.in_a_row(), 0);
  EXPECT_FALSE(failed.on_answer(500));
  EXPECT_FALSE(failed.on_answer(500));
  EXPECT_TRUE(failed.on_answer(500));
}

TEST(FailedRequests, AnyOtherAnswerEndsTheRun) {
  for (const unsigned ok : {200u, 400u, 503u}) {
    FailedRequests failed(2);
    EXPECT_FALSE(failed.on_answer(500));
    EXPECT_FALSE(failed.on_answer(ok)) << ok;
    EXPECT_EQ(failed.in_a_row(), 0) << ok;
    EXPECT_FALSE(failed.on_answer(500)) << ok;
    EXPECT_TRUE(failed.on_answer(500)) << ok;
  }
}

TEST(FailedRequests, BusyAnswersNeverAddUp) {
  FailedRequests failed(2);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(failed.on_answer(503)) << i;
}

TEST(FailedRequests, ThresholdZeroNeverFires) {
  FailedRequests failed(0);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(failed.on_answer(500)) << i;
  EXPECT_EQ(failed.in_a_row(), 10);
}

TEST(FailedRequests, ResetForgetsTheRun) {
  FailedRequests failed(2);
  failed.on_answer(500);
  failed.reset();
  EXPECT_FALSE(failed.on_answer(500));
  EXPECT_TRUE(failed.on_answer(500));
}

// ---------------------------------------------------------------------------------------------
// HealthThresholds

TEST(HealthThresholds, BecomesUnhealthyExactlyAtTheThreshold) {
  HealthThresholds thresholds(3);
  EXPECT_EQ(thresholds.on_probe(false), Transition::unchanged);
  EXPECT_EQ(thresholds.on_probe(false), Transition::unchanged);
  EXPECT_EQ(thresholds.consecutive_failures(), 2);
  EXPECT_EQ(thresholds.on_probe(false), Transition::became_unhealthy);
  EXPECT_EQ(thresholds.consecutive_failures(), 3);
}

TEST(HealthThresholds, ReportsTheTransitionOnlyOnce) {
  HealthThresholds thresholds(2);
  thresholds.on_probe(false);
  EXPECT_EQ(thresholds.on_probe(false), Transition::became_unhealthy);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(thresholds.on_probe(false), Transition::unchanged) << i;
  EXPECT_EQ(thresholds.consecutive_failures(), 7);
}

TEST(HealthThresholds, ASuccessResetsTheCount) {
  HealthThresholds thresholds(3);
  thresholds.on_probe(false);
  thresholds.on_probe(false);
  EXPECT_EQ(thresholds.on_probe(true), Transition::unchanged);
  EXPECT_EQ(thresholds.consecutive_failures(), 0);
  // Needs the full threshold again.
  EXPECT_EQ(thresholds.on_probe(false), Transition::unchanged);
  EXPECT_EQ(thresholds.on_probe(false), Transition::unchanged);
  EXPECT_EQ(thresholds.on_probe(false), Transition::became_unhealthy);
}

TEST(HealthThresholds, CanBecomeUnhealthyAgainAfterRecovering) {
  HealthThresholds thresholds(1);
  EXPECT_EQ(thresholds.on_probe(false), Transition::became_unhealthy);
  EXPECT_EQ(thresholds.on_probe(true), Transition::unchanged);
  EXPECT_EQ(thresholds.on_probe(false), Transition::became_unhealthy);
}

TEST(HealthThresholds, SuccessesAloneNeverChangeAnything) {
  HealthThresholds thresholds(1);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(thresholds.on_probe(true), Transition::unchanged);
  EXPECT_EQ(thresholds.consecutive_failures(), 0);
}

// ---------------------------------------------------------------------------------------------
// upstream_of_url

TEST(UpstreamOfUrl, HostAndPort) {
  const auto address = upstream_of_url("http://localhost:8000");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "localhost");
  EXPECT_EQ(address->port, 8000);
  EXPECT_EQ(address->base_path, "");
}

TEST(UpstreamOfUrl, RequiresAPort) {
  EXPECT_FALSE(upstream_of_url("http://gpu-box.internal"));
  EXPECT_FALSE(upstream_of_url("http://[fe80::1]/api/"));
}

TEST(UpstreamOfUrl, Ipv4Address) {
  const auto address = upstream_of_url("http://10.0.0.7:65535");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "10.0.0.7");
  EXPECT_EQ(address->port, 65535);
}

TEST(UpstreamOfUrl, BracketedIpv6WithPort) {
  const auto address = upstream_of_url("http://[::1]:9000");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 9000);
  EXPECT_EQ(address->base_path, "");
}

TEST(UpstreamOfUrl, BracketedIpv6WithPortAndPath) {
  const auto address = upstream_of_url("http://[fe80::1]:9000/api/");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "fe80::1");
  EXPECT_EQ(address->port, 9000);
  EXPECT_EQ(address->base_path, "/api");
}

TEST(UpstreamOfUrl, BasePathLosesTrailingSlashes) {
  auto address = upstream_of_url("http://h:1234/v1/");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->base_path, "/v1");

  address = upstream_of_url("http://h:1234/proxy/llm//");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->base_path, "/proxy/llm");

  address = upstream_of_url("http://h:1234/proxy/llm");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->base_path, "/proxy/llm");
}

TEST(UpstreamOfUrl, RootPathBecomesEmpty) {
  const auto address = upstream_of_url("http://h:1234/");
  ASSERT_TRUE(address);
  EXPECT_EQ(address->host, "h");
  EXPECT_EQ(address->port, 1234);
  EXPECT_EQ(address->base_path, "");
}

TEST(UpstreamOfUrl, RejectsOtherSchemes) {
  EXPECT_FALSE(upstream_of_url("https://h:443"));
  EXPECT_FALSE(upstream_of_url("ftp://h"));
  EXPECT_FALSE(upstream_of_url("h:8000"));
  EXPECT_FALSE(upstream_of_url("//h:8000"));
  EXPECT_FALSE(upstream_of_url(""));
}

TEST(UpstreamOfUrl, RejectsAnEmptyHost) {
  EXPECT_FALSE(upstream_of_url("http://"));
  EXPECT_FALSE(upstream_of_url("http://:8000"));
  EXPECT_FALSE(upstream_of_url("http:///v1"));
  EXPECT_FALSE(upstream_of_url("http://[]:8000"));
}

TEST(UpstreamOfUrl, RejectsBadPorts) {
  EXPECT_FALSE(upstream_of_url("http://h:0"));
  EXPECT_FALSE(upstream_of_url("http://h:65536"));
  EXPECT_FALSE(upstream_of_url("http://h:99999999999"));
  EXPECT_FALSE(upstream_of_url("http://h:abc"));
  EXPECT_FALSE(upstream_of_url("http://h:80abc"));
  EXPECT_FALSE(upstream_of_url("http://h:-1"));
  EXPECT_FALSE(upstream_of_url("http://h:+80"));
  EXPECT_FALSE(upstream_of_url("http://h: 80"));
  EXPECT_FALSE(upstream_of_url("http://[::1]:0"));
  EXPECT_FALSE(upstream_of_url("http://[::1]:65536"));
  EXPECT_FALSE(upstream_of_url("http://[::1]:x/v1"));
}

TEST(UpstreamOfUrl, RejectsMalformedIpv6) {
  EXPECT_FALSE(upstream_of_url("http://[::1"));
  EXPECT_FALSE(upstream_of_url("http://[::1]9000"));
  EXPECT_FALSE(upstream_of_url("http://[::1]x:9000"));
}

// ---------------------------------------------------------------------------------------------
// probe_http against a loopback listener

// Accepts one connection, reads the request header, answers `response` and closes.
asio::awaitable<void> answer_once(asio::ip::tcp::acceptor& acceptor, std::string response,
                                  std::string& request_out) {
  auto socket = co_await acceptor.async_accept(asio::use_awaitable);
  asio::streambuf buffer;
  const std::size_t n =
      co_await asio::async_read_until(socket, buffer, "\r\n\r\n", asio::use_awaitable);
  request_out.assign(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
  co_await asio::async_write(socket, asio::buffer(response), asio::use_awaitable);
  boost::system::error_code ignored;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
}

ProbeResult run_probe(asio::io_context& io, std::uint16_t port, std::string path) {
  std::optional<ProbeResult> result;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        result = co_await probe_http("127.0.0.1", port, path, std::chrono::seconds(5));
      },
      asio::detached);
  io.run();
  EXPECT_TRUE(result.has_value());
  return result.value_or(ProbeResult{});
}

TEST(ProbeHttp, ReportsTheStatusOfTheResponse) {
  for (const auto& [response, status] :
       {std::pair<std::string, int>{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", 200},
        std::pair<std::string, int>{"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
                                    503}}) {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    std::string request;
    asio::co_spawn(io, answer_once(acceptor, response, request), asio::detached);
    const ProbeResult result = run_probe(io, acceptor.local_endpoint().port(), "/base/health");
    EXPECT_EQ(result.status, status);
    EXPECT_EQ(result.ok(), status == 200);
    EXPECT_THAT(result.error, IsEmpty());
    EXPECT_THAT(request, ::testing::StartsWith("GET /base/health HTTP/1.1\r\n"));
  }
}

TEST(ProbeHttp, ConnectionRefusedIsAnErrorWithoutStatus) {
  asio::io_context io;
  std::uint16_t port = 0;
  {
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
    port = acceptor.local_endpoint().port();
  }  // closed: nothing listens there now
  const ProbeResult result = run_probe(io, port, "/health");
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.error, Not(IsEmpty()));
}

TEST(ProbeHttp, GarbageResponseIsAnErrorWithoutStatus) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  std::string request;
  asio::co_spawn(io, answer_once(acceptor, "not http at all\r\n\r\n", request), asio::detached);
  const ProbeResult result = run_probe(io, acceptor.local_endpoint().port(), "/health");
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(result.ok());
  EXPECT_THAT(result.error, Not(IsEmpty()));
}

}  // namespace
}  // namespace switchyard::supervisor
