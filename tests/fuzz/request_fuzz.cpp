// libFuzzer target over what the router does with a client's bytes before any I/O (H9): the
// request parser, fed in pieces as a socket splits reads (the first input byte picks the piece
// size), for as many pipelined requests as the input holds; then, for each request read, the
// checks and decisions the API handler makes on it: Host and Origin, the key, the route, the
// scan of the body for the model and the chat inputs, the target as it goes on to a worker.
// Built by the `fuzz` preset (clang, libFuzzer, ASan, UBSan; scripts/fuzz.sh); the unit tests
// replay tests/fuzz/corpus through the same function.
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/http/bearer_auth.hpp"
#include "common/http/query.hpp"
#include "common/http/request_parser.hpp"
#include "router/http/cors.hpp"
#include "router/http/model_request.hpp"
#include "router/http/request_origin.hpp"
#include "router/http/routes.hpp"
#include "router/http/upstream_body.hpp"

namespace {

using namespace switchyard;
using namespace switchyard::http;

constexpr std::size_t kHeaderLimit = 4096;
constexpr std::uint64_t kBodyLimit = 64 * 1024;
constexpr int kMostRequests = 8;

// Reads one request into the parser's Request, taking input from `pending`, then `rest`,
// `piece` bytes at a time. False when the connection would end: refused, or input used up.
bool read_one(RequestParser& parser, std::string& pending, std::string_view& rest,
              std::size_t piece) {
  for (;;) {
    if (!pending.empty()) {
      boost::system::error_code ec;
      const std::size_t used = parser.put(boost::asio::buffer(pending), ec);
      pending.erase(0, used);
      if (parser.is_done()) return true;
      if (ec && ec != boost::beast::http::error::need_more) return false;
      if (used > 0 && !ec) continue;
    }
    if (rest.empty()) return false;
    const std::size_t n = std::min(piece, rest.size());
    pending.append(rest.substr(0, n));
    rest.remove_prefix(n);
  }
}

// A model whose worker knows it by a name that needs escaping, with params of every kind.
const config::ModelConfig& renaming_model() {
  static const config::ModelConfig model = [] {
    config::ModelConfig m;
    m.name = "m";
    m.upstream_model = "org/\"renamed\"";
    m.params.defaults = {{"temperature", 0.5}, {"stop", {"\n", "}"}}};
    m.params.overrides = {{"stream", true}, {"response_format", {{"type", "json_object"}}}};
    m.params.strip = {"user", "messages"};
    return m;
  }();
  return model;
}

void decide(const Request& request) {
  const std::vector<std::string> keys{"key-1", "key-2"};
  const std::vector<std::string> hosts{"router.lan"};
  const std::vector<std::string> origins{"http://chat.lan:3000"};
  try {
    check_request_origin(request, "127.0.0.1", hosts, origins);
    if (is_preflight(request)) preflight_fields(request);
  } catch (const ApiError&) {
  }
  check_bearer(request.values(FieldName::authorization), keys);
  std::string forwarded;
  append_target_without_credentials(forwarded, request.target());
  query_param(request.target(), "tail");
  try {
    parse_upstream_target(request.target());
  } catch (const ApiError&) {
  }
  const auto route = find_route(path_of(request.target()));
  if (!route) return;
  try {
    const ModelRequest model = parse_model_request(request, *route);
    config::ModelConfig text_only;
    check_chat_inputs(text_only, model.message_inputs);
    // upstream_model and params: the body sent on must still parse, and name the new model.
    Request sent = request;
    sent.body() = upstream_body(request, renaming_model(), false).value();
    if (parse_model_request(sent, *route).model != "org/\"renamed\"") __builtin_trap();
  } catch (const ApiError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t piece = data[0] == 0 ? size : data[0];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string pending;
  Request request;
  for (int i = 0; i < kMostRequests; ++i) {
    RequestParser parser(kHeaderLimit, request);
    parser.eager(true);
    parser.body_limit(kBodyLimit);
    if (!read_one(parser, pending, rest, piece)) break;
    decide(request);
  }
  return 0;
}
