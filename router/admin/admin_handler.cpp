#include "router/admin/admin_handler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <nlohmann/json.hpp>

#include "common/http/bearer_auth.hpp"
#include "common/http/query.hpp"
#include "common/sse.hpp"
#include "router/http/cors.hpp"
#include "router/http/request_origin.hpp"
#include "router/http/response.hpp"
#include "router/http/routes.hpp"
#include "router/proxy/client_watch.hpp"

namespace switchyard::admin {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using supervisor::ModelState;

namespace {

constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kDefaultTail = 100;
constexpr std::chrono::seconds kFollowHeartbeat{15};

nlohmann::json model_status(const supervisor::Supervisor& model) {
  const auto& config = model.config();
  const auto s = model.snapshot();
  const auto optional_text = [](const std::optional<std::string>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
  };
  std::string source = config.source == config::Source::engine    ? "engine:" + config.engine
                       : config.source == config::Source::command ? "command:" + config.command[0]
                                                                  : "url:" + config.url;
  return {{"name", config.name},
          {"type", config::to_string(config.type)},
          {"source", source},
          {"aliases", config.aliases},
          {"state", supervisor::to_string(s.state)},
          {"pid", s.pid ? nlohmann::json(s.pid) : nlohmann::json(nullptr)},
          {"port", s.port ? nlohmann::json(s.port) : nlohmann::json(nullptr)},
          {"uptime_seconds", std::chrono::duration<double>(s.uptime).count()},
          {"restarts", s.restarts},
          {"last_exit", optional_text(s.last_exit)},
          {"last_error", optional_text(s.last_error)},
          {"requests_in_flight", s.in_flight},
          {"requests_waiting", s.waiting},
          {"requests_queued", s.queued},
          {"failed_requests_in_a_row", s.failed_requests_in_a_row},
          {"ejections", s.ejections},
          {"ejected", s.ejected},
          {"starts_on_request", s.starts_on_request},
          {"unloads", s.unloads},
          {"group", s.group.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.group)},
          // What requests get now: a reload may have updated these in place.
          {"upstream_model", config.upstream_model.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json(config.upstream_model)},
          {"params",
           {{"defaults", config.params.defaults},
            {"overrides", config.params.overrides},
            {"strip", config.params.strip}}},
          {"fallbacks", config.fallbacks}};
}

std::string json_list(const std::vector<std::string>& items) {
  return nlohmann::json(items).dump();
}

}  // namespace

http::ReadLimits AdminHandler::read_limits() const {
  const auto& limits = context_.config->limits;
  http::ReadLimits read;
  read.max_header_bytes = limits.max_header_bytes;
  read.header_timeout = limits.header_timeout;
  read.idle_timeout = limits.idle_timeout;
  read.body_limit = [](const http::Request&) -> std::uint64_t { return 64 * 1024; };
  return read;
}

bool AdminHandler::origin_accepted(const http::Request& request) const {
  const config::Config& config = *context_.config;
  return http::request_origin_accepted(request, config.admin_listen.host, config.allowed_hosts,
                                       config.allowed_origins);
}

