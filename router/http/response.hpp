// Small complete responses (JSON, plain text) written in one go.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/status.hpp>
#include <string>
#include <utility>
#include <vector>

#include "router/http/handler.hpp"

namespace switchyard::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Returns false when the client could not be written to. `headers` is taken by value: a
// coroutine keeps only the reference of a reference parameter, and a caller that returns the
// awaitable instead of awaiting it at once (AdminHandler's reply()) would leave it dangling.
boost::asio::awaitable<bool> write_response(Connection& connection, unsigned status,
                                            std::string body, std::string_view content_type,
                                            bool keep_alive, HeaderList headers = {});

}  // namespace switchyard::http
