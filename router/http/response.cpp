#include "router/http/response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "router/http/cors.hpp"

namespace switchyard::http {

namespace bhttp = boost::beast::http;

namespace {

// How long a client told to come back later (503) is asked to wait.
constexpr int kRetryAfterSeconds = 5;

}  // namespace

boost::asio::awaitable<bool> write_response(Connection& connection, unsigned status,
                                            std::string body, std::string_view content_type,
                                            bool keep_alive, HeaderList headers) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
  if (!content_type.empty()) response.set(bhttp::field::content_type, content_type);
  for (const auto& [name, value] : headers) response.set(name, value);
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  connection.deadline.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await bhttp::async_write(connection.stream, response,
                                             boost::asio::as_tuple(boost::asio::use_awaitable));
  connection.deadline.expires_never();
  co_return !ec;
}

boost::asio::awaitable<bool> write_preflight_answer(Connection& connection, const Request& request,
                                                    bool keep_alive) {
  co_return co_await write_response(connection, 204, {}, {}, keep_alive, preflight_fields(request));
}

boost::asio::awaitable<bool> write_error_response(Connection& connection, const ApiError& error,
                                                  bool keep_alive, HeaderList headers) {
  if (error.kind == ErrorKind::unauthorized) headers.emplace_back("WWW-Authenticate", "Bearer");
  const int retry_after = error.retry_after_seconds > 0          ? error.retry_after_seconds
                          : error.kind == ErrorKind::unavailable ? kRetryAfterSeconds
                                                                 : 0;
  if (retry_after > 0) headers.emplace_back("Retry-After", std::to_string(retry_after));
  co_return co_await write_response(connection, static_cast<unsigned>(error.status()), error.body(),
                                    "application/json", keep_alive, std::move(headers));
}

}  // namespace switchyard::http
