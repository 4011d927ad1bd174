// Small complete responses (JSON, plain text) written in one go.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <utility>
#include <vector>

#include "common/openai_error.hpp"
#include "router/http/handler.hpp"

namespace switchyard::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Returns false when the client could not be written to. An empty `content_type` sends none (a
// 204). `headers` is taken by value: a coroutine keeps only the reference of a reference
// parameter, and a caller that returns the awaitable instead of awaiting it at once
// (AdminHandler's reply()) would leave it dangling.
boost::asio::awaitable<bool> write_response(Connection& connection, unsigned status,
                                            std::string body, std::string_view content_type,
                                            bool keep_alive, HeaderList headers = {});

// The 204 answer to a CORS preflight whose origin is accepted (cors.hpp). A coroutine of its
// own, so that a handler's frame holds none of its fields.
boost::asio::awaitable<bool> write_preflight_answer(Connection& connection, const Request& request,
                                                    bool keep_alive);

// The answer to `error`: its JSON body, `headers`, and what its kind asks of the client
// (WWW-Authenticate on a 401; Retry-After when the error sets it, and on every 503).
boost::asio::awaitable<bool> write_error_response(Connection& connection, const ApiError& error,
                                                  bool keep_alive, HeaderList headers);

}  // namespace switchyard::http
