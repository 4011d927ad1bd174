// fake_worker: an HTTP/1.1 keep-alive server that plays a switchyard worker for the integration
// tests. It echoes /v1/* requests as JSON, streams timestamped SSE events, and misbehaves on
// command (slow start, hung health checks, crashes, ignored SIGTERM, escaping grandchild); see
// fake_worker_options.hpp. Single-threaded: every counter is touched only by the io_context thread.
#include <signal.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common/http/multipart.hpp"
#include "common/openai_error.hpp"
#include "common/sse.hpp"
#include "tests/fakes/fake_worker_options.hpp"

namespace switchyard::fake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;
using asio::experimental::awaitable_operators::operator||;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Request = http::request<http::string_body>;

constexpr std::size_t kBodyLimit = 64 * 1024 * 1024;
// Long enough for a router's pooled idle connection, short enough to reap abandoned ones.
constexpr auto kIdleTimeout = std::chrono::seconds(120);
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

// One stdout line per call, flushed at once: tests read the router's capture of it.
void say(const std::string& line) { std::cout << line << std::endl; }

[[noreturn]] void exit_now(int code) {
  std::cout.flush();
  ::_exit(code);
}

// Comparable across processes (CLOCK_MONOTONIC), so tests can time delivery against it.
std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
      .count();
}

int int_field(const json& body, const char* key, int fallback) {
  const auto it = body.find(key);
  return it != body.end() && it->is_number_integer() ? it->get<int>() : fallback;
}

ErrorKind kind_for_status(unsigned status) {
  for (ErrorKind kind :
       {ErrorKind::invalid_request, ErrorKind::unauthorized, ErrorKind::forbidden,
        ErrorKind::not_found, ErrorKind::method_not_allowed, ErrorKind::request_timeout,
        ErrorKind::payload_too_large, ErrorKind::headers_too_large, ErrorKind::too_many_requests,
        ErrorKind::not_implemented, ErrorKind::bad_gateway, ErrorKind::unavailable,
        ErrorKind::gateway_timeout}) {
    if (http_status(kind) == static_cast<int>(status)) return kind;
  }
  return ErrorKind::internal;
}

void log_failure(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::cerr << "fake_worker: task failed: " << e.what() << std::endl;
  }
}

// Completes when the peer closes (or resets) the connection. Bytes that arrive meanwhile are kept
// in `buffer` for the next request, so a pipelining client is not mistaken for a departed one.
asio::awaitable<void> client_gone(tcp::socket& socket, beast::flat_buffer& buffer) {
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(buffer.prepare(4096), use_tuple);
    if (ec) co_return;
    buffer.commit(n);
  }
}

class Worker {
 public:
  explicit Worker(FakeWorkerOptions options)
      : options_(std::move(options)), started_(Clock::now()) {}

  asio::awaitable<void> serve(tcp::acceptor& acceptor) {
    for (;;) {
      auto [ec, socket] = co_await acceptor.async_accept(use_tuple);
      if (!acceptor.is_open()) co_return;
      if (ec) continue;
      // Each SSE event must leave as soon as it is written, not wait for the previous ACK.
      socket.set_option(tcp::no_delay(true), ec);
      asio::co_spawn(acceptor.get_executor(), session(std::move(socket)), log_failure);
    }
  }

 private:
  struct ConnectionCount {
    explicit ConnectionCount(int& count) : count_(count) { ++count_; }
    ~ConnectionCount() { --count_; }
    int& count_;
  };

