// switchyard-make-model: writes a random-weight LLaMA-architecture GGUF with a real tokenizer
// (taken from one of llama.cpp's vocab-only GGUF files), and optionally a LoRA adapter GGUF and a
// LLaVA-style vision projector (mmproj, for llama.cpp's mtmd) for it.
// The models produce random text; they exist so tests, the default config and benchmarks have a
// real model to load where none can be downloaded.
//
//   switchyard-make-model --vocab models/ggml-vocab-llama-spm.gguf --out tiny.gguf
//       [--n-embd 32] [--n-layer 2] [--n-ff 64] [--n-head 4] [--n-head-kv 4] [--ctx 512]
//       [--seed 42] [--chat-template chatml|llama3|none|TEMPLATE] [--eos-boost X]
//       [--lora-out adapter.gguf] [--lora-rank 4] [--lora-alpha 4] [--lora-seed 7]
//       [--mmproj-out mmproj.gguf] [--mmproj-seed 11] [--audio-mmproj-out audio-mmproj.gguf]
//
// Recipe: set the llama.* hyper-parameters on the vocab file's metadata, let llama.cpp build the
// model (llama_model_init_from_user, weights N(0, 0.02), norms 1.0) and save it, then add the
// chat template (the saver does not keep tokenizer.chat_template).
//
// --eos-boost X makes end of sequence the likely next token after any token (for the tests of
// `ignore_eos`): every token embedding gets 1.0 in dimension 0, so the normalised hidden state is
// dominated by that dimension (about sqrt(n_embd)), and the EOS row of output.weight gets X there;
// its logit is then about X * sqrt(n_embd) against about 0 for every other token. X = 2 with
// n_embd 32 samples EOS first almost always.
#include <ggml.h>
#include <gguf.h>
#include <llama.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "worker/tools/lora_writer.hpp"
#include "worker/tools/mmproj_writer.hpp"
#include "worker/tools/model_shape.hpp"

namespace {

using switchyard::tools::ModelShape;

constexpr std::string_view kChatmlTemplate =
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}";

// Llama 3 Instruct's template, shortened (no date or tool handling): a family llama.cpp
// recognises, other than chatml, for the tests of a model's own template.
constexpr std::string_view kLlama3Template =
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
    "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
    "{% endif %}";

struct Options {
  std::string vocab;
  std::string out;
  ModelShape shape;
  unsigned seed = 42;
  std::string chat_template = "chatml";
  float eos_boost = 0.0f;
  std::string lora_out;
  int lora_rank = 4;
  float lora_alpha = 4.0f;
  unsigned lora_seed = 7;
  std::string mmproj_out;
  unsigned mmproj_seed = 11;
  std::string audio_mmproj_out;
};

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "switchyard-make-model: %s\n"
               "usage: switchyard-make-model --vocab VOCAB.gguf --out MODEL.gguf [--n-embd N]\n"
               "  [--n-layer N] [--n-ff N] [--n-head N] [--n-head-kv N] [--ctx N] [--seed N]\n"
               "  [--chat-template chatml|llama3|none|TEMPLATE] [--eos-boost X]\n"
               "  [--lora-out ADAPTER.gguf]\n"
               "  [--lora-rank N] [--lora-alpha X] [--lora-seed N]\n"
               "  [--mmproj-out MMPROJ.gguf] [--mmproj-seed N]\n"
               "  [--audio-mmproj-out AUDIO_MMPROJ.gguf]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("missing value for " + key);
    const std::string value = argv[++i];
    auto as_int = [&] {
      try {
        return std::stoi(value);
      } catch (const std::exception&) {
        usage("bad number for " + key + ": " + value);
      }
    };
    auto as_float = [&] {
      try {
        return std::stof(value);
      } catch (const std::exception&) {
        usage("bad number for " + key + ": " + value);
      }
    };
    if (key == "--vocab")
      o.vocab = value;
    else if (key == "--out")
      o.out = value;
    else if (key == "--n-embd")
      o.shape.n_embd = as_int();
    else if (key == "--n-layer")
      o.shape.n_layer = as_int();
    else if (key == "--n-ff")
      o.shape.n_ff = as_int();
    else if (key == "--n-head")
      o.shape.n_head = as_int();
    else if (key == "--n-head-kv")
      o.shape.n_head_kv = as_int();
    else if (key == "--ctx")
      o.shape.n_ctx = as_int();
    else if (key == "--seed")
      o.seed = static_cast<unsigned>(as_int());
    else if (key == "--chat-template")
      o.chat_template = value;
    else if (key == "--eos-boost")
      o.eos_boost = as_float();
    else if (key == "--lora-out")
      o.lora_out = value;
    else if (key == "--lora-rank")
      o.lora_rank = as_int();
    else if (key == "--lora-alpha")
      o.lora_alpha = static_cast<float>(as_int());
    else if (key == "--lora-seed")
      o.lora_seed = static_cast<unsigned>(as_int());
    else if (key == "--mmproj-out")
      o.mmproj_out = value;
    else if (key == "--mmproj-seed")
      o.mmproj_seed = static_cast<unsigned>(as_int());
    else if (key == "--audio-mmproj-out")
      o.audio_mmproj_out = value;
    else
      usage("unknown option " + key);
  }
  if (o.vocab.empty() || o.out.empty()) usage("--vocab and --out are required");
  if (auto why = o.shape.invalid()) usage(*why);
  return o;
}

