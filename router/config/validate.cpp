#include "router/config/validate.hpp"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "router/config/address.hpp"
#include "router/config/units.hpp"

namespace switchyard::config {
namespace fs = std::filesystem;

namespace {

// What execvp searches when PATH is unset.
constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";
constexpr std::string_view kModelPathPlaceholder = "${MODEL_PATH}";

std::string in_quotes(std::string_view text) { return "'" + std::string(text) + "'"; }
std::string model_label(const ModelConfig& model) { return "model " + in_quotes(model.name); }

bool is_executable_file(const fs::path& path) {
  std::error_code error;
  return fs::is_regular_file(path, error) && access(path.c_str(), X_OK) == 0;
}

std::optional<fs::path> find_in_path(std::string_view program, const EnvLookup& env) {
  const std::string search = env("PATH").value_or(std::string(kDefaultPath));
  std::size_t start = 0;
  while (start <= search.size()) {
    const std::size_t end = std::min(search.find(':', start), search.size());
    // An empty entry would mean the current directory: the daemon's, not the operator's.
    if (end > start) {
      const fs::path candidate = fs::path(search.substr(start, end - start)) / program;
      if (is_executable_file(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

class Validator {
 public:
  Validator(const Config& config, const SourceMap& places, const EnvLookup& env,
            Diagnostics& diagnostics)
      : config_(config), places_(places), env_(env), diagnostics_(diagnostics) {}

  void run() {
    check_exposure(config_.listen, config_.api_keys, "listen", "api_keys");
    check_exposure(config_.admin_listen, config_.admin_keys, "admin_listen", "admin_keys");
    check_admin_left_open();
    if (listeners_clash(config_.listen, config_.admin_listen)) {
      diagnostics_.error(where_global("admin_listen", "listen"),
                         "port clash: admin_listen " + format_endpoint(config_.admin_listen) +
                             " and listen " + format_endpoint(config_.listen) +
                             " cannot both be bound");
    }
    if (config_.models.empty()) diagnostics_.warning(places_.at("models"), "no models configured");
    for (std::size_t i = 0; i < config_.models.size(); ++i) check_model(i);
    check_names_and_aliases();
    check_groups();
    const auto by_name = models_by_name();
    check_fallbacks(by_name);
    check_key_models(by_name);
    check_worker_binary();
  }

 private:
  Place where_global(std::string_view key, std::string_view fallback) const {
    const Place place = places_.at(key);
    return place.line != 0 ? place : places_.at(fallback);
  }

  void check_exposure(const Endpoint& listen, const std::vector<std::string>& keys,
                      std::string_view listen_key, std::string_view keys_key) {
    if (is_loopback_host(listen.host) || !keys.empty()) return;
    const std::string what = std::string(listen_key) + " " + format_endpoint(listen);
    if (config_.allow_unauthenticated) {
      diagnostics_.warning(places_.at(listen_key), what + " is not loopback and " +
                                                       std::string(keys_key) +
                                                       " is empty: serving without authentication");
      return;
    }
    diagnostics_.error(places_.at(listen_key),
                       what + " is not loopback and " + std::string(keys_key) +
                           " is empty, so anyone who can reach it could use it; set " +
                           std::string(keys_key) + " or allow_unauthenticated: true");
  }

  // Keys on the API but none on the admin listener: the admin listener is loopback (else
  // check_exposure refused it), yet every local user and process, a browser's fetch included
  // once its origin is allowed, can stop, restart and reload models there without a key.
  void check_admin_left_open() {
    if (config_.api_keys.empty() || !config_.admin_keys.empty()) return;
    diagnostics_.warning(where_global("admin_keys", "api_keys"),
                         "api_keys is set but admin_keys is empty: any local user can stop, "
                         "restart and reload models on admin_listen " +
                             format_endpoint(config_.admin_listen) + " without a key");
  }

  void check_model(std::size_t i) {
    const ModelConfig& model = config_.models[i];
    const HealthConfig& health = model.health;
    if (health.timeout >= health.interval) {
      diagnostics_.warning(places_.model_at(i, "health.timeout"),
                           "health.timeout (" + format_duration(health.timeout) +
                               ") is not shorter than health.interval (" +
                               format_duration(health.interval) + "): checks will overlap");
    }
    // It goes into a multipart field as it is: a line break would end the field.
    if (std::any_of(model.upstream_model.begin(), model.upstream_model.end(),
                    [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
      diagnostics_.error(places_.model_at(i, "upstream_model"),
                         "upstream_model of " + model_label(model) + " has a control character");
    }
    const RestartConfig& restart = model.restart;
    if (restart.backoff_initial > restart.backoff_max) {
      diagnostics_.error(places_.model_at(i, "restart.backoff_initial"),
                         "restart.backoff_initial (" + format_duration(restart.backoff_initial) +
                             ") is greater than restart.backoff_max (" +
                             format_duration(restart.backoff_max) + ")");
    }
    switch (model.source) {
      case Source::engine:
        check_engine_model(i);
        break;
      case Source::command:
        check_command_model(i);
        break;
      case Source::url:
        check_url_model(i);
        break;
    }
  }

  void check_engine_model(std::size_t i) {
    const ModelConfig& model = config_.models[i];
    if (model.model_path.empty()) {
      if (places_.model_sets(i, "model")) return;  // set, but refused while parsing
      diagnostics_.error(places_.model_at(i, "engine"),
                         model_label(model) + " uses engine " + in_quotes(model.engine) +
                             " and needs 'model:', the model file to load");
      return;
    }
    check_model_file(i);
  }

  void check_model_file(std::size_t i) {
    const ModelConfig& model = config_.models[i];
    std::error_code error;
    if (!fs::exists(model.model_path, error)) {
      diagnostics_.error(places_.model_at(i, "model"),
                         "model file " + in_quotes(model.model_path) + " does not exist");
    }
  }

  void check_command_model(std::size_t i) {
    const ModelConfig& model = config_.models[i];
    if (model.command.empty()) return;  // refused while parsing
    const std::string& program = model.command.front();
    const bool has_slash = program.find('/') != std::string::npos;
    const bool found =
        has_slash ? is_executable_file(program) : find_in_path(program, env_).has_value();
    if (!found) {
      diagnostics_.error(places_.model_at(i, "command.0"),
                         "command binary " + in_quotes(program) + " not found" +
                             (has_slash ? " or not executable" : " in PATH"));
    }
    const bool uses_model_path =
        std::any_of(model.command.begin(), model.command.end(), [](const std::string& arg) {
          return arg.find(kModelPathPlaceholder) != std::string::npos;
        });
    if (uses_model_path && model.model_path.empty()) {
      diagnostics_.error(
          places_.model_at(i, "command"),
          "command uses ${MODEL_PATH} but " + model_label(model) + " does not set 'model:'");
    }
    warn_unused(i, "args", "is passed only to engine workers; put options in command");
  }

  void check_url_model(std::size_t i) {
    const ModelConfig& model = config_.models[i];
    const auto url = parse_http_url(model.url);
    if (!url) return;  // refused while parsing
    for (const auto& [key, listener] :
         {std::pair{"listen", &config_.listen}, std::pair{"admin_listen", &config_.admin_listen}}) {
      if (reaches_listener(url->endpoint, *listener)) {
        diagnostics_.error(places_.model_at(i, "url"), "port clash: url " + in_quotes(model.url) +
                                                           " of " + model_label(model) +
                                                           " points at the router's own " + key +
                                                           " " + format_endpoint(*listener));
        break;  // the other listener may clash too, but one report says it
      }
    }
    constexpr std::string_view kNeverSpawned = "has no effect: url models are never spawned";
    for (std::string_view key :
         {"args", "env", "restart", "stop_timeout", "on_demand", "unload_after", "group"}) {
      warn_unused(i, key, kNeverSpawned);
    }
  }

  // Only what the model itself sets: a value from `defaults` is meant for the other models.
  void warn_unused(std::size_t i, std::string_view key, std::string_view why) {
    if (!places_.model_sets(i, key)) return;
    diagnostics_.warning(
        places_.model_at(i, key),
        std::string(key) + " of " + model_label(config_.models[i]) + " " + std::string(why));
  }

  void check_names_and_aliases() {
    std::map<std::string_view, std::size_t> names;
    for (std::size_t i = 0; i < config_.models.size(); ++i)
      names.emplace(config_.models[i].name, i);
    std::map<std::string_view, std::size_t> aliases;
    for (std::size_t i = 0; i < config_.models.size(); ++i) {
      const ModelConfig& model = config_.models[i];
      for (std::size_t j = 0; j < model.aliases.size(); ++j) {
        const std::string& alias = model.aliases[j];
        const Place where = places_.model_at(i, "aliases." + std::to_string(j));
        const std::string prefix = "alias " + in_quotes(alias) + " of " + model_label(model);
        if (alias == model.name) {
          diagnostics_.error(where, prefix + " is the model's own name");
        } else if (const auto other = names.find(alias); other != names.end()) {
          diagnostics_.error(where, prefix + " is already the name of the model at line " +
                                        std::to_string(config_.models[other->second].line));
        } else if (const auto [first, inserted] = aliases.emplace(alias, i); !inserted) {
          const ModelConfig& owner = config_.models[first->second];
          diagnostics_.error(where, prefix + " is already an alias of " + model_label(owner) +
                                        " (line " + std::to_string(owner.line) + ")");
        }
      }
    }
  }

  // Every group a model names is defined, can make a model give way, and has room for the
  // members it starts with the router.
  void check_groups() {
    std::map<std::string_view, int> members;
    std::map<std::string_view, int> preloaded;
    for (std::size_t i = 0; i < config_.models.size(); ++i) {
      const ModelConfig& model = config_.models[i];
      if (model.group.empty() || model.source == Source::url) continue;
      if (const auto group = config_.groups.find(model.group); group != config_.groups.end()) {
        ++members[model.group];
        if (!model.on_demand && ++preloaded[model.group] > group->second.max_loaded) {
          diagnostics_.error(places_.model_at(i, "on_demand"),
                             model_label(model) + " starts with the router (on_demand: false), " +
                                 "but group " + in_quotes(model.group) + " already starts " +
                                 std::to_string(group->second.max_loaded) +
                                 " (max_loaded): set on_demand: true on all but that many");
        }
        continue;
      }
      std::string defined;
      for (const auto& [name, group] : config_.groups) {
        defined += (defined.empty() ? "" : ", ") + in_quotes(name);
      }
      diagnostics_.error(places_.model_at(i, "group"),
                         "group " + in_quotes(model.group) + " of " + model_label(model) +
                             " is not defined under groups (defined: " +
                             (defined.empty() ? "none" : defined) + ")");
    }
    for (const auto& [name, group] : config_.groups) {
      const int count = members[name];
      if (count > group.max_loaded) continue;
      diagnostics_.warning(places_.at("groups." + name),
                           "group " + in_quotes(name) + " has " + std::to_string(count) +
                               (count == 1 ? " member" : " members") + " and max_loaded " +
                               std::to_string(group.max_loaded) +
                               ", so no member ever gives way to another");
    }
  }

  // Each fallback is another model, of the same type, named once; one that lacks an input the
  // model takes is allowed (it gets the requests without it) but worth a word.
  void check_fallbacks(const std::map<std::string_view, std::size_t>& by_name) {
    for (std::size_t i = 0; i < config_.models.size(); ++i) {
      const ModelConfig& model = config_.models[i];
      std::map<std::size_t, std::size_t> seen;  // model index -> its first place in the list
      for (std::size_t j = 0; j < model.fallbacks.size(); ++j) {
        const std::string& name = model.fallbacks[j];
        const Place where = places_.model_at(i, "fallbacks." + std::to_string(j));
        const std::string prefix = "fallback " + in_quotes(name) + " of " + model_label(model);
        const auto found = by_name.find(name);
        if (found == by_name.end()) {
          diagnostics_.error(where, prefix + " is not a model or an alias of one");
          continue;
        }
        const ModelConfig& fallback = config_.models[found->second];
        if (found->second == i) {
          diagnostics_.error(where, prefix + " is the model itself");
        } else if (fallback.type != model.type) {
          diagnostics_.error(where, prefix + " is of type " +
                                        std::string(to_string(fallback.type)) +
                                        "; a fallback must be of the model's type, " +
                                        std::string(to_string(model.type)));
        } else if (const auto [first, inserted] = seen.emplace(found->second, j); !inserted) {
          diagnostics_.error(where, prefix + " names " + model_label(fallback) +
                                        " again (already fallback " +
                                        std::to_string(first->second + 1) + ")");
        } else {
          for (const Input input : model.inputs) {
            if (std::find(fallback.inputs.begin(), fallback.inputs.end(), input) !=
                fallback.inputs.end()) {
              continue;
            }
            diagnostics_.warning(where, prefix + " does not take " + std::string(to_string(input)) +
                                            " inputs: chat requests with them are not sent to it");
          }
        }
      }
    }
  }

  // A key limited to some models names models there are, and at least one.
  void check_key_models(const std::map<std::string_view, std::size_t>& by_name) {
    for (const auto& [key, scope] : config_.key_models) {
      const std::string item = "api_keys." + std::to_string(scope.item);
      if (scope.models.empty()) {
        diagnostics_.error(places_.at(item + ".models"),
                           item +
                               ".models is empty, so the key could use no model; leave it "
                               "out to let the key use every model");
      }
      for (std::size_t j = 0; j < scope.models.size(); ++j) {
        if (by_name.contains(scope.models[j])) continue;
        const std::string entry = item + ".models." + std::to_string(j);
        diagnostics_.error(places_.at(entry), entry + " " + in_quotes(scope.models[j]) +
                                                  " is not a model or an alias of one");
      }
    }
  }

  // Every model's index by its name and by each of its aliases.
  std::map<std::string_view, std::size_t> models_by_name() const {
    std::map<std::string_view, std::size_t> by_name;
    for (std::size_t i = 0; i < config_.models.size(); ++i) {
      by_name.emplace(config_.models[i].name, i);
      for (const std::string& alias : config_.models[i].aliases) by_name.emplace(alias, i);
    }
    return by_name;
  }

  void check_worker_binary() {
    const auto engine_model =
        std::find_if(config_.models.begin(), config_.models.end(),
                     [](const ModelConfig& model) { return model.source == Source::engine; });
    if (engine_model == config_.models.end() || is_executable_file(config_.worker_binary)) return;
    const auto index = static_cast<std::size_t>(engine_model - config_.models.begin());
    const Place set_at = places_.at("worker_binary");
    diagnostics_.error(set_at.line != 0 ? set_at : places_.model_at(index, "engine"),
                       "worker binary " + in_quotes(config_.worker_binary) +
                           " not found or not executable; " + model_label(*engine_model) +
                           " and every other engine model need it (set worker_binary)");
  }

  const Config& config_;
  const SourceMap& places_;
  const EnvLookup& env_;
  Diagnostics& diagnostics_;
};

}  // namespace

void validate(const Config& config, const SourceMap& places, const EnvLookup& env,
              Diagnostics& diagnostics) {
  Validator(config, places, env, diagnostics).run();
}

}  // namespace switchyard::config
