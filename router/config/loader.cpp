#include "router/config/loader.hpp"

#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include "router/config/address.hpp"
#include "router/config/diagnostics.hpp"
#include "router/config/model_reader.hpp"
#include "router/config/source_map.hpp"
#include "router/config/units.hpp"
#include "router/config/validate.hpp"
#include "router/config/yaml_reader.hpp"

namespace switchyard::config {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view kWorkerBinaryName = "switchyard-worker";
constexpr std::uint64_t kMinHeaderBytes = 1ull << 10;
constexpr std::uint64_t kMaxHeaderBytes = 1ull << 20;

// IP addresses and localhost are always accepted, so a list names only host names.
std::string host_name_problem(std::string_view host) {
  if (host == "*") return "";
  if (host.empty()) return "is empty";
  if (host.find_first_of(":/[]@ ") != std::string_view::npos) {
    return "is not a host name: write the name alone, without scheme, port or path";
  }
  return "";
}

// What a browser sends as Origin: scheme://host[:port], no path, or "null".
std::string origin_problem(std::string_view origin) {
  if (origin == "*" || origin == "null") return "";
  const std::size_t scheme_end = origin.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0 || scheme_end + 3 == origin.size()) {
    return "is not an origin: expected scheme://host[:port], e.g. http://chat.lan:3000";
  }
  if (origin.find('/', scheme_end + 3) != std::string_view::npos) {
    return "has a path; an origin is scheme://host[:port] with no '/' after it";
  }
  return "";
}

// Reads the top level, `rate_limit`, `limits` and `groups`; models are read by model_reader.
class Parser {
 public:
  Parser(YamlReader& reader, SourceMap& places) : reader_(reader), places_(places) {}

  Config parse(const YAML::Node& root) {
    Config config;
    if (!root.IsMap()) {
      reader_.diagnostics().error(
          YamlReader::place(root),
          root.IsNull() ? "the file is empty; expected a map of settings (listen, models, ...)"
                        : "expected a map of settings at the top level");
      return config;
    }
    YAML::Node models;
    ModelConfig base;
    const YamlReader::Key keys[] = {
        {"listen", [&](const YAML::Node& n) { set(config.listen, endpoint(n)); }},
        {"admin_listen", [&](const YAML::Node& n) { set(config.admin_listen, endpoint(n)); }},
        {"api_keys", [&](const YAML::Node& n) { read_api_keys(n, config); }},
        {"admin_keys",
         [&](const YAML::Node& n) { set(config.admin_keys, bearer_keys(n, "admin_keys")); }},
        {"allow_unauthenticated",
         [&](const YAML::Node& n) { set(config.allow_unauthenticated, reader_.boolean(n)); }},
        {"allowed_hosts",
         [&](const YAML::Node& n) {
           set(config.allowed_hosts, checked_list(n, "allowed_hosts", host_name_problem));
         }},
        {"allowed_origins",
         [&](const YAML::Node& n) {
           set(config.allowed_origins, checked_list(n, "allowed_origins", origin_problem));
         }},
        {"runtime_dir", [&](const YAML::Node& n) { set(config.runtime_dir, reader_.string(n)); }},
        {"worker_binary",
         [&](const YAML::Node& n) { set(config.worker_binary, reader_.string(n)); }},
        {"rate_limit",
         [&](const YAML::Node& n) { read_rate_limit(n, config.rate_limit, "rate_limit"); }},
        {"limits", [&](const YAML::Node& n) { read_limits(n, config.limits); }},
        {"groups", [&](const YAML::Node& n) { read_groups(n, config.groups); }},
        {"defaults",
         [&](const YAML::Node& n) { read_model_defaults(reader_, n, base, places_.global); }},
        // Read after the whole top level, so that `defaults` may come after `models`.
        {"models", [&](const YAML::Node& n) { models = n; }},
    };
    reader_.read_map(root, "the top level", keys, places_.global, "");
    read_models(models, base, config);
    return config;
  }