struct FillParams {
  unsigned seed;
  float eos_boost = 0.0f;  // see --eos-boost
  std::int64_t eos = -1;
};

// --eos-boost: dimension 0 of every token embedding, and of the EOS row of the output matrix.
void boost_eos(const ggml_tensor* tensor, const FillParams& params, std::vector<float>& values) {
  if (params.eos_boost == 0.0f) return;
  const std::int64_t n_embd = tensor->ne[0];
  if (std::strcmp(tensor->name, "token_embd.weight") == 0) {
    for (std::int64_t row = 0; row < tensor->ne[1]; ++row) values[row * n_embd] = 1.0f;
  } else if (std::strcmp(tensor->name, "output.weight") == 0 && params.eos >= 0) {
    values[params.eos * n_embd] = params.eos_boost;
  }
}

// N(0, 0.02) for weights and 1.0 for norm weights, seeded per tensor name so a given shape and seed
// always give the same file.
void fill_tensor(ggml_tensor* tensor, void* user_data) {
  const auto& params = *static_cast<const FillParams*>(user_data);
  const bool is_norm = std::strstr(tensor->name, "norm") != nullptr;
  std::vector<float> values = switchyard::tools::random_values(
      ggml_nelements(tensor), switchyard::tools::name_seed(tensor->name, params.seed), 0.02f);
  boost_eos(tensor, params, values);
  if (tensor->type == GGML_TYPE_F32) {
    std::vector<float> data(values.size(), 1.0f);
    if (!is_norm) data = values;
    ggml_backend_tensor_set(tensor, data.data(), 0, ggml_nbytes(tensor));
  } else if (tensor->type == GGML_TYPE_F16) {
    std::vector<ggml_fp16_t> data(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) {
      data[i] = ggml_fp32_to_fp16(is_norm ? 1.0f : values[i]);
    }
    ggml_backend_tensor_set(tensor, data.data(), 0, ggml_nbytes(tensor));
  } else {
    throw std::runtime_error(std::string("unexpected tensor type for ") + tensor->name);
  }
}

void set_hparams(gguf_context* meta, const ModelShape& s, std::uint32_t n_vocab) {
  gguf_set_val_str(meta, "general.architecture", "llama");
  gguf_set_val_str(meta, "general.name", "switchyard-tiny-llama");
  gguf_set_val_u32(meta, "llama.vocab_size", n_vocab);
  gguf_set_val_u32(meta, "llama.context_length", static_cast<std::uint32_t>(s.n_ctx));
  gguf_set_val_u32(meta, "llama.embedding_length", static_cast<std::uint32_t>(s.n_embd));
  gguf_set_val_u32(meta, "llama.block_count", static_cast<std::uint32_t>(s.n_layer));
  gguf_set_val_u32(meta, "llama.feed_forward_length", static_cast<std::uint32_t>(s.n_ff));
  gguf_set_val_u32(meta, "llama.attention.head_count", static_cast<std::uint32_t>(s.n_head));
  gguf_set_val_u32(meta, "llama.attention.head_count_kv", static_cast<std::uint32_t>(s.n_head_kv));
  gguf_set_val_u32(meta, "llama.rope.dimension_count",
                   static_cast<std::uint32_t>(s.n_embd / s.n_head));
  gguf_set_val_f32(meta, "llama.rope.freq_base", 10000.0f);
  gguf_set_val_f32(meta, "llama.attention.layer_norm_rms_epsilon", 1e-5f);
  // The two vocabulary-sized matrices in F16 halve the file; everything else stays F32.
  for (const char* name : {"token_embd.weight", "output.weight"}) {
    ggml_tensor t;
    std::memset(&t, 0, sizeof(t));
    t.type = GGML_TYPE_F16;
    ggml_set_name(&t, name);
    gguf_add_tensor(meta, &t);
  }
}

std::int64_t eos_token(const gguf_context* meta) {
  const std::int64_t key = gguf_find_key(meta, "tokenizer.ggml.eos_token_id");
  if (key < 0) return -1;
  switch (gguf_get_kv_type(meta, key)) {
    case GGUF_TYPE_UINT32:
      return gguf_get_val_u32(meta, key);
    case GGUF_TYPE_INT32:
      return gguf_get_val_i32(meta, key);
    default:
      return -1;
  }
}