  asio::awaitable<void> session(tcp::socket socket) {
    const ConnectionCount counted(open_connections_);
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    for (;;) {
      http::request_parser<http::string_body> parser;
      parser.body_limit(kBodyLimit);
      stream.expires_after(kIdleTimeout);
      auto [ec, n] = co_await http::async_read(stream, buffer, parser, use_tuple);
      if (ec == http::error::body_limit) {
        co_await reply(stream, parser.get(), 413,
                       error_body(ErrorKind::payload_too_large, "fake_worker: body over 64 MiB"));
        break;
      }
      if (ec) break;
      stream.expires_never();
      Request request = parser.release();
      say("request " + std::string(request.method_string()) + " " + std::string(request.target()));
      if (!co_await handle(stream, buffer, request)) break;
    }
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  // Returns whether the connection stays open for another request.
  asio::awaitable<bool> handle(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                               const Request& request) {
    const std::string_view target = request.target();
    std::string_view path = target.substr(0, target.find('?'));
    if (!options_.base_path.empty()) {
      if (!path.starts_with(options_.base_path)) {
        co_return co_await reply(
            stream, request, 404,
            error_body(ErrorKind::not_found, "fake_worker: outside --base-path"));
      }
      path.remove_prefix(options_.base_path.size());
    }
    if (path == options_.health_path) co_return co_await health(stream, buffer, request);
    if (path == "/stats") co_return co_await reply(stream, request, 200, stats_json().dump());
    if (!path.starts_with("/v1/")) {
      co_return co_await reply(stream, request, 404,
                               error_body(ErrorKind::not_found, "fake_worker: no such path"));
    }
    ++requests_;
    if (options_.crash_on_request) exit_now(1);
    if (options_.drop_requests) co_return false;
    if (options_.fail_status) {
      const unsigned status = *options_.fail_status;
      co_return co_await reply(stream, request, status,
                               error_body(kind_for_status(status), "fake_worker --fail-status"));
    }
    if (request.method() == http::verb::get && path == "/v1/models") {
      co_return co_await reply(stream, request, 200, models_json().dump());
    }
    co_return co_await api(stream, buffer, request);
  }

  asio::awaitable<bool> health(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                               const Request& request) {
    ++health_requests_;
    if (health_hangs()) {
      co_await client_gone(stream.socket(), buffer);
      co_return false;
    }
    if (Clock::now() - started_ < options_.load_delay) {
      co_return co_await reply(stream, request, 503, R"({"status":"loading"})");
    }
    co_return co_await reply(stream, request, 200, R"({"status":"ok"})");
  }

  bool health_hangs() const {
    if (options_.hang_health_after && Clock::now() - started_ >= *options_.hang_health_after) {
      return true;
    }
    std::error_code ec;
    return options_.hang_health_file && std::filesystem::exists(*options_.hang_health_file, ec);
  }

  asio::awaitable<bool> api(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                            const Request& request) {
    const json body = json::parse(request.body(), nullptr, false);
    if (body.is_object()) {
      if (body.contains("stream_crash_after")) {
        co_return co_await stream_events(stream.socket(), buffer, request,
                                         int_field(body, "stream_crash_after", 0), true);
      }
      if (body.value("stream", json(false)) == true) {
        co_return co_await stream_events(stream.socket(), buffer, request, options_.sse_events,
                                         false);
      }
      if (const int delay_ms = int_field(body, "delay_ms", 0); delay_ms > 0) {
        asio::steady_timer timer(stream.get_executor(), std::chrono::milliseconds(delay_ms));
        most_delayed_at_once_ = std::max(most_delayed_at_once_, ++delayed_);
        const auto waited = co_await (timer.async_wait(asio::use_awaitable) ||
                                      client_gone(stream.socket(), buffer));
        --delayed_;
        if (waited.index() == 1) {
          ++aborted_;
          co_return false;
        }
      }
    }
    std::string echo = echo_json(request, body).dump();
    // A large answer on request: {"reply_bytes": N} pads the echo with N bytes. Spliced in, not
    // serialised by nlohmann, which takes over a second for 12 MiB under ASan: long enough for
    // a test's short stream_idle_timeout to pass before the answer begins.
    if (const int pad = body.is_object() ? int_field(body, "reply_bytes", 0) : 0; pad > 0) {
      echo.pop_back();
      echo += R"(,"padding":")";
      echo.append(static_cast<std::size_t>(pad), 'x');
      echo += "\"}";
    }
    co_return co_await reply(stream, request, 200, echo);
  }