 private:
  std::optional<Endpoint> endpoint(const YAML::Node& node) {
    const auto text = reader_.string(node);
    if (!text) return std::nullopt;
    auto endpoint = parse_endpoint(*text);
    if (!endpoint) {
      reader_.error(node, "invalid address '" + *text +
                              "': expected host:port or \"[v6]:port\" with a port from 0 to 65535");
    }
    return endpoint;
  }

  std::optional<std::vector<std::string>> bearer_keys(const YAML::Node& node,
                                                      std::string_view name) {
    auto keys = reader_.string_list(node, places_.global, name);
    if (keys) drop_empty_keys(*keys, name);
    return keys;
  }

  // An unset ${KEY:-} gives an empty string; an empty Bearer key would match an empty header.
  // `keys` are the items of the list `name`, in order.
  void drop_empty_keys(std::vector<std::string>& keys, std::string_view name) {
    std::vector<std::string> kept;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (!keys[i].empty()) {
        kept.push_back(std::move(keys[i]));
        continue;
      }
      const std::string item = std::string(name) + "." + std::to_string(i);
      reader_.diagnostics().warning(places_.global.at(item),
                                    item + " is empty (an unset ${VAR:-}?); dropped");
    }
    keys = std::move(kept);
  }

  // Each item a key, or {key, rate_limit, models} for a key with a rate of its own or limited to
  // some models.
  void read_api_keys(const YAML::Node& node, Config& config) {
    if (!node.IsNull() && !node.IsSequence()) {
      reader_.error(node, std::string("expected a list of keys (strings, or maps of key, "
                                      "rate_limit and models), found ") +
                              (node.IsMap() ? "a map" : "a string"));
      return;
    }
    std::vector<std::string> keys;
    std::map<std::string, RateLimit, std::less<>> limits;
    std::map<std::string, KeyModels, std::less<>> scopes;
    bool ok = true;
    for (std::size_t i = 0; i < node.size(); ++i) {
      const std::string item = "api_keys." + std::to_string(i);
      places_.global[item] = YamlReader::place(node[i]);
      if (!node[i].IsMap()) {
        auto key = reader_.string(node[i]);
        ok = ok && key.has_value();
        keys.push_back(key.value_or(""));
        continue;
      }
      std::optional<std::string> key;
      std::optional<RateLimit> limit;
      std::optional<std::vector<std::string>> models;
      const YamlReader::Key entry_keys[] = {
          {"key", [&](const YAML::Node& n) { key = reader_.string(n); }},
          {"rate_limit",
           [&](const YAML::Node& n) { read_rate_limit(n, limit.emplace(), item + ".rate_limit"); }},
          {"models",
           [&](const YAML::Node& n) {
             models = reader_.string_list(n, places_.global, item + ".models");
             ok = ok && models.has_value();
           }},
      };
      reader_.read_map(node[i], item, entry_keys, places_.global, item + ".");
      if (!key) {
        reader_.diagnostics().error(places_.global.at(item), item + ": missing key");
        ok = false;
        continue;
      }
      if (limit && !key->empty()) limits[*key] = *limit;
      if (models && !key->empty()) scopes[*key] = KeyModels{i, std::move(*models)};
      keys.push_back(std::move(*key));
    }
    if (!ok) return;
    drop_empty_keys(keys, "api_keys");
    config.api_keys = std::move(keys);
    config.key_rate_limits = std::move(limits);
    config.key_models = std::move(scopes);
  }

  // A list whose items `problem` finds nothing wrong with (it returns "" for a good one).
  std::optional<std::vector<std::string>> checked_list(const YAML::Node& node,
                                                       std::string_view name,
                                                       std::string (*problem)(std::string_view)) {
    PlaceTable& places = places_.global;
    auto items = reader_.string_list(node, places, name);
    if (!items) return std::nullopt;
    bool good = true;
    for (std::size_t i = 0; i < items->size(); ++i) {
      const std::string what = problem((*items)[i]);
      if (what.empty()) continue;
      const std::string item = std::string(name) + "." + std::to_string(i);
      reader_.diagnostics().error(places.at(item), item + " '" + (*items)[i] + "' " + what);
      good = false;
    }
    if (!good) return std::nullopt;
    return items;
  }

  // `name` is where the map is: "rate_limit", "api_keys.2.rate_limit".
  void read_rate_limit(const YAML::Node& node, RateLimit& limit, const std::string& name) {
    const YamlReader::Key keys[] = {
        {"requests_per_minute",
         [&](const YAML::Node& n) { set(limit.requests_per_minute, reader_.integer(n, 0)); }},
        {"burst", [&](const YAML::Node& n) { set(limit.burst, reader_.integer(n, 1)); }},
    };
    reader_.read_map(node, name, keys, places_.global, name + ".");
  }

  void read_limits(const YAML::Node& node, Limits& limits) {
    BodyLimits& body = limits.max_body_bytes;
    const auto size_into = [this](std::uint64_t& field) {
      return [this, &field](const YAML::Node& n) {
        const auto bytes = reader_.size(n);
        if (bytes && *bytes == 0) {
          reader_.error(n, "must be greater than 0");
          return;
        }
        set(field, bytes);
      };
    };
    const auto duration_into = [this](Duration& field) {
      return [this, &field](const YAML::Node& n) { set(field, reader_.duration(n)); };
    };
    const YamlReader::Key body_keys[] = {
        {"text", size_into(body.text)},
        {"image", size_into(body.image)},
        {"audio", size_into(body.audio)},
    };
    const YamlReader::Key keys[] = {
        {"max_connections",
         [&](const YAML::Node& n) { set(limits.max_connections, reader_.integer(n, 1)); }},
        {"max_header_bytes",
         [&](const YAML::Node& n) {
           const auto bytes = reader_.size(n);
           if (bytes && (*bytes < kMinHeaderBytes || *bytes > kMaxHeaderBytes)) {
             reader_.error(n, "must be between 1KiB and 1MiB, got " + format_size(*bytes));
             return;
           }
           set(limits.max_header_bytes, bytes);
         }},
        {"max_body_bytes",
         [&](const YAML::Node& n) {
           reader_.read_map(n, "limits.max_body_bytes", body_keys, places_.global,
                            "limits.max_body_bytes.");
         }},
        {"header_timeout", duration_into(limits.header_timeout)},
        {"idle_timeout", duration_into(limits.idle_timeout)},
        {"stream_idle_timeout", duration_into(limits.stream_idle_timeout)},
        {"drain_timeout", duration_into(limits.drain_timeout)},
    };
    reader_.read_map(node, "limits", keys, places_.global, "limits.");
  }

  void read_groups(const YAML::Node& node,
                   std::map<std::string, GroupConfig, std::less<>>& groups) {
    reader_.for_each_entry(
        node, "groups", [&](std::string_view name, const YAML::Node& key, const YAML::Node& value) {
          const std::string prefix = "groups." + std::string(name);
          places_.global[prefix] = YamlReader::place(key);
          GroupConfig group;
          const YamlReader::Key keys[] = {
              {"max_loaded",
               [&](const YAML::Node& n) { set(group.max_loaded, reader_.integer(n, 1)); }},
          };
          reader_.read_map(value, "group '" + std::string(name) + "'", keys, places_.global,
                           prefix + ".");
          groups.emplace(name, group);
        });
  }

  void read_models(const YAML::Node& node, const ModelConfig& base, Config& config) {
    if (!node.IsNull() && !node.IsMap()) {
      reader_.diagnostics().error(YamlReader::place(node),
                                  "models: expected a map from model name to its settings");
      return;
    }
    reader_.for_each_entry(
        node, "models", [&](std::string_view name, const YAML::Node& key, const YAML::Node& value) {
          PlaceTable places;
          auto model = read_model(reader_, name, key, value, base, places);
          if (!model) return;
          // A group member starts on request unless it says otherwise: `on_demand: false`
          // preloads it with the router.
          if (!model->group.empty() && !places.contains("on_demand") &&
              !places_.global.contains("defaults.on_demand")) {
            model->on_demand = true;
          }
          config.models.push_back(std::move(*model));
          places_.models.push_back(std::move(places));
        });
  }

  YamlReader& reader_;
  SourceMap& places_;
};

