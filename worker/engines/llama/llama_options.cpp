#include "worker/engines/llama/llama_options.hpp"

#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

namespace switchyard::worker::llama {
namespace {

const std::vector<std::string> kValidArgs = {"batch_size", "chat_template", "ctx_size",
                                             "embeddings", "lora",          "mmproj",
                                             "parallel",   "seed",          "threads"};

LoraSpec parse_lora_entry(const nlohmann::json& entry) {
  LoraSpec spec;
  if (entry.is_string()) {
    spec.path = entry.get<std::string>();
  } else if (entry.is_object()) {
    for (const auto& [key, value] : entry.items()) {
      if (key == "path" && value.is_string()) {
        spec.path = value.get<std::string>();
      } else if (key == "scale" && value.is_number()) {
        spec.scale = value.get<float>();
      } else if (key == "name" && value.is_string()) {
        spec.name = value.get<std::string>();
      } else {
        throw ArgError("arg 'lora': unexpected field '" + key +
                       "' (entries are {path: string, scale: number, name: string})");
      }
    }
  } else {
    throw ArgError("arg 'lora' must be a list of {path, scale, name} objects");
  }
  if (spec.path.empty()) throw ArgError("arg 'lora': every adapter needs a 'path'");
  if (spec.name.empty()) spec.name = std::filesystem::path(spec.path).stem().string();
  return spec;
}

std::vector<LoraSpec> parse_lora(const nlohmann::json& value) {
  std::vector<LoraSpec> specs;
  if (value.is_array()) {
    for (const auto& entry : value) specs.push_back(parse_lora_entry(entry));
  } else {
    specs.push_back(parse_lora_entry(value));
  }
  std::set<std::string> names;
  for (const auto& spec : specs) {
    if (!names.insert(spec.name).second) {
      throw ArgError("arg 'lora': two adapters are named '" + spec.name + "'");
    }
  }
  return specs;
}

}  // namespace

LlamaOptions parse_llama_options(EngineArgs args) {
  LlamaOptions o;
  if (auto v = args.get_int("ctx_size", 8, 1 << 24)) o.ctx_size = static_cast<int>(*v);
  o.threads = static_cast<int>(
      args.get_int("threads", 1, 1024).value_or(std::max(1u, std::thread::hardware_concurrency())));
  o.batch_size = static_cast<int>(args.get_int("batch_size", 1, 1 << 20).value_or(512));
  if (auto v = args.get_int("seed", 0, 0xFFFFFFFE)) o.seed = static_cast<std::uint32_t>(*v);
  o.chat_template = args.get_string("chat_template");
  o.parallel = static_cast<int>(args.get_int("parallel", 1, 256).value_or(1));
  o.embeddings = args.get_bool("embeddings").value_or(false);
  if (auto text = args.get_string("lora")) {
    // A plain path is accepted as well as the router's JSON form.
    auto parsed = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    o.lora = parse_lora(parsed.is_discarded() ? nlohmann::json(*text) : parsed);
  }
  o.mmproj = args.get_string("mmproj");
  if (o.mmproj && o.mmproj->empty()) throw ArgError("arg 'mmproj' must be a file path");
  if (o.mmproj && o.embeddings) throw ArgError("arg 'mmproj' cannot be used with embeddings");
  args.reject_unknown("llama", kValidArgs);
  return o;
}

}  // namespace switchyard::worker::llama
