// Owning handles for llama.cpp objects.
#pragma once

#include <llama.h>
#include <mtmd.h>

#include <memory>

namespace switchyard::worker::llama {

struct ModelDeleter {
  void operator()(llama_model* m) const { llama_model_free(m); }
};
struct ContextDeleter {
  void operator()(llama_context* c) const { llama_free(c); }
};
struct SamplerDeleter {
  void operator()(llama_sampler* s) const { llama_sampler_free(s); }
};

using ModelPtr = std::unique_ptr<llama_model, ModelDeleter>;
using ContextPtr = std::unique_ptr<llama_context, ContextDeleter>;
using SamplerPtr = std::unique_ptr<llama_sampler, SamplerDeleter>;
using MtmdPtr = mtmd::context_ptr;
using BitmapPtr = mtmd::bitmap_ptr;
using ChunksPtr = mtmd::input_chunks_ptr;

// A llama_batch with room for `capacity` tokens of one sequence id each.
class Batch {
 public:
  explicit Batch(int capacity) : batch_(llama_batch_init(capacity, 0, 1)), capacity_(capacity) {}
  ~Batch() { llama_batch_free(batch_); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  void clear() { batch_.n_tokens = 0; }
  int size() const { return batch_.n_tokens; }
  int capacity() const { return capacity_; }
  // Returns the token's index in the batch.
  int add(llama_token token, llama_pos pos, llama_seq_id seq, bool logits) {
    const int i = batch_.n_tokens++;
    batch_.token[i] = token;
    batch_.pos[i] = pos;
    batch_.n_seq_id[i] = 1;
    batch_.seq_id[i][0] = seq;
    batch_.logits[i] = logits;
    return i;
  }
  llama_batch& get() { return batch_; }

 private:
  llama_batch batch_;
  int capacity_;
};

}  // namespace switchyard::worker::llama
