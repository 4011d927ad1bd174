#include "worker/engines/llama/lora_set.hpp"

#include <spdlog/spdlog.h>

#include <stdexcept>

#include "common/openai_error.hpp"

namespace switchyard::worker::llama {

void LoraSet::load(llama_model* model, const std::vector<LoraSpec>& specs) {
  for (const auto& spec : specs) {
    llama_adapter_lora* adapter = llama_adapter_lora_init(model, spec.path.c_str());
    if (adapter == nullptr) {
      throw std::runtime_error("cannot load LoRA adapter '" + spec.name + "' from " + spec.path);
    }
    spdlog::info("loaded LoRA adapter '{}' from {} (scale {})", spec.name, spec.path, spec.scale);
    specs_.push_back(spec);
    adapters_.push_back(adapter);
  }
}

std::vector<float> LoraSet::resolve(
    const std::optional<std::vector<openai::LoraChoice>>& choice) const {
  std::vector<float> scales;
  for (const auto& spec : specs_) scales.push_back(spec.scale);
  if (!choice) return scales;
  std::fill(scales.begin(), scales.end(), 0.0f);
  for (const auto& pick : *choice) {
    std::size_t index = specs_.size();
    if (pick.id) {
      index = static_cast<std::size_t>(*pick.id);
    } else {
      for (std::size_t i = 0; i < specs_.size(); ++i) {
        if (specs_[i].name == *pick.name) index = i;
      }
    }
    if (index >= specs_.size()) {
      std::string names;
      for (const auto& spec : specs_) names += (names.empty() ? "" : ", ") + spec.name;
      throw ApiError(ErrorKind::invalid_request,
                     "unknown LoRA adapter '" +
                         (pick.name ? *pick.name : std::to_string(*pick.id)) +
                         "'; loaded: " + (names.empty() ? "none" : names),
                     "lora");
    }
    scales[index] = pick.scale.value_or(specs_[index].scale);
  }
  return scales;
}

void LoraSet::apply(llama_context* ctx, const std::vector<float>& scales) {
  if (adapters_.empty() || (applied_ && *applied_ == scales)) return;
  std::vector<llama_adapter_lora*> active;
  std::vector<float> active_scales;
  for (std::size_t i = 0; i < adapters_.size(); ++i) {
    if (scales[i] == 0.0f) continue;
    active.push_back(adapters_[i]);
    active_scales.push_back(scales[i]);
  }
  llama_set_adapters_lora(ctx, active.data(), active.size(), active_scales.data());
  applied_ = scales;
}

}  // namespace switchyard::worker::llama
