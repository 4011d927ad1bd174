// What a listener hands each request to. The handler writes the whole response itself (it may
// be a stream) and says whether the connection can carry another request.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <string>

#include "common/http/request_reader.hpp"

namespace switchyard::http {

struct Connection {
  beast::tcp_stream& stream;
  Deadline& deadline;  // times every read and write on `stream`
  beast::flat_buffer& read_buffer;  // what was read of the next request, if anything
  std::string remote_address;  // the client's IP, as logged and sent on as X-Forwarded-For
  // Whether the request being handled lets the connection carry another (ReadResult).
  bool keep_alive = true;
  // Where the relay writes the heads it sends; kept between requests so that its capacity is.
  std::string head_buffer = {};
};

class Handler {
 public:
  virtual ~Handler() = default;
  virtual ReadLimits read_limits() const = 0;
  // Whether the request's Host and Origin pass this listener's check (request_origin.hpp), for
  // the answers the listener writes itself: only then do they carry CORS fields.
  virtual bool origin_accepted(const Request& request) const = 0;
  // Never throws; returns false to close the connection after the response.
  virtual boost::asio::awaitable<bool> handle(Request& request, Connection& connection) = 0;
};

}  // namespace switchyard::http