// Relative paths in the file are relative to the file, not to wherever the daemon was started
// (under systemd that is /).
std::string resolve_path(const fs::path& base_dir, const std::string& path) {
  const fs::path p(path);
  return (p.is_absolute() ? p : base_dir / p).lexically_normal().string();
}

std::string default_runtime_dir(const EnvLookup& env) {
  // systemd's RuntimeDirectory= may list several, colon-separated; the first is ours.
  if (const auto dirs = env("RUNTIME_DIRECTORY"); dirs && !dirs->empty()) {
    return dirs->substr(0, dirs->find(':'));
  }
  if (const auto xdg = env("XDG_RUNTIME_DIR"); xdg && !xdg->empty()) {
    return (fs::path(*xdg) / "switchyard").string();
  }
  return "/tmp/switchyard-" + std::to_string(getuid());
}

void resolve_paths(Config& config, const fs::path& base_dir, const EnvLookup& env,
                   const std::string& executable_dir) {
  config.runtime_dir = config.runtime_dir.empty()
                           ? fs::absolute(default_runtime_dir(env)).lexically_normal().string()
                           : resolve_path(base_dir, config.runtime_dir);
  config.worker_binary =
      config.worker_binary.empty()
          ? fs::absolute(fs::path(executable_dir) / kWorkerBinaryName).lexically_normal().string()
          : resolve_path(base_dir, config.worker_binary);
  for (ModelConfig& model : config.models) {
    // Only engine models are sure to name a file; a command's `model` may be any identifier.
    if (model.source == Source::engine && !model.model_path.empty()) {
      model.model_path = resolve_path(base_dir, model.model_path);
    }
    if (model.source == Source::command && !model.command.empty() &&
        model.command.front().find('/') != std::string::npos) {
      model.command.front() = resolve_path(base_dir, model.command.front());
    }
  }
}

