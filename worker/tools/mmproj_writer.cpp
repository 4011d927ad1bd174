#include "worker/tools/mmproj_writer.hpp"

#include <ggml.h>
#include <gguf.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "worker/tools/model_shape.hpp"

namespace switchyard::tools {
namespace {

// Collects F32 tensors in one ggml context and registers them with the GGUF writer.
class TensorSet {
 public:
  TensorSet(gguf_context* gguf, std::size_t bytes, unsigned seed)
      : gguf_(gguf), seed_(seed), ctx_(ggml_init({bytes, nullptr, false})) {
    if (ctx_ == nullptr) throw std::runtime_error("cannot allocate the projector tensors");
  }
  ~TensorSet() { ggml_free(ctx_); }
  TensorSet(const TensorSet&) = delete;
  TensorSet& operator=(const TensorSet&) = delete;

  // A weight N(0, 0.02); ne in ggml order (innermost first).
  void random(const std::string& name, std::vector<std::int64_t> ne) {
    ggml_tensor* t = add(name, ne);
    const auto values = random_values(ggml_nelements(t), name_seed(name, seed_), 0.02f);
    std::memcpy(t->data, values.data(), ggml_nbytes(t));
  }
  void constant(const std::string& name, std::vector<std::int64_t> ne, float value) {
    ggml_tensor* t = add(name, ne);
    auto* data = static_cast<float*>(t->data);
    for (std::int64_t i = 0; i < ggml_nelements(t); ++i) data[i] = value;
  }
  // A layer norm: weight 1, bias 0.
  void norm(const std::string& prefix, std::int64_t n) {
    constant(prefix + ".weight", {n}, 1.0f);
    constant(prefix + ".bias", {n}, 0.0f);
  }
  // A linear layer from n_in to n_out with a zero bias.
  void linear(const std::string& prefix, std::int64_t n_in, std::int64_t n_out) {
    random(prefix + ".weight", {n_in, n_out});
    constant(prefix + ".bias", {n_out}, 0.0f);
  }

 private:
  ggml_tensor* add(const std::string& name, const std::vector<std::int64_t>& ne) {
    ggml_tensor* t = ggml_new_tensor(ctx_, GGML_TYPE_F32, static_cast<int>(ne.size()), ne.data());
    ggml_set_name(t, name.c_str());
    gguf_add_tensor(gguf_, t);
    return t;
  }