std::uint32_t vocab_size(const gguf_context* meta) {
  const std::int64_t key = gguf_find_key(meta, "tokenizer.ggml.tokens");
  if (key < 0) throw std::runtime_error("vocab file has no tokenizer.ggml.tokens");
  return static_cast<std::uint32_t>(gguf_get_arr_n(meta, key));
}

// Re-writes `from` as `to` with the chat template added: a fresh GGUF with the same key/values and
// the tensors as read into `data_ctx`.
void add_chat_template(const std::string& from, const std::string& to, const std::string& tmpl) {
  ggml_context* data_ctx = nullptr;
  gguf_init_params params{/*no_alloc=*/false, /*ctx=*/&data_ctx};
  gguf_context* source = gguf_init_from_file(from.c_str(), params);
  if (source == nullptr) throw std::runtime_error("cannot re-read " + from);
  gguf_context* target = gguf_init_empty();
  gguf_set_kv(target, source);
  if (tmpl != "none") {
    const std::string text = tmpl == "chatml"   ? std::string(kChatmlTemplate)
                             : tmpl == "llama3" ? std::string(kLlama3Template)
                                                : tmpl;
    gguf_set_val_str(target, "tokenizer.chat_template", text.c_str());
  }
  for (std::int64_t i = 0; i < gguf_get_n_tensors(source); ++i) {
    gguf_add_tensor(target, ggml_get_tensor(data_ctx, gguf_get_tensor_name(source, i)));
  }
  const bool ok = gguf_write_to_file(target, to.c_str(), /*only_meta=*/false);
  gguf_free(target);
  gguf_free(source);
  ggml_free(data_ctx);
  if (!ok) throw std::runtime_error("cannot write " + to);
}

void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR) std::fputs(text, stderr);
}

int run(const Options& o) {
  llama_log_set(quiet_log, nullptr);
  llama_backend_init();

  gguf_init_params meta_params{/*no_alloc=*/true, /*ctx=*/nullptr};
  gguf_context* meta = gguf_init_from_file(o.vocab.c_str(), meta_params);
  if (meta == nullptr) throw std::runtime_error("cannot read vocab file " + o.vocab);
  const std::uint32_t n_vocab = vocab_size(meta);
  set_hparams(meta, o.shape, n_vocab);

  FillParams fill{o.seed, o.eos_boost, eos_token(meta)};
  if (o.eos_boost != 0.0f && fill.eos < 0) usage("--eos-boost: the vocab file names no EOS token");
  llama_model_params model_params = llama_model_default_params();
  llama_model* model = llama_model_init_from_user(meta, fill_tensor, &fill, model_params);
  gguf_free(meta);
  if (model == nullptr) throw std::runtime_error("llama.cpp refused the model shape");

  const std::string tmp = o.out + ".partial";
  llama_model_save_to_file(model, tmp.c_str());
  llama_model_free(model);
  add_chat_template(tmp, o.out, o.chat_template);
  std::filesystem::remove(tmp);
  std::fprintf(stderr, "switchyard-make-model: wrote %s (%lld params)\n", o.out.c_str(),
               static_cast<long long>(o.shape.parameter_count(n_vocab)));

  if (!o.lora_out.empty()) {
    switchyard::tools::write_lora_adapter(o.lora_out, o.shape, o.lora_rank, o.lora_alpha,
                                          o.lora_seed);
    std::fprintf(stderr, "switchyard-make-model: wrote %s (rank %d)\n", o.lora_out.c_str(),
                 o.lora_rank);
  }
  if (!o.mmproj_out.empty()) {
    switchyard::tools::ProjectorShape projector;
    projector.projection_dim = o.shape.n_embd;
    switchyard::tools::write_llava_projector(o.mmproj_out, projector, o.mmproj_seed);
    std::fprintf(stderr, "switchyard-make-model: wrote %s (LLaVA mlp projector, %dpx images)\n",
                 o.mmproj_out.c_str(), projector.image_size);
  }
  if (!o.audio_mmproj_out.empty()) {
    switchyard::tools::AudioProjectorShape projector;
    projector.projection_dim = o.shape.n_embd;
    switchyard::tools::write_qwen2a_projector(o.audio_mmproj_out, projector, o.mmproj_seed);
    std::fprintf(stderr, "switchyard-make-model: wrote %s (Qwen2-Audio-style projector)\n",
                 o.audio_mmproj_out.c_str());
  }
  llama_backend_free();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    return run(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "switchyard-make-model: %s\n", e.what());
    return 1;
  }
}
