// What every integration test needs on top of tests/support: a config text with fake_worker
// models and fast health checks, a started router on a scratch runtime_dir, and the admin
// queries the tests poll (state, pid, port, restarts of a model; its worker's /stats and logs).
// Every wait polls with a deadline; a helper that gives up throws std::runtime_error with what
// it last saw, which gtest reports as the test's failure.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/support.hpp"

namespace switchyard::test {

using namespace std::chrono_literals;

// Generous, for a loaded 2-core machine: what normally takes 100 ms may take seconds.
inline constexpr std::chrono::milliseconds kLongWait = std::chrono::seconds(15);

// `s` as a YAML double-quoted scalar (JSON string syntax is valid YAML).
std::string yaml_quote(std::string_view s);

// The `command:` flow list of a fake_worker serving on ${HOST}:${PORT} under `--name name`, so
// that its echo says which model answered, followed by `flags`.
std::string fake_command(std::string_view name, const std::vector<std::string>& flags = {});

// One entry of `models:`: "  name:\n    command: [...]\n" plus `extra` (YAML lines such as
// "type: image\naliases: [x]"), indented under the model.
std::string model_yaml(std::string_view name, const std::vector<std::string>& flags = {},
                       std::string_view extra = {});

// Fast health checks and restarts. The probe timeout is kept well above what a probe takes on
// an idle machine so that a loaded one does not restart healthy workers; tests of hung health
// checks lower it per model.
std::string fast_defaults();

// The whole file: router_config_prelude(runtime_dir) + `top_level` + fast_defaults() +
// "models:\n" + `models`.
std::string router_config(const std::filesystem::path& runtime_dir, std::string_view models,
                          std::string_view top_level = {});

// True while `pid` exists at all, zombie included: false means it has also been reaped.
bool process_exists(pid_t pid);

// GET on the admin port with optional headers; throws like http_request.
HttpResponse admin_get(std::uint16_t admin_port, std::string_view target,
                       const Headers& headers = {});
HttpResponse admin_post(std::uint16_t admin_port, std::string_view target,
                        const Headers& headers = {});

// Runs the router binary with `args` to completion (throws if it is still running after
// kLongWait): its exit code (128 + signal when killed) and everything it printed.
struct RouterExit {
  int code = -1;
  std::string output;
};
RouterExit run_router_to_exit(const std::vector<std::string>& args);

// A router started from router_config(), its runtime_dir inside a TempDir of its own.
class TestRouter {
 public:
  explicit TestRouter(std::string_view models, std::string_view top_level = {},
                      Headers admin_headers = {});
  // Another router on an existing runtime_dir (a restart after a crash).
  TestRouter(std::filesystem::path runtime_dir, std::string_view models, std::string_view top_level,
             Headers admin_headers);

  RouterProcess& process() { return *router_; }
  std::uint16_t port() const { return router_->port(); }
  std::uint16_t admin_port() const { return router_->admin_port(); }
  const std::filesystem::path& runtime_dir() const { return runtime_dir_; }

  // Replaces the config file (same runtime_dir and prelude) for a reload.
  void rewrite_config(std::string_view models, std::string_view top_level = {}) const;
  void rewrite_config_text(std::string_view text) const;

  // GET /admin/models: the whole body ({"models": [...], "last_reload_errors": [...]}).
  nlohmann::json admin_models() const;
  // The /admin/models entry of `name`; nullopt when the router does not list it.
  std::optional<nlohmann::json> model_status(std::string_view name) const;
  // Polls model_status(name) until `predicate` holds; returns that status. Throws on timeout.
  nlohmann::json wait_model(std::string_view name,
                            const std::function<bool(const nlohmann::json&)>& predicate,
                            std::string_view what, std::chrono::milliseconds timeout = kLongWait);
  nlohmann::json wait_state(std::string_view name, std::string_view state,
                            std::chrono::milliseconds timeout = kLongWait);
  // Ready with a worker pid.
  nlohmann::json wait_ready(std::string_view name, std::chrono::milliseconds timeout = kLongWait);

  // The worker's own /stats, reached directly on the port /admin/models gives.
  nlohmann::json worker_stats(std::string_view name) const;
  // What the supervisor captured of the worker's output.
  std::vector<std::string> worker_logs(std::string_view name) const;
  // The pid fake_worker --fork-grandchild printed; throws if it has not printed one yet.
  pid_t grandchild_pid(std::string_view name) const;

  // POST `path` on the API port with body {"model": model, ...extra}.
  HttpResponse post(std::string_view path, std::string_view model,
                    const nlohmann::json& extra = nlohmann::json::object(),
                    const Headers& headers = {},
                    std::chrono::milliseconds timeout = std::chrono::seconds(20)) const;
  HttpResponse chat(std::string_view model, const nlohmann::json& extra = nlohmann::json::object(),
                    const Headers& headers = {}) const {
    return post("/v1/chat/completions", model, extra, headers);
  }

 private:
  TempDir dir_;
  std::filesystem::path runtime_dir_;
  Headers admin_headers_;
  std::unique_ptr<RouterProcess> router_;
};

// A multipart/form-data body with text `fields` and an audio file upload of `file_bytes`, and
// the Content-Type that goes with it.
inline constexpr std::string_view kMultipartBoundary = "switchyard-boundary-42";
std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string_view file_bytes);
Headers multipart_headers();

// A bare client socket to 127.0.0.1, for exchanges the other helpers cannot express: send a
// request, let the test look at the server side, then hang up.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes);
  // Bytes read until the peer closes or `timeout` passes; `closed`, when given, says which.
  std::string read_until_closed(std::chrono::milliseconds timeout, bool* closed = nullptr);
  void close();

 private:
  int fd_ = -1;
};

}  // namespace switchyard::test
