#include "router/config/model_reader.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

#include "router/config/address.hpp"
#include "router/config/params_reader.hpp"

namespace switchyard::config {
namespace {

// Names and aliases travel in URL paths, log lines and metric labels; keep them short.
constexpr std::size_t kMaxNameLength = 128;

constexpr std::string_view kOneModelOnly = "it belongs to one model; set it on the model";
constexpr std::array<YamlReader::Refused, 7> kNotInDefaults{{
    {"engine", kOneModelOnly},
    {"command", kOneModelOnly},
    {"url", kOneModelOnly},
    {"model", kOneModelOnly},
    {"upstream_model", kOneModelOnly},
    {"aliases", "an alias names one model"},
    {"fallbacks", "fallbacks name other models of the model's own type; set them on the model"},
}};

constexpr std::array<std::string_view, 3> kSourceKeys{"engine", "command", "url"};

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
         c == '-';
}

// Names travel in URL paths (/admin/models/<name>), so nothing there may read as a path.
void check_model_name(Diagnostics& diagnostics, std::string_view name, Place where) {
  const std::string quoted = "'" + std::string(name) + "'";
  if (name.size() > kMaxNameLength) {
    diagnostics.error(where, "model name " + quoted + " is longer than " +
                                 std::to_string(kMaxNameLength) + " characters");
    return;
  }
  const bool well_formed = !name.empty() && std::isalnum(static_cast<unsigned char>(name[0])) &&
                           std::all_of(name.begin(), name.end(), is_name_char);
  if (!well_formed) {
    diagnostics.error(where, "invalid model name " + quoted +
                                 ": use letters, digits, '.', '_', ':' and '-', starting with a "
                                 "letter or digit (names appear in URL paths)");
    return;
  }
  if (name.find("..") != std::string_view::npos) {
    diagnostics.error(where, "invalid model name " + quoted +
                                 ": '..' is not allowed (names appear in URL paths)");
  }
}

// Aliases match the `model` field clients send, which is often a vendor-style name such as
// "meta-llama/Llama-3-8B"; so they may hold '/', only not blanks or control characters.
bool is_valid_alias(std::string_view alias) {
  return !alias.empty() && alias.size() <= kMaxNameLength &&
         std::none_of(alias.begin(), alias.end(), [](char c) {
           return std::isspace(static_cast<unsigned char>(c)) ||
                  std::iscntrl(static_cast<unsigned char>(c));
         });
}

std::string join_with_and(const std::vector<std::string_view>& items) {
  std::string text;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) text += i + 1 == items.size() ? " and " : ", ";
    text += items[i];
  }
  return text;
}

std::vector<YamlReader::Key> health_keys(YamlReader& r, HealthConfig& health) {
  return {
      {"path",
       [&r, &health](const YAML::Node& n) {
         const auto path = r.string(n);
         if (path && !path->starts_with('/')) {
           r.error(n, "must start with '/', got '" + *path + "'");
           return;
         }
         set(health.path, path);
       }},
      {"interval", [&r, &health](const YAML::Node& n) { set(health.interval, r.duration(n)); }},
      {"timeout", [&r, &health](const YAML::Node& n) { set(health.timeout, r.duration(n)); }},
      {"failure_threshold",
       [&r, &health](const YAML::Node& n) { set(health.failure_threshold, r.integer(n, 1)); }},
      {"startup_timeout",
       [&r, &health](const YAML::Node& n) { set(health.startup_timeout, r.duration(n)); }},
      {"max_failed_requests",
       [&r, &health](const YAML::Node& n) { set(health.max_failed_requests, r.integer(n, 0)); }},
      {"ejection_time",
       [&r, &health](const YAML::Node& n) { set(health.ejection_time, r.duration(n)); }},
  };
}

std::vector<YamlReader::Key> restart_keys(YamlReader& r, RestartConfig& restart) {
  return {
      {"policy",
       [&r, &restart](const YAML::Node& n) {
         const auto text = r.string(n);
         if (!text) return;
         const auto policy = restart_policy_from_string(*text);
         if (!policy) {
           r.error(n,
                   "unknown restart policy '" + *text + "'; expected always, on-failure or never");
           return;
         }
         restart.policy = *policy;
       }},
      {"backoff_initial",
       [&r, &restart](const YAML::Node& n) { set(restart.backoff_initial, r.duration(n)); }},
      {"backoff_max",
       [&r, &restart](const YAML::Node& n) { set(restart.backoff_max, r.duration(n)); }},
      {"reset_after",
       [&r, &restart](const YAML::Node& n) { set(restart.reset_after, r.duration(n)); }},
      {"max_restarts",
       [&r, &restart](const YAML::Node& n) { set(restart.max_restarts, r.integer(n, 0)); }},
      {"window", [&r, &restart](const YAML::Node& n) { set(restart.window, r.duration(n)); }},
  };
}

