// The LoRA adapters loaded at start-up and how a request picks among them. A request's choice
// resolves to one scale per loaded adapter (0 = off):
//   no "lora" field          every adapter at its configured scale
//   "lora": "name"           that adapter at its configured scale, the others off
//   "lora": [{"name"|"id", "scale"}]  those adapters at the given (or configured) scales
// llama.cpp applies adapters per context, so the scheduler batches together only sequences with
// the same scales (as llama-server does).
#pragma once

#include <llama.h>

#include <optional>
#include <vector>

#include "worker/engines/llama/llama_options.hpp"
#include "worker/openai/params.hpp"

namespace switchyard::worker::llama {

class LoraSet {
 public:
  // Throws std::runtime_error naming the file that llama.cpp refused.
  void load(llama_model* model, const std::vector<LoraSpec>& specs);
  // Throws ApiError(invalid_request, param "lora") for an unknown adapter.
  std::vector<float> resolve(const std::optional<std::vector<openai::LoraChoice>>& choice) const;
  // Sets the context's adapters when they differ from the last call. Scheduler thread.
  void apply(llama_context* ctx, const std::vector<float>& scales);
  bool empty() const { return adapters_.empty(); }

 private:
  std::vector<LoraSpec> specs_;
  std::vector<llama_adapter_lora*> adapters_;  // freed with the model
  std::optional<std::vector<float>> applied_;
};

}  // namespace switchyard::worker::llama