  // Chunked SSE: `count` events spaced by --sse-interval, then [DONE] (or _exit(1) when `crash`).
  asio::awaitable<bool> stream_events(tcp::socket& socket, beast::flat_buffer& buffer,
                                      const Request& request, int count, bool crash) {
    http::response<http::empty_body> response{http::status::ok, request.version()};
    response.set(http::field::content_type, sse::kContentType);
    response.set(http::field::cache_control, "no-cache");
    allow_any_origin(response);
    response.keep_alive(request.keep_alive());
    response.chunked(true);
    http::response_serializer<http::empty_body> serializer{response};
    if (auto [ec, n] = co_await http::async_write_header(socket, serializer, use_tuple); ec) {
      co_return false;
    }
    const auto written = co_await (write_events(socket, count) || client_gone(socket, buffer));
    if (written.index() == 1 || !std::get<0>(written)) {
      ++aborted_;
      co_return false;
    }
    if (crash) exit_now(1);
    const std::string done = sse::done_event();
    auto [ec, n] =
        co_await asio::async_write(socket, http::make_chunk(asio::buffer(done)), use_tuple);
    if (ec) co_return false;
    std::tie(ec, n) = co_await asio::async_write(socket, http::make_chunk_last(), use_tuple);
    co_return !ec && response.keep_alive();
  }

  asio::awaitable<bool> write_events(tcp::socket& socket, int count) {
    asio::steady_timer timer(socket.get_executor());
    for (int seq = 0; seq < count; ++seq) {
      if (seq > 0) {
        timer.expires_after(options_.sse_interval);
        if (auto [ec] = co_await timer.async_wait(use_tuple); ec) co_return false;
      }
      const std::string event =
          sse::data_event(json{{"seq", seq}, {"t_us", now_us()}, {"worker", options_.name}}.dump());
      auto [ec, n] =
          co_await asio::async_write(socket, http::make_chunk(asio::buffer(event)), use_tuple);
      if (ec) co_return false;
    }
    co_return true;
  }

  // As llama-server and most OpenAI-style servers do: the router must not pass this on.
  template <class Body>
  static void allow_any_origin(http::response<Body>& response) {
    response.set(http::field::access_control_allow_origin, "*");
    response.set(http::field::access_control_allow_headers, "*");
  }

  asio::awaitable<bool> reply(beast::tcp_stream& stream, const Request& request, unsigned status,
                              std::string body) {
    http::response<http::string_body> response{static_cast<http::status>(status),
                                               request.version()};
    response.set(http::field::content_type, "application/json");
    allow_any_origin(response);
    response.keep_alive(request.keep_alive());
    response.body() = std::move(body);
    response.prepare_payload();
    stream.expires_after(kIdleTimeout);
    auto [ec, n] = co_await http::async_write(stream, response, use_tuple);
    co_return !ec && response.keep_alive();
  }

