// A tiny random-weight LLaVA-style multimodal projector (mmproj) GGUF for llama.cpp's mtmd, matched
// to a generated text model: a CLIP-like vision tower (`image_size` pixels, `patch_size` patches,
// a class token, pre-layernorm, `n_layer` blocks) and the two-layer MLP projector (`mm.0`, GELU,
// `mm.2`) into the text model's embedding width. An image becomes (image_size / patch_size)^2
// tokens. Random weights: the output exists to exercise the pipeline, not to describe images.
#pragma once

#include <string>

namespace switchyard::tools {

struct ProjectorShape {
  int n_embd = 32;  // vision tower width
  int n_ff = 64;    // vision tower feed-forward width
  int n_layer = 2;  // vision blocks
  int n_head = 2;
  int image_size = 32;  // input images are resized to image_size x image_size
  int patch_size = 8;
  int projection_dim = 32;  // the text model's n_embd
};

// Throws std::runtime_error when the shape is impossible or the file cannot be written.
void write_llava_projector(const std::string& path, const ProjectorShape& shape, unsigned seed);

// A tiny random Qwen2-Audio-style audio projector (`clip.projector_type: qwen2a`): a Whisper-like
// encoder (128 mel bins, two 1-D convolutions, `n_layer` blocks over up to 1500 positions, i.e. a
// 30 s window) and one linear layer into the text model's width. mtmd turns 16 kHz audio into
// about one token per 40 ms.
struct AudioProjectorShape {
  int n_embd = 32;
  int n_ff = 64;
  int n_layer = 2;
  int n_head = 2;
  int n_mel = 128;
  int n_pos = 1500;
  int projection_dim = 32;
};
void write_qwen2a_projector(const std::string& path, const AudioProjectorShape& shape,
                            unsigned seed);

}  // namespace switchyard::tools