asio::awaitable<bool> AdminHandler::handle(http::Request& request, http::Connection& connection) {
  const std::string target(request.target());
  const std::string path(http::path_of(target));
  const bool keep_alive = connection.keep_alive;
  const auto verb = request.method();
  bool origin_accepted = false;  // so a browser page may read the answer
  const auto answer_fields = [&] {
    http::HeaderList fields;
    if (origin_accepted) http::add_cors_fields(fields, request);
    return fields;
  };
  const auto reply = [&](unsigned status, const nlohmann::json& body) {
    return http::write_response(connection, status, body.dump(), "application/json", keep_alive,
                                answer_fields());
  };

  std::optional<ApiError> failure;
  try {
    const auto& config = *context_.config;
    http::check_request_origin(request, config.admin_listen.host, config.allowed_hosts,
                               config.allowed_origins);
    origin_accepted = true;
    if (http::is_preflight(request)) {
      co_return co_await http::write_preflight_answer(connection, request, keep_alive) &&
          keep_alive;
    }
    if (path == "/health") {
      const nlohmann::json body = {{"status", "ok"}};
      co_return co_await reply(200, body) && keep_alive;
    }
    if (path == "/ready") {
      nlohmann::json not_ready = nlohmann::json::object();
      for (const auto& model : context_.registry.models()) {
        // A model down until asked for is as ready as it is meant to be.
        if (model->state() != ModelState::ready && !model->starts_on_request()) {
          not_ready[model->config().name] = supervisor::to_string(model->state());
        }
      }
      const bool ready = not_ready.empty();
      const nlohmann::json body = {{"status", ready ? "ready" : "not ready"},
                                   {"not_ready", not_ready}};
      co_return co_await reply(ready ? 200 : 503, body) && keep_alive;
    }

    if (!config.admin_keys.empty()) {
      const std::vector<std::string_view> values = request.values(http::FieldName::authorization);
      const auto result = http::check_bearer(values, config.admin_keys);
      if (result == http::AuthResult::missing) {
        throw ApiError(ErrorKind::unauthorized, "missing admin key", std::nullopt,
                       "missing_api_key");
      }
      if (result == http::AuthResult::invalid) {
        if (http::check_bearer(values, config.api_keys) == http::AuthResult::ok) {
          throw ApiError(ErrorKind::forbidden, "an inference key cannot be used for admin",
                         std::nullopt, "wrong_key_scope");
        }
        throw ApiError(ErrorKind::unauthorized, "invalid admin key", std::nullopt,
                       "invalid_api_key");
      }
    }

    if (path == "/metrics" && verb == bhttp::verb::get) {
      co_return co_await http::write_response(
                    connection, 200, context_.metrics.prometheus_text(context_.registry),
                    "text/plain; version=0.0.4", keep_alive) &&
          keep_alive;
    }
    if (path == "/admin/models" && verb == bhttp::verb::get) {
      nlohmann::json models = nlohmann::json::array();
      for (const auto& model : context_.registry.models()) models.push_back(model_status(*model));
      nlohmann::json body = {{"models", models}};
      body["last_reload_errors"] = context_.last_reload_errors;
      co_return co_await reply(200, body) && keep_alive;
    }
    if (path == "/admin/reload") {
      if (verb != bhttp::verb::post) throw ApiError(ErrorKind::method_not_allowed, "use POST");
      const ReloadOutcome outcome = co_await reload_();
      if (!outcome.errors.empty()) {
        ApiError error(ErrorKind::invalid_request,
                       "the new config has errors; the old one stays live", std::nullopt,
                       "invalid_config");
        nlohmann::json body = nlohmann::json::parse(error.body());
        body["error"]["details"] = outcome.errors;
        co_return co_await reply(400, body) && keep_alive;
      }
      const nlohmann::json body = {
          {"added", outcome.plan.added},         {"removed", outcome.plan.removed},
          {"changed", outcome.plan.changed},     {"updated", outcome.plan.updated},
          {"unchanged", outcome.plan.unchanged}, {"warnings", outcome.warnings}};
      co_return co_await reply(200, body) && keep_alive;
    }

    constexpr std::string_view kModels = "/admin/models/";
    if (path.starts_with(kModels)) {
      const std::string rest = path.substr(kModels.size());
      const std::size_t slash = rest.find('/');
      const std::string name = rest.substr(0, slash);
      const std::string action = slash == std::string::npos ? "" : rest.substr(slash + 1);
      auto model = context_.registry.find(name);
      if (!model) {
        throw ApiError(ErrorKind::not_found, "model '" + name + "' does not exist; known: " +
                                                 json_list(context_.registry.names()));
      }
      if (action.empty() && verb == bhttp::verb::get) {
        const nlohmann::json body = model_status(*model);
        co_return co_await reply(200, body) && keep_alive;
      }
      if (action == "logs" && verb == bhttp::verb::get) {
        std::size_t tail = kDefaultTail;
        if (auto text = http::query_param(target, "tail")) {
          auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), tail);
          if (ec != std::errc() || end != text->data() + text->size()) {
            throw ApiError(ErrorKind::invalid_request, "tail must be a non-negative integer",
                           "tail");
          }
        }
        const auto follow = http::query_param(target, "follow");
        if (follow && (*follow == "1" || *follow == "true")) {
          co_return co_await follow_logs(model, tail, connection, answer_fields());
        }
        const nlohmann::json body = {{"model", name}, {"lines", model->logs().tail(tail)}};
        co_return co_await reply(200, body) && keep_alive;
      }
      if (action == "start" || action == "stop" || action == "restart" || action == "unload") {
        if (verb != bhttp::verb::post) throw ApiError(ErrorKind::method_not_allowed, "use POST");
        if (action == "unload" && model->config().source == config::Source::url) {
          throw ApiError(ErrorKind::invalid_request,
                         "model '" + name + "' is a url model: it has no worker to unload");
        }
        if (action == "start") model->start();
        if (action == "stop") model->stop();
        if (action == "restart") model->restart();
        if (action == "unload") model->unload();
        const nlohmann::json body = {{"model", name}, {"action", action},
                                     {"state", supervisor::to_string(model->state())}};
        co_return co_await reply(202, body) && keep_alive;
      }
    }
    throw ApiError(ErrorKind::not_found, "unknown admin endpoint " + path);
  } catch (const ApiError& error) {
    failure = error;
  }
  co_return co_await http::write_error_response(connection, *failure, keep_alive,
                                                answer_fields()) &&
      keep_alive;
}

asio::awaitable<bool> AdminHandler::follow_logs(registry::SupervisorPtr model, std::size_t tail,
                                                http::Connection& connection,
                                                http::HeaderList fields) {
  auto& stream = connection.stream;
  bhttp::response<bhttp::empty_body> header{bhttp::status::ok, 11};
  header.set(bhttp::field::content_type, sse::kContentType);
  header.set(bhttp::field::cache_control, "no-cache");
  header.set("X-Accel-Buffering", "no");
  for (const auto& [name, value] : fields) header.set(name, value);
  header.chunked(true);
  header.keep_alive(false);
  bhttp::response_serializer<bhttp::empty_body> serializer(header);
  if (auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kNoThrow); ec) {
    co_return false;
  }
  proxy::ClientWatch watch(stream);
  auto& logs = model->logs();
  watch.on_gone([&logs] { logs.on_append().notify_all(); });
  std::uint64_t next = logs.next_sequence() - std::min<std::uint64_t>(tail, logs.next_sequence());
  while (!watch.gone()) {
    std::string events;
    for (const auto& line : logs.since(next)) events += sse::data_event(line);
    if (events.empty()) events = ": keep-alive\n\n";
    connection.deadline.expires_after(std::chrono::seconds(30));
    auto [ec, n] = co_await asio::async_write(stream, bhttp::make_chunk(asio::buffer(events)),
                                              kNoThrow);
    connection.deadline.expires_never();
    if (ec) co_return false;
    if (logs.next_sequence() == next) {
      co_await logs.on_append().wait_until(std::chrono::steady_clock::now() + kFollowHeartbeat);
    }
  }
  co_return false;
}

}  // namespace switchyard::admin
