#include "router/supervisor/health_checker.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

#include "router/config/address.hpp"

namespace switchyard::supervisor {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;

HealthThresholds::Transition HealthThresholds::on_probe(bool ok) {
  if (ok) {
    consecutive_failures_ = 0;
    return Transition::unchanged;
  }
  ++consecutive_failures_;
  return consecutive_failures_ == failure_threshold_ ? Transition::became_unhealthy
                                                     : Transition::unchanged;
}

bool is_worker_failure(unsigned status) { return status >= 500 && status != 503; }

bool FailedRequests::on_answer(unsigned status) {
  if (!is_worker_failure(status)) {
    in_a_row_ = 0;
    return false;
  }
  ++in_a_row_;
  if (threshold_ <= 0 || in_a_row_ < threshold_) return false;
  in_a_row_ = 0;
  return true;
}

asio::awaitable<ProbeResult> probe_http(std::string host, std::uint16_t port, std::string path,
                                        std::chrono::milliseconds timeout) {
  constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
  ProbeResult result;
  beast::tcp_stream stream(co_await asio::this_coro::executor);
  stream.expires_after(timeout);

  asio::ip::tcp::resolver resolver(stream.get_executor());
  auto [resolve_ec, endpoints] =
      co_await resolver.async_resolve(host, std::to_string(port), kNoThrow);
  if (resolve_ec) {
    result.error = "cannot resolve " + host + ": " + resolve_ec.message();
    co_return result;
  }
  if (auto [ec, ep] = co_await stream.async_connect(endpoints, kNoThrow); ec) {
    result.error = "connect: " + ec.message();
    co_return result;
  }
  bhttp::request<bhttp::empty_body> request{bhttp::verb::get, path, 11};
  request.set(bhttp::field::host, host + ":" + std::to_string(port));
  request.set(bhttp::field::user_agent, "switchyard-health");
  request.keep_alive(false);
  if (auto [ec, n] = co_await bhttp::async_write(stream, request, kNoThrow); ec) {
    result.error = "write: " + ec.message();
    co_return result;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(64 * 1024);
  if (auto [ec, n] = co_await bhttp::async_read(stream, buffer, parser, kNoThrow); ec) {
    result.error = ec == beast::error::timeout ? "timed out after " +
                                                     std::to_string(timeout.count()) + "ms"
                                               : "read: " + ec.message();
    co_return result;
  }
  result.status = parser.get().result_int();
  beast::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  co_return result;
}

std::optional<UpstreamAddress> upstream_of_url(std::string_view url) {
  const auto parsed = config::parse_http_url(url);
  if (!parsed) return std::nullopt;
  UpstreamAddress address{parsed->endpoint.host, parsed->endpoint.port, parsed->path};
  while (address.base_path.ends_with('/')) address.base_path.pop_back();
  return address;
}

}  // namespace switchyard::supervisor
