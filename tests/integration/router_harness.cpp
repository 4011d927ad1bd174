#include "tests/integration/router_harness.hpp"

#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace switchyard::test {
namespace {

std::string indent(std::string_view lines, std::string_view prefix) {
  std::string out;
  std::size_t start = 0;
  while (start < lines.size()) {
    const std::size_t end = lines.find('\n', start);
    const std::string_view line =
        lines.substr(start, end == std::string_view::npos ? lines.npos : end - start);
    if (!line.empty()) out += std::string(prefix) + std::string(line) + "\n";
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

std::string yaml_quote(std::string_view s) { return nlohmann::json(std::string(s)).dump(); }

std::string fake_command(std::string_view name, const std::vector<std::string>& flags) {
  std::vector<std::string> argv{fake_worker_path().string(),
                                "--host",
                                "${HOST}",
                                "--port",
                                "${PORT}",
                                "--name",
                                std::string(name)};
  argv.insert(argv.end(), flags.begin(), flags.end());
  std::string out = "[";
  for (std::size_t i = 0; i < argv.size(); ++i) out += (i ? ", " : "") + yaml_quote(argv[i]);
  return out + "]";
}

std::string model_yaml(std::string_view name, const std::vector<std::string>& flags,
                       std::string_view extra) {
  return "  " + std::string(name) + ":\n    command: " + fake_command(name, flags) + "\n" +
         indent(extra, "    ");
}

std::string fast_defaults() {
  return "defaults:\n"
         "  health: {interval: 200ms, timeout: 1s, failure_threshold: 2, startup_timeout: 10s}\n"
         "  restart: {backoff_initial: 100ms, backoff_max: 500ms}\n"
         "  stop_timeout: 1s\n"
         "  queue_timeout: 10s\n";
}

std::string router_config(const std::filesystem::path& runtime_dir, std::string_view models,
                          std::string_view top_level) {
  return router_config_prelude(runtime_dir) + std::string(top_level) + fast_defaults() +
         "models:\n" + std::string(models);
}

bool process_exists(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno != ESRCH); }

HttpResponse admin_get(std::uint16_t admin_port, std::string_view target, const Headers& headers) {
  return http_request(admin_port, "GET", target, {}, headers);
}

HttpResponse admin_post(std::uint16_t admin_port, std::string_view target, const Headers& headers) {
  return http_request(admin_port, "POST", target, {}, headers);
}

RouterExit run_router_to_exit(const std::vector<std::string>& args) {
  TempDir dir;
  std::vector<std::string> argv{router_binary_path().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process(argv, dir.path() / "output.log");
  const auto status = process.wait_exit(kLongWait);
  if (!status) throw std::runtime_error("the router did not exit:\n" + process.log_text());
  return {WIFEXITED(*status) ? WEXITSTATUS(*status) : 128 + WTERMSIG(*status), process.log_text()};
}

TestRouter::TestRouter(std::string_view models, std::string_view top_level, Headers admin_headers)
    : runtime_dir_(dir_.path() / "run"), admin_headers_(std::move(admin_headers)) {
  router_ = std::make_unique<RouterProcess>(
      router_binary_path(), router_config(runtime_dir_, models, top_level), runtime_dir_);
}

TestRouter::TestRouter(std::filesystem::path runtime_dir, std::string_view models,
                       std::string_view top_level, Headers admin_headers)
    : runtime_dir_(std::move(runtime_dir)), admin_headers_(std::move(admin_headers)) {
  router_ = std::make_unique<RouterProcess>(
      router_binary_path(), router_config(runtime_dir_, models, top_level), runtime_dir_);
}

void TestRouter::rewrite_config(std::string_view models, std::string_view top_level) const {
  rewrite_config_text(router_config(runtime_dir_, models, top_level));
}

void TestRouter::rewrite_config_text(std::string_view text) const {
  // Written beside it and renamed over it, so a reload never reads half a file.
  const std::filesystem::path& path = router_->config_path();
  const std::filesystem::path tmp = path.parent_path() / ".router.yaml.tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    if (!out) throw std::runtime_error("cannot write " + tmp.string());
  }
  std::filesystem::rename(tmp, path);
}

nlohmann::json TestRouter::admin_models() const {
  const HttpResponse response = admin_get(admin_port(), "/admin/models", admin_headers_);
  if (response.status != 200) {
    throw std::runtime_error("GET /admin/models: " + std::to_string(response.status) + " " +
                             response.body);
  }
  return response.json();
}

std::optional<nlohmann::json> TestRouter::model_status(std::string_view name) const {
  const nlohmann::json all = admin_models();  // not in the for: the temporary would not live
  for (const auto& model : all["models"]) {
    if (model["name"] == name) return model;
  }
  return std::nullopt;
}

nlohmann::json TestRouter::wait_model(std::string_view name,
                                      const std::function<bool(const nlohmann::json&)>& predicate,
                                      std::string_view what, std::chrono::milliseconds timeout) {
  nlohmann::json last;
  const bool reached = wait_until(
      [&] {
        const auto status = model_status(name);
        last = status ? *status : nlohmann::json(nullptr);
        return status && predicate(*status);
      },
      timeout, 20ms);
  if (!reached) {
    throw std::runtime_error("model " + std::string(name) + " not " + std::string(what) +
                             " within " + std::to_string(timeout.count()) +
                             " ms; last status: " + last.dump());
  }
  return last;
}

nlohmann::json TestRouter::wait_state(std::string_view name, std::string_view state,
                                      std::chrono::milliseconds timeout) {
  return wait_model(
      name, [&](const nlohmann::json& s) { return s["state"] == state; }, state, timeout);
}

nlohmann::json TestRouter::wait_ready(std::string_view name, std::chrono::milliseconds timeout) {
  return wait_model(
      name, [](const nlohmann::json& s) { return s["state"] == "ready" && s["pid"].is_number(); },
      "ready", timeout);
}

nlohmann::json TestRouter::worker_stats(std::string_view name) const {
  const auto status = model_status(name);
  if (!status || !(*status)["port"].is_number()) {
    throw std::runtime_error("model " + std::string(name) +
                             " has no worker port: " + (status ? status->dump() : "not listed"));
  }
  const auto port = (*status)["port"].get<std::uint16_t>();
  return http_request(port, "GET", "/stats").json();
}

std::vector<std::string> TestRouter::worker_logs(std::string_view name) const {
  const HttpResponse response = admin_get(
      admin_port(), "/admin/models/" + std::string(name) + "/logs?tail=1000", admin_headers_);
  if (response.status != 200) {
    throw std::runtime_error("logs of " + std::string(name) + ": " +
                             std::to_string(response.status) + " " + response.body);
  }
  return response.json()["lines"].get<std::vector<std::string>>();
}

pid_t TestRouter::grandchild_pid(std::string_view name) const {
  static const std::regex kLine("grandchild pid ([0-9]+)");
  for (const auto& line : worker_logs(name)) {
    std::smatch match;
    if (std::regex_search(line, match, kLine)) return std::stoi(match[1].str());
  }
  throw std::runtime_error("model " + std::string(name) + " printed no grandchild pid");
}

HttpResponse TestRouter::post(std::string_view path, std::string_view model,
                              const nlohmann::json& extra, const Headers& headers,
                              std::chrono::milliseconds timeout) const {
  nlohmann::json body = extra;
  body["model"] = std::string(model);
  return http_request(port(), "POST", path, body.dump(), headers, timeout);
}

RawConnection::RawConnection(std::uint16_t port) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw_errno("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    const int saved = errno;
    close();
    errno = saved;
    throw_errno("connect to port " + std::to_string(port));
  }
}

RawConnection::~RawConnection() { close(); }

void RawConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("send");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string RawConnection::read_until_closed(std::chrono::milliseconds timeout, bool* closed) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string out;
  if (closed != nullptr) *closed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return out;
    pollfd p{fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return out;
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed != nullptr) *closed = true;
      return out;
    }
    out.append(buf, static_cast<std::size_t>(n));
  }
}

std::string multipart(const std::vector<std::pair<std::string, std::string>>& fields,
                      std::string_view file_bytes) {
  std::string body;
  for (const auto& [name, value] : fields) {
    body += "--" + std::string(kMultipartBoundary) + "\r\nContent-Disposition: form-data; name=\"" +
            name + "\"\r\n\r\n" + value + "\r\n";
  }
  body += "--" + std::string(kMultipartBoundary) +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
          "Content-Type: audio/wav\r\n\r\n" +
          std::string(file_bytes) + "\r\n--" + std::string(kMultipartBoundary) + "--\r\n";
  return body;
}

Headers multipart_headers() {
  return {{"Content-Type", "multipart/form-data; boundary=" + std::string(kMultipartBoundary)}};
}

void RawConnection::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace switchyard::test