// Checks run in passes (parse, then validate); the reader wants them in file order.
std::vector<Diagnostic> in_file_order(std::vector<Diagnostic> diagnostics) {
  std::stable_sort(diagnostics.begin(), diagnostics.end(),
                   [](const Diagnostic& a, const Diagnostic& b) {
                     return std::tie(a.line, a.column) < std::tie(b.line, b.column);
                   });
  return diagnostics;
}

LoadResult finish(Diagnostics& diagnostics, std::optional<Config> config) {
  LoadResult result;
  result.errors = in_file_order(diagnostics.take_errors());
  result.warnings = in_file_order(diagnostics.take_warnings());
  if (result.errors.empty()) result.config = std::move(config);
  return result;
}

}  // namespace

std::string Diagnostic::to_string() const {
  if (line == 0) return file + ": " + message;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

LoadResult load_config_file(const std::string& path, const EnvLookup& env,
                            const std::string& executable_dir) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult result;
    result.errors.push_back(
        {path, 0, 0, "cannot read the config file: " + std::string(std::strerror(errno))});
    return result;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_config_string(text.str(), path, env, executable_dir);
}

LoadResult load_config_string(std::string_view yaml, const std::string& file_name,
                              const EnvLookup& env, const std::string& executable_dir) {
  Diagnostics diagnostics(file_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    diagnostics.error(place_of(e.mark), "invalid YAML: " + e.msg);
    return finish(diagnostics, std::nullopt);
  }

  YamlReader reader(diagnostics, env);
  SourceMap places;
  Config config = Parser(reader, places).parse(root);
  config.path = file_name;
  std::error_code ignored;  // an unusable name leaves the current directory as the base
  const fs::path file_dir = fs::absolute(fs::path(file_name), ignored).parent_path();
  resolve_paths(config, file_dir, env, executable_dir);
  validate(config, places, env, diagnostics);
  return finish(diagnostics, std::move(config));
}

}  // namespace switchyard::config