void read_inputs(YamlReader& r, const YAML::Node& n, ModelConfig& model, PlaceTable& places,
                 const std::string& path) {
  const auto names = r.string_list(n, places, path);
  if (!names) return;
  std::vector<Input> inputs;
  bool ok = true;
  for (std::size_t i = 0; i < names->size(); ++i) {
    const auto input = input_from_string((*names)[i]);
    if (!input) {
      r.error(n[i], "unknown input '" + (*names)[i] + "'; expected text, image or audio");
      ok = false;
    } else if (std::find(inputs.begin(), inputs.end(), *input) != inputs.end()) {
      r.warning(n[i], "'" + (*names)[i] + "' is listed twice");
    } else {
      inputs.push_back(*input);
    }
  }
  if (!ok) return;
  // Text is implied: every chat message may carry text, so `inputs: [image]` (an OCR model, say)
  // means [text, image].
  if (std::find(inputs.begin(), inputs.end(), Input::text) == inputs.end()) {
    inputs.insert(inputs.begin(), Input::text);
  }
  model.inputs = std::move(inputs);
}

void read_command(YamlReader& r, const YAML::Node& n, ModelConfig& model, PlaceTable& places,
                  const std::string& path) {
  if (!n.IsSequence()) {
    r.error(n, "expected a list of arguments, e.g. [\"/opt/server\", \"--port\", \"${PORT}\"]");
    return;
  }
  auto argv = r.string_list(n, places, path, Placeholders::keep);
  if (argv && argv->empty()) {
    r.error(n, "must not be empty: its first item is the program to run");
    return;
  }
  set(model.command, std::move(argv));
}

void read_url(YamlReader& r, const YAML::Node& n, ModelConfig& model) {
  const auto url = r.string(n);
  if (!url) return;
  if (url->starts_with("https://")) {
    r.error(n, "https is not supported ('" + *url + "'); use http://host:port[/path]");
    return;
  }
  if (!parse_http_url(*url)) {
    r.error(n, "invalid url '" + *url + "': expected http://host:port[/path]");
    return;
  }
  model.url = *url;
}

void read_aliases(YamlReader& r, const YAML::Node& n, ModelConfig& model, PlaceTable& places,
                  const std::string& path) {
  const auto aliases = r.string_list(n, places, path);
  if (!aliases) return;
  for (std::size_t i = 0; i < aliases->size(); ++i) {
    if (!is_valid_alias((*aliases)[i])) {
      r.error(n[i], "invalid alias '" + (*aliases)[i] + "': must be 1 to " +
                        std::to_string(kMaxNameLength) + " characters, without blanks");
    }
  }
  model.aliases = *aliases;
}

// Maps merge key by key onto what `defaults` set, so a model names only what it changes.
void read_env(YamlReader& r, const YAML::Node& n, ModelConfig& model, const std::string& owner) {
  r.for_each_entry(n, owner + " env",
                   [&](std::string_view key, const YAML::Node& key_node, const YAML::Node& value) {
                     if (!is_variable_name(key)) {
                       r.diagnostics().error(YamlReader::place(key_node),
                                             "invalid environment variable name '" +
                                                 std::string(key) + "' in " + owner + " env");
                       return;
                     }
                     if (auto text = r.string(value)) model.env[std::string(key)] = *text;
                   });
}

void read_args(YamlReader& r, const YAML::Node& n, ModelConfig& model) {
  if (!n.IsMap() && !n.IsNull()) {
    r.error(n, "expected a map of engine options, e.g. {ctx_size: 4096}");
    return;
  }
  const auto args = r.json(n);
  if (!args || !args->is_object()) return;
  for (const auto& [key, value] : args->items()) model.args[key] = value;
}

