// The llama engine's `args:` (see docs/worker-engines.md):
//   ctx_size   tokens of context each request gets (default: the model's, at most 4096)
//   threads    CPU threads for decoding (default: all cores)
//   batch_size tokens per llama_decode call, shared by all sequences (default 512)
//   seed       default sampling seed for requests without one (default: random)
//   chat_template  a template name llama.cpp knows (chatml, llama3, ...) or a template text
//   parallel   sequences decoded together (continuous batching; default 1)
//   embeddings serve /v1/embeddings instead of generation (default false)
//   lora       [{path, scale (1.0), name (file stem)}] adapters loaded at start-up
//   mmproj     a multimodal projector GGUF (llama.cpp's mtmd): image and/or audio parts in chat
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/engine_args.hpp"

namespace switchyard::worker::llama {

struct LoraSpec {
  std::string path;
  float scale = 1.0f;
  std::string name;
};

struct LlamaOptions {
  std::optional<int> ctx_size;
  int threads = 1;
  int batch_size = 512;
  std::optional<std::uint32_t> seed;
  std::optional<std::string> chat_template;
  int parallel = 1;
  bool embeddings = false;
  std::vector<LoraSpec> lora;
  std::optional<std::string> mmproj;
};

// Throws ArgError for a bad value or an unknown key (listing the valid ones).
LlamaOptions parse_llama_options(EngineArgs args);

}  // namespace switchyard::worker::llama
