// Writes a LoRA adapter GGUF for a generated model: random A/B matrices for the attention query
// and value projections of every block, with the metadata llama.cpp's adapter loader requires
// (general.type=adapter, general.architecture=llama, adapter.type=lora, adapter.lora.alpha).
#pragma once

#include <string>

#include "worker/tools/model_shape.hpp"

namespace switchyard::tools {

void write_lora_adapter(const std::string& path, const ModelShape& shape, int rank, float alpha,
                        unsigned seed);

}  // namespace switchyard::tools
