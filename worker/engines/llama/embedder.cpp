#include "worker/engines/llama/embedder.hpp"

#include <cmath>

#include "common/openai_error.hpp"
#include "worker/engines/llama/llama_handles.hpp"

namespace switchyard::worker::llama {

std::vector<std::vector<float>> embed(llama_context* ctx,
                                      const std::vector<std::vector<llama_token>>& inputs) {
  const int n_embd = llama_model_n_embd(llama_get_model(ctx));
  std::vector<std::vector<float>> vectors;
  vectors.reserve(inputs.size());
  for (const auto& tokens : inputs) {
    llama_memory_clear(llama_get_memory(ctx), true);
    Batch batch(static_cast<int>(tokens.size()));
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      batch.add(tokens[i], static_cast<llama_pos>(i), 0, true);
    }
    if (llama_decode(ctx, batch.get()) != 0) {
      throw ApiError(ErrorKind::internal, "decoding the input failed");
    }
    const float* pooled = llama_get_embeddings_seq(ctx, 0);
    if (pooled == nullptr) throw ApiError(ErrorKind::internal, "the model gave no embedding");
    std::vector<float> v(pooled, pooled + n_embd);
    double norm = 0.0;
    for (float x : v) norm += static_cast<double>(x) * x;
    norm = std::sqrt(norm);
    if (norm > 0.0) {
      for (float& x : v) x = static_cast<float>(x / norm);
    }
    vectors.push_back(std::move(v));
  }
  return vectors;
}

}  // namespace switchyard::worker::llama
