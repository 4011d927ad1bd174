#include "router/http/response.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

namespace switchyard::http {

namespace bhttp = boost::beast::http;

boost::asio::awaitable<bool> write_response(Connection& connection, unsigned status,
                                            std::string body, std::string_view content_type,
                                            bool keep_alive, HeaderList headers) {
  bhttp::response<bhttp::string_body> response{static_cast<bhttp::status>(status), 11};
  response.set(bhttp::field::content_type, content_type);
  for (const auto& [name, value] : headers) response.set(name, value);
  response.keep_alive(keep_alive);
  response.body() = std::move(body);
  response.prepare_payload();
  connection.deadline.expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await bhttp::async_write(
      connection.stream, response, boost::asio::as_tuple(boost::asio::use_awaitable));
  connection.deadline.expires_never();
  co_return !ec;
}

}  // namespace switchyard::http
