#include "router/http/api_handler.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>
#include <random>

#include "common/http/bearer_auth.hpp"
#include "router/config/units.hpp"
#include "router/http/cors.hpp"
#include "router/http/fallback.hpp"
#include "router/http/model_access.hpp"
#include "router/http/model_request.hpp"
#include "router/http/model_wait.hpp"
#include "router/http/request_origin.hpp"
#include "router/http/response.hpp"
#include "router/http/routes.hpp"
#include "router/http/upstream_body.hpp"
#include "router/proxy/client_watch.hpp"
#include "router/proxy/relay.hpp"

namespace switchyard::http {

namespace asio = boost::asio;
namespace bhttp = beast::http;
using supervisor::ModelState;
using SteadyClock = std::chrono::steady_clock;

namespace {

std::string new_request_id() {
  static std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text(16, '0');
  for (std::uint64_t bits = rng(); char& digit : text) {
    digit = kHex[bits & 0xf];
    bits >>= 4;
  }
  return text;
}

// A client-chosen id is kept only when it is short and printable: it ends up in logs.
std::string request_id_of(const Request& request) {
  const std::string_view given = request[FieldName::x_request_id];
  const bool usable = !given.empty() && given.size() <= 128 &&
                      std::all_of(given.begin(), given.end(), [](char c) {
                        return c > 32 && c < 127;
                      });
  return usable ? std::string(given) : new_request_id();
}

nlohmann::json model_entry(const supervisor::Supervisor& model, const std::string& id,
                           std::int64_t created) {
  const auto& config = model.config();
  nlohmann::json inputs = nlohmann::json::array();
  for (auto input : config.inputs) inputs.push_back(config::to_string(input));
  nlohmann::json entry = {{"id", id},
                          {"object", "model"},
                          {"created", created},
                          {"owned_by", "switchyard"},
                          {"type", config::to_string(config.type)},
                          {"state", supervisor::to_string(model.state())},
                          {"aliases", config.aliases}};
  if (config.type == config::ModelType::text) entry["inputs"] = inputs;
  if (id != config.name) entry["alias_of"] = config.name;
  return entry;
}

// The synchronous parts of ApiHandler::handle, kept out of the coroutine: GCC gives every local
// of a coroutine its own place in the frame, and a frame larger than the 1020 bytes Asio
// recycles costs a malloc and a free per request.

// Throws the 401 for a request without one of the configured keys.
void authorize(const Request& request, const std::vector<std::string>& api_keys) {
  const AuthResult auth = check_bearer(request.values(FieldName::authorization), api_keys);
  if (auth == AuthResult::missing) {
    throw ApiError(ErrorKind::unauthorized,
                   "missing API key: send it as 'Authorization: Bearer <key>'", std::nullopt,
                   "missing_api_key");
  }
  if (auth == AuthResult::invalid) {
    throw ApiError(ErrorKind::unauthorized, "invalid API key", std::nullopt, "invalid_api_key");
  }
}

// The fields of every answer the handler writes itself.
HeaderList response_fields(const std::string& request_id, const Request& request,
                           bool origin_accepted) {
  HeaderList fields{{"X-Request-Id", request_id}};
  if (origin_accepted) add_cors_fields(fields, request);
  return fields;
}

// Throws the 429 for a client over its rate: the client is the API key it used (with the rate
// given to that key, if any, else `rate_limit`), or its address when the router has no keys.
void admit(RouterContext& context, const Request& request, const Connection& connection) {
  const config::Config& config = *context.config;
  if (config.rate_limit.requests_per_minute <= 0 && config.key_rate_limits.empty()) return;
  const config::RateLimit* limit = &config.rate_limit;
  std::string_view client = connection.remote_address;
  if (!config.api_keys.empty()) {
    client = bearer_token(request[FieldName::authorization]);
    if (auto own = config.key_rate_limits.find(client); own != config.key_rate_limits.end()) {
      limit = &own->second;
    }
  }
  const auto wait = context.rate_limiter.take(client, *limit, SteadyClock::now());
  if (wait == SteadyClock::duration::zero()) return;
  const auto seconds = std::chrono::ceil<std::chrono::seconds>(wait).count();
  ApiError error(ErrorKind::too_many_requests,
                 "rate limit of " + std::to_string(limit->requests_per_minute) +
                     " requests per minute reached; retry in " + std::to_string(seconds) + " s",
                 std::nullopt, "rate_limit_exceeded");
  error.retry_after_seconds = static_cast<int>(seconds);
  throw error;
}

// The answer to /v1/models or /v1/models/{id}: the models the request's key may use.
std::string models_body(const Request& request, std::string_view path,
                        const RouterContext& context) {
  if (request.method() != bhttp::verb::get) {
    throw ApiError(ErrorKind::method_not_allowed, std::string(path) + " accepts GET");
  }
  const auto created =
      std::chrono::duration_cast<std::chrono::seconds>(context.started.time_since_epoch()).count();
  const config::KeyModels* scope = key_models(request, *context.config);
  if (path != "/v1/models") {
    const std::string id(path.substr(std::string_view("/v1/models/").size()));
    return model_entry(*find_model(id, scope, context.registry), id, created).dump();
  }
  nlohmann::json data = nlohmann::json::array();
  for (const auto& model : context.registry.models()) {
    if (!may_use(scope, *model, context.registry)) continue;
    data.push_back(model_entry(*model, model->config().name, created));
    for (const auto& alias : model->config().aliases) {
      data.push_back(model_entry(*model, alias, created));
    }
  }
  return nlohmann::json{{"object", "list"}, {"data", std::move(data)}}.dump();
}

// The model a request to an inference endpoint names (one its key may use), checked for the
// endpoint's type and inputs; or the model of an /upstream/ path, with what to ask its worker
// for in `upstream_target`. Its name goes into `model_name` as soon as it is known, for the log
// and the metrics.
registry::SupervisorPtr target_model(const Request& request, std::string_view path,
                                     const RouterContext& context, std::string& model_name,
                                     std::string_view& upstream_target) {
  const registry::Registry& registry = context.registry;
  const config::KeyModels* scope = key_models(request, *context.config);
  const auto route = find_route(path);
  if (!route) {
    if (const auto upstream = parse_upstream_target(request.target())) {
      model_name = std::string(upstream->model);
      auto model = find_model(model_name, scope, registry);
      upstream_target = upstream->target;
      return model;
    }
    throw ApiError(ErrorKind::not_found, "unknown endpoint " + std::string(path), std::nullopt,
                   "unknown_url");
  }
  if (request.method() != bhttp::verb::post) {
    throw ApiError(ErrorKind::method_not_allowed, std::string(path) + " accepts POST");
  }
  ModelRequest model_request = parse_model_request(request, *route);
  model_name = std::move(model_request.model);
  auto model = find_model(model_name, scope, registry);
  if (auto error = check_model_type(model_name, model->config().type, *route)) throw *error;
  if (route->path == "/v1/chat/completions") {
    if (auto error = check_chat_inputs(model->config(), model_request.message_inputs)) {
      throw *error;
    }
  }
  return model;
}

// Hands the request to the next fallback of the model that could not take it (`error` says
// why the last one could not), or rethrows that model's own failure when none is left.
registry::SupervisorPtr take_fallback(FallbackState& fallback, const ApiError& error,
                                      const Request& request, std::string_view path,
                                      RouterContext& context, const std::string& model_name,
                                      const std::string& request_id) {
  auto model = next_fallback(fallback, request, *find_route(path), context.registry);
  if (!model) {
    spdlog::warn("request {}: {}; no fallback of model {} could take it", request_id, error.what(),
                 fallback.asked->config().name);
    std::rethrow_exception(fallback.asked_failure);
  }
  spdlog::warn("request {}: {}; handing it to fallback {}", request_id, error.what(),
               model->config().name);
  context.metrics.record_fallback(model_name);
  return model;
}

// Sends the request to the worker of `model`, which may take it now, and relays the answer. The
// body is the client's as the model wants it (its params, the name its worker knows; see
// upstream_body.hpp). The answer's status counts towards the model's failed requests, and so
// does the router's own 502 or 504 (thrown) for a worker that broke off or stayed silent: a
// server that answers its health checks and drops every request is taken out all the same.
asio::awaitable<proxy::RelayResult> relay_to(supervisor::Supervisor& model, const Request& request,
                                             Connection& connection, proxy::ClientWatch& watch,
                                             RouterContext& context, std::string_view request_id,
                                             std::string_view upstream_target, bool is_fallback) {
  model.request_started();
  struct InFlight {
    supervisor::Supervisor& model;
    ~InFlight() { model.request_finished(); }
  } in_flight{model};
  const auto& upstream = model.upstream();
  proxy::RelayOptions options;
  options.request_id = request_id;
  options.base_path = upstream.base_path;
  options.target = upstream_target;
  options.client_address = connection.remote_address;
  options.idle_timeout = context.config->limits.stream_idle_timeout;
  const std::optional<std::string> body = upstream_body(request, model.config(), is_fallback);
  if (body) options.body = *body;
  const proxy::UpstreamKey key{model.config().name, model.generation(), upstream.host,
                               upstream.port};
  proxy::RelayResult result;
  try {
    result = co_await proxy::relay(request, connection, watch, context.pool, key, options);
  } catch (const ApiError& error) {
    model.request_answered(key.generation, error.status());
    throw;
  }
  if (!result.client_gone) model.request_answered(key.generation, result.status);
  co_return result;
}

}  // namespace

ReadLimits ApiHandler::read_limits() const {
  const auto& limits = context_.config->limits;
  ReadLimits read;
  read.max_header_bytes = limits.max_header_bytes;
  read.header_timeout = limits.header_timeout;
  read.idle_timeout = limits.idle_timeout;
  read.release_buffer = false;
  // Captures only a pointer, so that std::function needs no allocation for it.
  read.body_limit = [this](const Request& request) -> std::uint64_t {
    const config::BodyLimits& body = context_.config->limits.max_body_bytes;
    if (auto route = find_route(path_of(request.target()))) return body.for_type(route->type);
    try {
      if (const auto upstream = parse_upstream_target(request.target())) {
        if (const auto model = context_.registry.find(upstream->model)) {
          return body.for_type(model->config().type);
        }
      }
    } catch (const ApiError&) {
      // Refused with its reason once the request is read.
    }
    return 64 * 1024;  // nothing else here takes a body
  };
  return read;
}

bool ApiHandler::origin_accepted(const Request& request) const {
  const config::Config& config = *context_.config;
  return request_origin_accepted(request, config.listen.host, config.allowed_hosts,
                                 config.allowed_origins);
}

asio::awaitable<bool> ApiHandler::handle(Request& request, Connection& connection) {
  const auto started = SteadyClock::now();
  const std::string request_id = request_id_of(request);
  const std::string_view path = path_of(request.target());
  const config::Config& config = *context_.config;
  bool origin_accepted = false;  // so a browser page may read the answer
  std::string model_name = "-";
  unsigned status = 0;
  std::uint64_t bytes = 0;
  bool keep_alive = connection.keep_alive;
  bool client_gone = false;
  std::unique_ptr<ApiError> failure;  // on the heap: the frame is kept small (see above)

  try {
    check_request_origin(request, config.listen.host, config.allowed_hosts, config.allowed_origins);
    origin_accepted = true;
    if (is_preflight(request)) {
      co_return co_await write_preflight_answer(connection, request, keep_alive) && keep_alive;
    }
    if (path == "/healthz" && request.method() == bhttp::verb::get) {
      status = 200;
      co_return co_await write_response(connection, 200, R"({"status":"ok"})", "application/json",
                                        keep_alive,
                                        response_fields(request_id, request, origin_accepted)) &&
          keep_alive;
    }
    if (!config.api_keys.empty()) authorize(request, config.api_keys);
    if (path == "/v1/models" || path.starts_with("/v1/models/")) {
      const std::string body = models_body(request, path, context_);
      status = 200;
      co_return co_await write_response(connection, 200, body, "application/json", keep_alive,
                                        response_fields(request_id, request, origin_accepted)) &&
          keep_alive;
    }

    admit(context_, request, connection);
    std::string_view upstream_target;
    auto model = target_model(request, path, context_, model_name, upstream_target);

    proxy::ClientWatch watch(connection.stream);
    // On the heap, and only for a request whose model fails it: the frame stays small.
    std::unique_ptr<FallbackState> fallback;
    for (;;) {
      try {
        if (!model->may_send()) {
          const auto deadline = SteadyClock::now() + model->config().queue_timeout;
          model = co_await wait_to_send(model, request_id, deadline, context_.registry, watch);
          client_gone = !model;
        }
        if (!client_gone) {
          const proxy::RelayResult result =
              co_await relay_to(*model, request, connection, watch, context_, request_id,
                                upstream_target, fallback != nullptr);
          status = result.status;
          bytes = result.bytes;
          client_gone = result.client_gone;
          keep_alive = result.keep_alive;
          if (!result.error.empty()) {
            spdlog::warn("request {}: model {}: {}", request_id, model_name, result.error);
          }
        }
        break;
      } catch (const ApiError& error) {
        // /upstream/ paths belong to one model's server: they have no fallbacks.
        if (!another_model_may_take(error) || !upstream_target.empty()) throw;
        if (!fallback) {
          if (model->config().fallbacks.empty()) throw;
          fallback =
              std::make_unique<FallbackState>(FallbackState{model, std::current_exception(), 0});
        }
        model = take_fallback(*fallback, error, request, path, context_, model_name, request_id);
      }
    }
    if (client_gone) keep_alive = false;
  } catch (const ApiError& error) {
    failure = std::make_unique<ApiError>(error);
  }
  if (failure) {
    status = failure->status();
    const bool written = co_await write_error_response(
        connection, *failure, keep_alive, response_fields(request_id, request, origin_accepted));
    keep_alive = keep_alive && written;
  }

  const auto duration = SteadyClock::now() - started;
  if (model_name == "-") {
    context_.metrics.record_refused(status);
  } else {
    context_.metrics.record_model_request(model_name, status, bytes, client_gone, duration);
  }
  // The arguments cost allocations even when the line is filtered out.
  if (spdlog::should_log(spdlog::level::info)) {
    spdlog::info("request id={} client={} model={} endpoint={} {} status={} bytes={} ms={}{}",
                 request_id, connection.remote_address, model_name,
                 std::string(request.method_string()), path,
                 client_gone ? std::string("client-gone") : std::to_string(status), bytes,
                 std::chrono::duration_cast<std::chrono::milliseconds>(duration).count(),
                 client_gone ? " (client disconnected)" : "");
  }
  co_return keep_alive;
}

}  // namespace switchyard::http