std::vector<YamlReader::Key> model_keys(YamlReader& r, ModelConfig& m, PlaceTable& places,
                                        const std::string& prefix, const std::string& owner) {
  const auto duration_into = [&r](Duration& field) {
    return [&r, &field](const YAML::Node& n) { set(field, r.duration(n)); };
  };
  // An empty name or path would only fail later, further from the file.
  const auto non_empty_into = [&r](std::string& field) {
    return [&r, &field](const YAML::Node& n) {
      const auto text = r.string(n);
      if (text && text->empty()) {
        r.error(n, "must not be empty");
        return;
      }
      set(field, text);
    };
  };
  return {
      {"type",
       [&r, &m](const YAML::Node& n) {
         const auto text = r.string(n);
         if (!text) return;
         const auto type = model_type_from_string(*text);
         if (!type) {
           r.error(n, "unknown model type '" + *text + "'; expected text, image or audio");
           return;
         }
         m.type = *type;
       }},
      {"engine", non_empty_into(m.engine)},
      {"command", [&r, &m, &places, prefix](
                      const YAML::Node& n) { read_command(r, n, m, places, prefix + "command"); }},
      {"url", [&r, &m](const YAML::Node& n) { read_url(r, n, m); }},
      {"model", non_empty_into(m.model_path)},
      {"upstream_model", non_empty_into(m.upstream_model)},
      {"args", [&r, &m](const YAML::Node& n) { read_args(r, n, m); }},
      {"params",
       [&r, &m, &places, prefix, owner](const YAML::Node& n) {
         read_params(r, n, m.params, places, prefix + "params.", owner);
       }},
      {"aliases", [&r, &m, &places, prefix](
                      const YAML::Node& n) { read_aliases(r, n, m, places, prefix + "aliases"); }},
      {"fallbacks",
       [&r, &m, &places, prefix](const YAML::Node& n) {
         if (auto names = r.string_list(n, places, prefix + "fallbacks")) {
           m.fallbacks = std::move(*names);
         }
       }},
      {"env", [&r, &m, owner](const YAML::Node& n) { read_env(r, n, m, owner); }},
      {"inputs", [&r, &m, &places, prefix](
                     const YAML::Node& n) { read_inputs(r, n, m, places, prefix + "inputs"); }},
      {"health",
       [&r, &m, &places, prefix, owner](const YAML::Node& n) {
         r.read_map(n, owner + " health", health_keys(r, m.health), places, prefix + "health.");
       }},
      {"restart",
       [&r, &m, &places, prefix, owner](const YAML::Node& n) {
         r.read_map(n, owner + " restart", restart_keys(r, m.restart), places, prefix + "restart.");
       }},
      {"stop_timeout", duration_into(m.stop_timeout)},
      {"queue_timeout", duration_into(m.queue_timeout)},
      {"max_in_flight", [&r, &m](const YAML::Node& n) { set(m.max_in_flight, r.integer(n, 0)); }},
      {"on_demand", [&r, &m](const YAML::Node& n) { set(m.on_demand, r.boolean(n)); }},
      // '' takes a model out of a group set under `defaults`.
      {"group", [&r, &m](const YAML::Node& n) { set(m.group, r.string(n)); }},
      {"unload_after",
       [&r, &m](const YAML::Node& n) {
         // `never` lets a model opt out of a duration set under `defaults`.
         const auto text = r.string(n);
         if (!text) return;
         if (*text == "never") {
           m.unload_after = Duration::zero();
           return;
         }
         set(m.unload_after, r.duration(n));
       }},
  };
}

}  // namespace

void read_model_defaults(YamlReader& reader, const YAML::Node& node, ModelConfig& base,
                         PlaceTable& places) {
  const std::string prefix = "defaults.";
  auto keys = model_keys(reader, base, places, prefix, "defaults");
  std::erase_if(keys, [](const YamlReader::Key& key) {
    return std::any_of(
        kNotInDefaults.begin(), kNotInDefaults.end(),
        [&](const YamlReader::Refused& refused) { return refused.name == key.name; });
  });
  reader.read_map(node, "defaults", keys, places, prefix, kNotInDefaults);
}

std::optional<ModelConfig> read_model(YamlReader& reader, std::string_view name,
                                      const YAML::Node& key, const YAML::Node& value,
                                      const ModelConfig& base, PlaceTable& places) {
  Diagnostics& diagnostics = reader.diagnostics();
  const Place where = YamlReader::place(key);
  places["name"] = where;
  check_model_name(diagnostics, name, where);

  ModelConfig model = base;
  model.name = std::string(name);
  model.line = where.line;
  const std::string owner = "model '" + model.name + "'";
  reader.read_map(value, owner, model_keys(reader, model, places, "", owner), places, "");

  if (model.type != ModelType::text) {
    if (places.contains("inputs")) {
      diagnostics.error(places.at("inputs"), "inputs: only text models take inputs; " + owner +
                                                 " is an " + std::string(to_string(model.type)) +
                                                 " model");
    }
    // `inputs` from defaults is meant for the text models among them.
    model.inputs = {Input::text};
  }

  std::vector<std::string_view> sources;
  for (std::string_view source : kSourceKeys) {
    if (places.contains(source)) sources.push_back(source);
  }
  if (sources.size() != 1) {
    diagnostics.error(where, owner + " needs exactly one of engine, command or url; it sets " +
                                 (sources.empty() ? "none" : join_with_and(sources)));
    return std::nullopt;
  }
  model.source = sources.front() == "engine"    ? Source::engine
                 : sources.front() == "command" ? Source::command
                                                : Source::url;
  return model;
}

}  // namespace switchyard::config