  gguf_context* gguf_;
  unsigned seed_;
  ggml_context* ctx_;
};

std::size_t parameter_count(const ProjectorShape& s) {
  const std::size_t e = static_cast<std::size_t>(s.n_embd);
  const std::size_t f = static_cast<std::size_t>(s.n_ff);
  const std::size_t p = static_cast<std::size_t>(s.patch_size);
  const std::size_t grid = static_cast<std::size_t>(s.image_size / s.patch_size);
  const std::size_t d = static_cast<std::size_t>(s.projection_dim);
  const std::size_t block = 4 * (e * e + e) + (e * f + f) + (f * e + e) + 4 * e;
  return p * p * 3 * e + e + (grid * grid + 1) * e + 2 * e +
         static_cast<std::size_t>(s.n_layer) * block + (e * d + d) + (d * d + d);
}

}  // namespace

void write_qwen2a_projector(const std::string& path, const AudioProjectorShape& s, unsigned seed) {
  if (s.n_embd <= 0 || s.n_ff <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_mel <= 0 ||
      s.n_pos <= 0 || s.projection_dim <= 0 || s.n_embd % s.n_head != 0) {
    throw std::runtime_error("impossible audio projector shape");
  }
  gguf_context* gguf = gguf_init_empty();
  gguf_set_val_str(gguf, "general.architecture", "clip");
  gguf_set_val_str(gguf, "general.name", "switchyard-tiny-audio-mmproj");
  gguf_set_val_u32(gguf, "general.file_type", 0);
  gguf_set_val_str(gguf, "clip.projector_type", "qwen2a");
  gguf_set_val_bool(gguf, "clip.has_vision_encoder", false);
  gguf_set_val_bool(gguf, "clip.has_audio_encoder", true);
  gguf_set_val_u32(gguf, "clip.audio.embedding_length", static_cast<std::uint32_t>(s.n_embd));
  gguf_set_val_u32(gguf, "clip.audio.feed_forward_length", static_cast<std::uint32_t>(s.n_ff));
  gguf_set_val_u32(gguf, "clip.audio.block_count", static_cast<std::uint32_t>(s.n_layer));
  gguf_set_val_u32(gguf, "clip.audio.projection_dim", static_cast<std::uint32_t>(s.projection_dim));
  gguf_set_val_u32(gguf, "clip.audio.attention.head_count", static_cast<std::uint32_t>(s.n_head));
  gguf_set_val_f32(gguf, "clip.audio.attention.layer_norm_epsilon", 1e-5f);
  gguf_set_val_u32(gguf, "clip.audio.num_mel_bins", static_cast<std::uint32_t>(s.n_mel));

  const std::int64_t e = s.n_embd;
  const std::size_t params =
      static_cast<std::size_t>(3 * s.n_mel * e + 3 * e * e + 4 * e + e * s.n_pos + 2 * e +
                               e * s.projection_dim + s.projection_dim) +
      static_cast<std::size_t>(s.n_layer) *
          static_cast<std::size_t>(4 * e * e + 3 * e + 2 * e * s.n_ff + s.n_ff + 5 * e);
  const std::size_t bytes = params * sizeof(float) + static_cast<std::size_t>(32 + 16 * s.n_layer) *
                                                         (ggml_tensor_overhead() + GGML_MEM_ALIGN);
  TensorSet t(gguf, bytes, seed);
  t.random("a.conv1d.1.weight", {3, s.n_mel, e});
  t.constant("a.conv1d.1.bias", {1, e}, 0.0f);
  t.random("a.conv1d.2.weight", {3, e, e});
  t.constant("a.conv1d.2.bias", {1, e}, 0.0f);
  t.random("a.position_embd.weight", {e, s.n_pos});
  for (int il = 0; il < s.n_layer; ++il) {
    const std::string blk = "a.blk." + std::to_string(il);
    t.norm(blk + ".ln1", e);
    t.linear(blk + ".attn_q", e, e);
    t.random(blk + ".attn_k.weight", {e, e});  // Whisper's key projection has no bias
    t.linear(blk + ".attn_v", e, e);
    t.linear(blk + ".attn_out", e, e);
    t.norm(blk + ".ln2", e);
    t.linear(blk + ".ffn_up", e, s.n_ff);
    t.linear(blk + ".ffn_down", s.n_ff, e);
  }
  t.norm("a.post_ln", e);
  t.linear("mm.a.fc", e, s.projection_dim);
  const bool ok = gguf_write_to_file(gguf, path.c_str(), /*only_meta=*/false);
  gguf_free(gguf);
  if (!ok) throw std::runtime_error("cannot write " + path);
}

void write_llava_projector(const std::string& path, const ProjectorShape& s, unsigned seed) {
  if (s.n_embd <= 0 || s.n_ff <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.patch_size <= 0 ||
      s.projection_dim <= 0 || s.image_size < s.patch_size) {
    throw std::runtime_error("every projector size must be positive");
  }
  if (s.n_embd % s.n_head != 0) throw std::runtime_error("projector width % heads != 0");
  if (s.image_size % s.patch_size != 0) {
    throw std::runtime_error("the projector's image size must be a multiple of its patch size");
  }

  gguf_context* gguf = gguf_init_empty();
  gguf_set_val_str(gguf, "general.architecture", "clip");
  gguf_set_val_str(gguf, "general.name", "switchyard-tiny-mmproj");
  gguf_set_val_u32(gguf, "general.file_type", 0);  // all F32
  gguf_set_val_str(gguf, "clip.projector_type", "mlp");
  gguf_set_val_bool(gguf, "clip.has_vision_encoder", true);
  gguf_set_val_bool(gguf, "clip.has_text_encoder", false);
  gguf_set_val_bool(gguf, "clip.has_llava_projector", true);
  gguf_set_val_bool(gguf, "clip.use_gelu", true);
  gguf_set_val_u32(gguf, "clip.vision.embedding_length", static_cast<std::uint32_t>(s.n_embd));
  gguf_set_val_u32(gguf, "clip.vision.feed_forward_length", static_cast<std::uint32_t>(s.n_ff));
  gguf_set_val_u32(gguf, "clip.vision.block_count", static_cast<std::uint32_t>(s.n_layer));
  gguf_set_val_u32(gguf, "clip.vision.projection_dim",
                   static_cast<std::uint32_t>(s.projection_dim));
  gguf_set_val_u32(gguf, "clip.vision.attention.head_count", static_cast<std::uint32_t>(s.n_head));
  gguf_set_val_f32(gguf, "clip.vision.attention.layer_norm_epsilon", 1e-5f);
  gguf_set_val_u32(gguf, "clip.vision.image_size", static_cast<std::uint32_t>(s.image_size));
  gguf_set_val_u32(gguf, "clip.vision.patch_size", static_cast<std::uint32_t>(s.patch_size));
  const float mean[3] = {0.48145466f, 0.4578275f, 0.40821073f};  // CLIP's
  const float stdev[3] = {0.26862954f, 0.26130258f, 0.27577711f};
  gguf_set_arr_data(gguf, "clip.vision.image_mean", GGUF_TYPE_FLOAT32, mean, 3);
  gguf_set_arr_data(gguf, "clip.vision.image_std", GGUF_TYPE_FLOAT32, stdev, 3);

  const std::size_t bytes =
      parameter_count(s) * sizeof(float) +
      static_cast<std::size_t>(32 + 16 * s.n_layer) * (ggml_tensor_overhead() + GGML_MEM_ALIGN);
  {
    TensorSet t(gguf, bytes, seed);
    const std::int64_t e = s.n_embd;
    const std::int64_t grid = s.image_size / s.patch_size;
    t.random("v.patch_embd.weight", {s.patch_size, s.patch_size, 3, e});
    t.random("v.class_embd", {e});
    t.random("v.position_embd.weight", {e, grid * grid + 1});
    t.norm("v.pre_ln", e);
    for (int il = 0; il < s.n_layer; ++il) {
      const std::string blk = "v.blk." + std::to_string(il);
      t.norm(blk + ".ln1", e);
      t.linear(blk + ".attn_q", e, e);
      t.linear(blk + ".attn_k", e, e);
      t.linear(blk + ".attn_v", e, e);
      t.linear(blk + ".attn_out", e, e);
      t.norm(blk + ".ln2", e);
      t.linear(blk + ".ffn_up", e, s.n_ff);
      t.linear(blk + ".ffn_down", s.n_ff, e);
    }
    t.linear("mm.0", e, s.projection_dim);
    t.linear("mm.2", s.projection_dim, s.projection_dim);
    const bool ok = gguf_write_to_file(gguf, path.c_str(), /*only_meta=*/false);
    gguf_free(gguf);
    if (!ok) throw std::runtime_error("cannot write " + path);
  }
}

}  // namespace switchyard::tools