  json echo_json(const Request& request, const json& body) const {
    json headers = json::object();
    for (const auto& field : request) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string value(field.value());
      headers[name] =
          headers.contains(name) ? headers[name].get<std::string>() + ", " + value : value;
    }
    const auto header_or_null = [&](std::string_view name) {
      const auto it = request.find(name);
      return it == request.end() ? json(nullptr) : json(std::string(it->value()));
    };
    const bool has_model = body.is_object() && body.contains("model");
    json form_model = nullptr;  // the `model` field of a multipart body
    json form_fields = nullptr;  // its text fields, in order, as "name=value"
    const auto form = ::switchyard::http::parse_multipart(
        request.body(), request[http::field::content_type], nullptr);
    if (form) {
      if (const auto* part = ::switchyard::http::find_part(*form, "model")) {
        form_model = std::string(part->data);
      }
      form_fields = json::array();
      for (const auto& part : *form) {
        if (part.filename.empty()) form_fields.push_back(part.name + "=" + std::string(part.data));
      }
    }
    // The body as the worker got it, for tests of what the router changes; not a large one.
    constexpr std::size_t kMostBodyEchoed = 64 * 1024;
    const bool echo_body = has_model && request.body().size() <= kMostBodyEchoed;
    return {{"worker", options_.name},
            {"pid", ::getpid()},
            {"method", std::string(request.method_string())},
            {"path", std::string(request.target())},
            {"model", has_model ? body["model"] : json(nullptr)},
            {"form_model", form_model},
            {"form_fields", std::move(form_fields)},
            {"body", echo_body ? body : json(nullptr)},
            {"body_bytes", request.body().size()},
            {"authorization", header_or_null("Authorization")},
            {"x_request_id", header_or_null("X-Request-Id")},
            {"headers", std::move(headers)}};
  }

  json stats_json() const {
    return {{"requests", requests_},
            {"health_requests", health_requests_},
            {"aborted", aborted_},
            {"open_connections", open_connections_},
            {"most_delayed_at_once", most_delayed_at_once_},
            {"pid", ::getpid()}};
  }

  json models_json() const {
    return {{"object", "list"},
            {"data", json::array({{{"id", options_.name},
                                   {"object", "model"},
                                   {"created", 0},
                                   {"owned_by", "fake_worker"}}})}};
  }

  const FakeWorkerOptions options_;
  const Clock::time_point started_;
  std::uint64_t requests_ = 0;  // /v1/* only, so health probes do not blur the count
  std::uint64_t health_requests_ = 0;
  std::uint64_t aborted_ = 0;  // streams and delayed requests the client left early
  int open_connections_ = 0;
  int delayed_ = 0;  // requests in their delay_ms now
  int most_delayed_at_once_ = 0;
};

// A descendant in its own session escapes the worker's process group, like a wrapper script's
// child would; the router must still not leak it silently.
void spawn_grandchild() {
  std::cout.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::perror("fake_worker: fork");
    ::_exit(1);
  }
  if (pid == 0) {
    ::setsid();
    for (;;) ::pause();
  }
  say("grandchild pid " + std::to_string(pid));
}

}  // namespace
}  // namespace switchyard::fake

int main(int argc, char** argv) {
  using namespace switchyard::fake;
  FakeWorkerOptions options;
  try {
    options = parse_options(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "fake_worker: " << e.what() << '\n' << kUsage;
    return 2;
  }
  if (options.fork_grandchild) spawn_grandchild();
  if (options.ignore_sigterm) ::signal(SIGTERM, SIG_IGN);

  // Declared before the io_context: its destructor frees session frames that still use `worker`.
  Worker worker(options);
  asio::io_context io(1);
  tcp::acceptor acceptor(io);
  try {
    const tcp::endpoint endpoint(asio::ip::make_address(options.host), options.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(tcp::acceptor::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen();
  } catch (const std::exception& e) {
    std::cerr << "fake_worker: cannot listen on " << options.host << ':' << options.port << ": "
              << e.what() << std::endl;
    return 1;
  }

  asio::signal_set signals(io, SIGINT);
  if (!options.ignore_sigterm) signals.add(SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    acceptor.close();
    io.stop();
  });
  asio::steady_timer exit_timer(io);
  if (options.exit_after) {
    exit_timer.expires_after(*options.exit_after);
    exit_timer.async_wait([code = options.exit_code](const boost::system::error_code& ec) {
      if (!ec) exit_now(code);
    });
  }

  say("fake_worker " + options.name + " listening on " + options.host + ":" +
      std::to_string(acceptor.local_endpoint().port()));
  asio::co_spawn(io, worker.serve(acceptor), log_failure);
  io.run();
  return 0;
}
