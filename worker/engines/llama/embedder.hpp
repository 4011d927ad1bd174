// Pooled, L2-normalised embeddings of token sequences, one llama_decode per input (sequence 0 of
// an embeddings context whose batch holds a whole context). Scheduler thread only.
#pragma once

#include <llama.h>

#include <vector>

namespace switchyard::worker::llama {

// Throws ApiError(internal) when decoding fails.
std::vector<std::vector<float>> embed(llama_context* ctx,
                                      const std::vector<std::vector<llama_token>>& inputs);

}  // namespace switchyard::worker::llama
