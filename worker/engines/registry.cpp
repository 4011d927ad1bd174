#include "worker/engines/registry.hpp"

#include "worker/engines/llama/llama_engine.hpp"

namespace switchyard::worker {

std::vector<std::string> engine_names() { return {"llama"}; }

std::unique_ptr<Engine> make_engine(const std::string& name, const std::string& model_path,
                                    const std::string& model_id, EngineArgs args) {
  if (name == "llama") {
    return std::make_unique<llama::LlamaEngine>(model_path, model_id, std::move(args));
  }
  std::string names;
  for (const auto& known : engine_names()) names += (names.empty() ? "" : ", ") + known;
  throw ArgError("unknown engine '" + name + "'; known engines: " + names);
}

}  // namespace switchyard::worker
