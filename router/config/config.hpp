// The router's configuration, as parsed from models.yaml. Parsed and validated once at load
// (see loader.hpp) and never changed afterwards: a reload builds a new Config and diffs it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace switchyard::config {

using Duration = std::chrono::milliseconds;

enum class ModelType { text, image, audio };
std::string_view to_string(ModelType type);
std::optional<ModelType> model_type_from_string(std::string_view text);

enum class RestartPolicy { always, on_failure, never };
std::string_view to_string(RestartPolicy policy);
std::optional<RestartPolicy> restart_policy_from_string(std::string_view text);

// What a text model accepts inside chat messages besides text.
enum class Input { text, image, audio };
std::string_view to_string(Input input);
std::optional<Input> input_from_string(std::string_view text);

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
  bool operator==(const Endpoint&) const = default;
};

struct HealthConfig {
  std::string path = "/health";
  Duration interval = std::chrono::seconds(10);
  Duration timeout = std::chrono::seconds(2);
  int failure_threshold = 3;
  Duration startup_timeout = std::chrono::seconds(300);
  int max_failed_requests = 5;  // server errors in a row that take a worker out; 0: never
  Duration ejection_time = std::chrono::seconds(30);  // how long a url model stays out
  bool operator==(const HealthConfig&) const = default;
};

struct RestartConfig {
  RestartPolicy policy = RestartPolicy::always;
  Duration backoff_initial = std::chrono::seconds(1);
  Duration backoff_max = std::chrono::seconds(60);
  Duration reset_after = std::chrono::seconds(600);
  int max_restarts = 5;
  Duration window = std::chrono::seconds(60);
  bool operator==(const RestartConfig&) const = default;
};

// What the router changes in a request's body before the worker sees it (the model's `params`):
// `strip` goes first, then `overrides` replace whatever the client sent, then `defaults` fill in
// what is still missing. Top-level fields of a JSON body, fields of a multipart form.
struct RequestParams {
  nlohmann::json defaults = nlohmann::json::object();
  nlohmann::json overrides = nlohmann::json::object();
  std::vector<std::string> strip;
  bool empty() const { return defaults.empty() && overrides.empty() && strip.empty(); }
  bool operator==(const RequestParams&) const = default;
};

// Exactly one of engine / command / url is set, which decides how the worker comes to be.
enum class Source { engine, command, url };
std::string_view to_string(Source source);

struct ModelConfig {
  std::string name;
  ModelType type = ModelType::text;
  Source source = Source::engine;
  std::string engine;                // Source::engine: built-in switchyard-worker engine name
  std::vector<std::string> command;  // Source::command: argv, ${PORT} etc. still unexpanded
  std::string url;                   // Source::url: http://host:port of a remote server
  std::string model_path;            // `model:`; may be empty for command/url models
  // The name the worker knows the model by, put in the body's `model` in place of the name or
  // alias the client sent; empty: the body is sent as it came.
  std::string upstream_model;
  nlohmann::json args = nlohmann::json::object();  // engine options, passed as --arg key=value
  RequestParams params;
  std::vector<std::string> aliases;
  std::map<std::string, std::string> env;
  std::vector<Input> inputs{Input::text};
  HealthConfig health;
  RestartConfig restart;
  Duration stop_timeout = std::chrono::seconds(10);
  Duration queue_timeout = std::chrono::seconds(30);
  // Requests sent to the worker at once; more wait for one to finish (up to queue_timeout).
  // Zero: no limit.
  int max_in_flight = 0;
  // Not started with the router: the first request for the model starts it.
  bool on_demand = false;
  // A worker with no request for this long is stopped, and the next request starts it again.
  // Zero: never.
  Duration unload_after{0};
  // The swap group (a key of Config::groups) whose members share max_loaded places; empty:
  // none. The loader makes a member on_demand unless `on_demand` is written for it.
  std::string group;
  // Models (names or aliases) of the same type that take a request this one cannot: one it
  // would answer with the router's own 502, 503 or 504. Tried in order; theirs are not.
  std::vector<std::string> fallbacks;
  int line = 0;  // 1-based line of the model's key in the file, for messages

  // Equality ignores `line`: moving a model within the file is not a change.
  bool same_settings(const ModelConfig& other) const;
  // The same but for the settings each request reads as it is routed (upstream_model, params,
  // aliases, inputs, queue_timeout, fallbacks): the running worker can stay.
  bool same_worker(const ModelConfig& other) const;
  // Copies those settings (and `line`) from `from`.
  void take_request_settings(const ModelConfig& from);
};

struct BodyLimits {
  std::uint64_t text = 4ull << 20;
  std::uint64_t image = 32ull << 20;
  std::uint64_t audio = 32ull << 20;
  std::uint64_t for_type(ModelType type) const;
  bool operator==(const BodyLimits&) const = default;
};

struct Limits {
  int max_connections = 4096;  // per listener
  std::uint64_t max_header_bytes = 16ull << 10;
  BodyLimits max_body_bytes;
  Duration header_timeout = std::chrono::seconds(10);
  Duration idle_timeout = std::chrono::seconds(75);
  Duration stream_idle_timeout = std::chrono::seconds(300);
  Duration drain_timeout = std::chrono::seconds(30);
  bool operator==(const Limits&) const = default;
};

// Models that cannot all be loaded at once (one GPU, limited memory): at most `max_loaded` of
// the group's members have a worker at a time, and a member asked for when the group is full
// unloads the one used least recently (see supervisor/swap_group.hpp).
struct GroupConfig {
  int max_loaded = 1;
  bool operator==(const GroupConfig&) const = default;
};

// Requests per minute per API key (per client address without keys); see http::RateLimiter.
struct RateLimit {
  int requests_per_minute = 0;  // 0: no limit
  int burst = 0;                // 0: requests_per_minute
  bool operator==(const RateLimit&) const = default;
};

// The models a key may use (`api_keys: [{key, models}]`), by name or alias; `item` is the key's
// place in api_keys, for messages that must not repeat the key itself.
struct KeyModels {
  std::size_t item = 0;
  std::vector<std::string> models;
};

struct Config {
  std::string path;  // the file this came from
  Endpoint listen{"127.0.0.1", 8080};
  Endpoint admin_listen{"127.0.0.1", 8081};
  std::vector<std::string> api_keys;
  // Keys given a rate of their own (`api_keys: [{key, rate_limit}]`); the others get rate_limit.
  std::map<std::string, RateLimit, std::less<>> key_rate_limits;
  // Keys limited to some models; the others may use every model.
  std::map<std::string, KeyModels, std::less<>> key_models;
  std::vector<std::string> admin_keys;
  bool allow_unauthenticated = false;
  std::vector<std::string> allowed_hosts;    // Host names accepted besides IPs and localhost
  std::vector<std::string> allowed_origins;  // browser origins accepted besides local pages
  RateLimit rate_limit;
  std::string runtime_dir;  // resolved: config value, else $RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR...
  std::string worker_binary;  // resolved: config value, else switchyard-worker beside the router
  Limits limits;
  std::map<std::string, GroupConfig, std::less<>> groups;
  std::vector<ModelConfig> models;  // in file order

  const ModelConfig* find_model(std::string_view name) const;
};

}  // namespace switchyard::config
