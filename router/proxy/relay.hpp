// Forwards one request to a worker and relays the response back as it arrives: the header
// first, then each piece of body the moment the worker writes it (Beast's relay() pattern), so
// SSE events are never held back.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/http/request_reader.hpp"
#include "router/http/handler.hpp"
#include "router/proxy/client_watch.hpp"
#include "router/proxy/upstream_pool.hpp"

namespace switchyard::proxy {

// Views into what the caller keeps alive for the whole relay.
struct RelayOptions {
  std::string_view request_id;
  std::string_view base_path;  // prefix for the target (url: models with a path)
  std::string_view target;     // what the worker is asked for; the client's target when empty
  std::string_view client_address;
  // What the worker is sent when it is not the client's body (see upstream_body.hpp).
  std::optional<std::string_view> body;
  // No total timeout: a stream may run for hours. Only silence this long ends it.
  std::chrono::milliseconds idle_timeout{300'000};
};

struct RelayResult {
  unsigned status = 0;       // what the client got; 0 when nothing was sent
  std::uint64_t bytes = 0;   // response body bytes relayed
  bool client_gone = false;  // the client hung up first
  bool keep_alive = false;   // the client connection can take another request
  std::string error;         // why the relay broke off, if it did
};

// A request gets here only once its Origin, if it has one, is accepted: the answer then carries
// the CORS fields that let that page read it.
// Throws ApiError (502/504) when the worker fails before anything was relayed;
// after that, failures are reported in-band (an SSE error event) and end the connection.
boost::asio::awaitable<RelayResult> relay(const http::Request& request, http::Connection& client,
                                          ClientWatch& watch, UpstreamPool& pool,
                                          const UpstreamKey& key, const RelayOptions& options);

}  // namespace switchyard::proxy
