#include "router/supervisor/spawn_spec.hpp"

namespace switchyard::supervisor {
namespace {

void replace_all(std::string& text, std::string_view from, std::string_view to) {
  for (std::size_t pos = text.find(from); pos != std::string::npos;
       pos = text.find(from, pos + to.size())) {
    text.replace(pos, from.size(), to);
  }
}

}  // namespace

std::string arg_value_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

SpawnSpec make_spawn_spec(const config::ModelConfig& model, const std::string& worker_binary,
                          std::uint16_t port) {
  SpawnSpec spec;
  spec.model_name = model.name;
  spec.env = model.env;
  const std::string port_text = std::to_string(port);
  if (model.source == config::Source::engine) {
    spec.argv = {worker_binary, "--engine", model.engine, "--model", model.model_path,
                 "--host", std::string(kWorkerHost), "--port", port_text};
    for (const auto& [key, value] : model.args.items()) {
      spec.argv.push_back("--arg");
      spec.argv.push_back(key + "=" + arg_value_text(value));
    }
  } else {
    for (std::string arg : model.command) {
      replace_all(arg, "${HOST}", kWorkerHost);
      replace_all(arg, "${PORT}", port_text);
      replace_all(arg, "${MODEL_NAME}", model.name);
      replace_all(arg, "${MODEL_PATH}", model.model_path);
      spec.argv.push_back(std::move(arg));
    }
  }
  // Wrapper scripts and servers that read their port from the environment get it there too.
  spec.env["PORT"] = port_text;
  spec.env["HOST"] = std::string(kWorkerHost);
  spec.env["MODEL_NAME"] = model.name;
  if (!model.model_path.empty()) spec.env["MODEL_PATH"] = model.model_path;
  return spec;
}

}  // namespace switchyard::supervisor
