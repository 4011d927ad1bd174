#include "worker/tools/lora_writer.hpp"

#include <ggml.h>
#include <gguf.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace switchyard::tools {
namespace {

// Layout checked by llama-adapter.cpp: for a base weight W with ne = [n_in, n_out], lora_a has
// ne = [n_in, rank] and lora_b has ne = [rank, n_out].
void add_pair(ggml_context* ctx, gguf_context* gguf, const std::string& base, std::int64_t n_in,
              std::int64_t n_out, int rank, unsigned seed) {
  ggml_tensor* a = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_in, rank);
  ggml_tensor* b = ggml_new_tensor_2d(ctx, GGML_TYPE_F32, rank, n_out);
  ggml_set_name(a, (base + ".lora_a").c_str());
  ggml_set_name(b, (base + ".lora_b").c_str());
  // Large enough values that the adapter visibly changes the tiny model's output.
  for (ggml_tensor* t : {a, b}) {
    const auto values = random_values(ggml_nelements(t), name_seed(t->name, seed), 0.5f);
    std::memcpy(t->data, values.data(), ggml_nbytes(t));
    gguf_add_tensor(gguf, t);
  }
}

}  // namespace

void write_lora_adapter(const std::string& path, const ModelShape& shape, int rank, float alpha,
                        unsigned seed) {
  if (rank <= 0) throw std::runtime_error("--lora-rank must be positive");
  const std::size_t per_layer =
      2 * sizeof(float) * static_cast<std::size_t>(rank) *
      static_cast<std::size_t>(2 * shape.n_embd + shape.n_embd + shape.n_embd_kv());
  ggml_init_params params{per_layer * shape.n_layer + 64 * ggml_tensor_overhead(), nullptr, false};
  ggml_context* ctx = ggml_init(params);
  gguf_context* gguf = gguf_init_empty();
  gguf_set_val_str(gguf, "general.type", "adapter");
  gguf_set_val_str(gguf, "general.architecture", "llama");
  gguf_set_val_str(gguf, "general.name", "switchyard-tiny-lora");
  gguf_set_val_str(gguf, "adapter.type", "lora");
  gguf_set_val_f32(gguf, "adapter.lora.alpha", alpha);
  for (int il = 0; il < shape.n_layer; ++il) {
    const std::string blk = "blk." + std::to_string(il);
    add_pair(ctx, gguf, blk + ".attn_q.weight", shape.n_embd, shape.n_embd, rank, seed);
    add_pair(ctx, gguf, blk + ".attn_v.weight", shape.n_embd, shape.n_embd_kv(), rank, seed);
  }
  const bool ok = gguf_write_to_file(gguf, path.c_str(), /*only_meta=*/false);
  gguf_free(gguf);
  ggml_free(ctx);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

}  // namespace switchyard::tools
