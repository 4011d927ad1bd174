#include "router/config/config.hpp"

#include <tuple>

namespace switchyard::config {

std::string_view to_string(ModelType type) {
  switch (type) {
    case ModelType::text:
      return "text";
    case ModelType::image:
      return "image";
    case ModelType::audio:
      return "audio";
  }
  return "unknown";
}

std::optional<ModelType> model_type_from_string(std::string_view text) {
  if (text == "text") return ModelType::text;
  if (text == "image") return ModelType::image;
  if (text == "audio") return ModelType::audio;
  return std::nullopt;
}

std::string_view to_string(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::always:
      return "always";
    case RestartPolicy::on_failure:
      return "on-failure";
    case RestartPolicy::never:
      return "never";
  }
  return "unknown";
}

std::optional<RestartPolicy> restart_policy_from_string(std::string_view text) {
  if (text == "always") return RestartPolicy::always;
  // systemd and Docker spell it with a dash; our own keys use underscores. Both read naturally.
  if (text == "on-failure" || text == "on_failure") return RestartPolicy::on_failure;
  if (text == "never") return RestartPolicy::never;
  return std::nullopt;
}

std::string_view to_string(Input input) {
  switch (input) {
    case Input::text:
      return "text";
    case Input::image:
      return "image";
    case Input::audio:
      return "audio";
  }
  return "unknown";
}

std::optional<Input> input_from_string(std::string_view text) {
  if (text == "text") return Input::text;
  if (text == "image") return Input::image;
  if (text == "audio") return Input::audio;
  return std::nullopt;
}

std::string_view to_string(Source source) {
  switch (source) {
    case Source::engine:
      return "engine";
    case Source::command:
      return "command";
    case Source::url:
      return "url";
  }
  return "unknown";
}

namespace {

// Every field of ModelConfig but `line` is in exactly one of these two lists; a field added to
// ModelConfig must be added to one of them.

// What the worker is started with, and what the supervisor keeps state for.
template <class Model>
auto worker_settings(Model& m) {
  return std::tie(m.name, m.type, m.source, m.engine, m.command, m.url, m.model_path, m.args, m.env,
                  m.health, m.restart, m.stop_timeout, m.max_in_flight, m.on_demand, m.unload_after,
                  m.group);
}

// What a request reads from its model while it is routed, each time it needs it.
template <class Model>
auto request_settings(Model& m) {
  return std::tie(m.upstream_model, m.params, m.aliases, m.inputs, m.queue_timeout, m.fallbacks);
}

}  // namespace

bool ModelConfig::same_worker(const ModelConfig& other) const {
  return worker_settings(*this) == worker_settings(other);
}

bool ModelConfig::same_settings(const ModelConfig& other) const {
  return same_worker(other) && request_settings(*this) == request_settings(other);
}

void ModelConfig::take_request_settings(const ModelConfig& from) {
  request_settings(*this) = request_settings(from);
  line = from.line;
}

std::uint64_t BodyLimits::for_type(ModelType type) const {
  switch (type) {
    case ModelType::text:
      return text;
    case ModelType::image:
      return image;
    case ModelType::audio:
      return audio;
  }
  return text;
}

const ModelConfig* Config::find_model(std::string_view name) const {
  for (const ModelConfig& model : models) {
    if (model.name == name) return &model;
  }
  return nullptr;
}

}  // namespace switchyard::config
