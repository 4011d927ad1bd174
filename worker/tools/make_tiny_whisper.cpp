// switchyard-make-whisper-model: writes a random-weight Whisper model in whisper.cpp's ggml
// format with the real English (GPT-2) tokenizer, so tests and the default config exercise the
// whole whisper.cpp path where no model can be downloaded. Its transcripts are random text.
//
//   switchyard-make-whisper-model --vocab models/ggml-vocab-gpt-2.gguf --out tiny-whisper.bin
//       [--n-state 64] [--n-head 2] [--n-audio-layer 4] [--n-text-layer 4] [--seed 42]
//
// Format (whisper.cpp's whisper_model_load): magic 0x67676d6c; 11 int32 hyper-parameters
// (n_vocab 51864 = English-only, n_audio_ctx 1500, n_audio_state, n_audio_head, n_audio_layer,
// n_text_ctx 448, n_text_state, n_text_head, n_text_layer, n_mels 80, ftype 1 = F16); the 80x201
// mel filterbank (Slaney-style, as Whisper's); the vocabulary (GPT-2's 50257 tokens as raw bytes,
// whisper.cpp adds the special tokens); then each tensor (n_dims, name length, type, dims, name,
// data) with OpenAI's names. Matrices are F16 N(0, 0.02), norms 1, biases 0. Use 1 or 4 text
// layers: with 2, whisper.cpp takes the model for a distilled one and drops timestamps.
#include <ggml.h>
#include <gguf.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Options {
  std::string vocab;
  std::string out;
  int n_state = 64;
  int n_head = 2;
  int n_audio_layer = 4;
  int n_text_layer = 4;
  unsigned seed = 42;
};

constexpr int kVocab = 51864;
constexpr int kAudioCtx = 1500;
constexpr int kTextCtx = 448;
constexpr int kMels = 80;
constexpr int kFft = 201;  // n_fft 400 / 2 + 1
constexpr int kSampleRate = 16000;

[[noreturn]] void usage(const std::string& why) {
  std::fprintf(stderr,
               "switchyard-make-whisper-model: %s\n"
               "usage: switchyard-make-whisper-model --vocab ggml-vocab-gpt-2.gguf --out MODEL.bin"
               " [--n-state N] [--n-head N] [--n-audio-layer N] [--n-text-layer 1|4] [--seed N]\n",
               why.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) usage("missing value for " + key);
    const std::string value = argv[++i];
    if (key == "--vocab") {
      o.vocab = value;
    } else if (key == "--out") {
      o.out = value;
    } else if (key == "--n-state") {
      o.n_state = std::stoi(value);
    } else if (key == "--n-head") {
      o.n_head = std::stoi(value);
    } else if (key == "--n-audio-layer") {
      o.n_audio_layer = std::stoi(value);
    } else if (key == "--n-text-layer") {
      o.n_text_layer = std::stoi(value);
    } else if (key == "--seed") {
      o.seed = static_cast<unsigned>(std::stoul(value));
    } else {
      usage("unknown option " + key);
    }
  }
  if (o.vocab.empty() || o.out.empty()) usage("--vocab and --out are required");
  if (o.n_text_layer == 2) usage("--n-text-layer 2 makes whisper.cpp drop timestamps; use 1 or 4");
  if (o.n_state <= 0 || o.n_head <= 0 || o.n_state % o.n_head != 0) {
    usage("--n-state must be a positive multiple of --n-head");
  }
  return o;
}

// GPT-2's byte-level BPE spells each byte as a printable code point; map them back.
std::map<std::uint32_t, unsigned char> unicode_to_byte() {
  std::map<std::uint32_t, unsigned char> map;
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    map[printable ? static_cast<std::uint32_t>(b) : static_cast<std::uint32_t>(256 + n++)] =
        static_cast<unsigned char>(b);
  }
  return map;
}

std::string token_bytes(const std::string& token,
                        const std::map<std::uint32_t, unsigned char>& to_byte) {
  std::string out;
  for (std::size_t i = 0; i < token.size();) {
    const auto c = static_cast<unsigned char>(token[i]);
    std::uint32_t cp = 0;
    int len = 1;
    if (c < 0x80) {
      cp = c;
    } else if ((c >> 5) == 6) {
      cp = c & 0x1F;
      len = 2;
    } else if ((c >> 4) == 14) {
      cp = c & 0x0F;
      len = 3;
    } else {
      cp = c & 0x07;
      len = 4;
    }
    for (int k = 1; k < len && i + static_cast<std::size_t>(k) < token.size(); ++k) {
      cp = (cp << 6) | (static_cast<unsigned char>(token[i + static_cast<std::size_t>(k)]) & 0x3F);
    }
    i += static_cast<std::size_t>(len);
    const auto it = to_byte.find(cp);
    if (it != to_byte.end()) {
      out += static_cast<char>(it->second);
    } else {
      out += token.substr(i - static_cast<std::size_t>(len), static_cast<std::size_t>(len));
    }
  }
  return out;
}

std::vector<std::string> read_vocab(const std::string& path) {
  gguf_init_params params{/*no_alloc=*/true, /*ctx=*/nullptr};
  gguf_context* ctx = gguf_init_from_file(path.c_str(), params);
  if (ctx == nullptr) throw std::runtime_error("cannot read " + path);
  const std::int64_t key = gguf_find_key(ctx, "tokenizer.ggml.tokens");
  if (key < 0) throw std::runtime_error(path + " has no tokenizer.ggml.tokens");
  const auto to_byte = unicode_to_byte();
  std::vector<std::string> tokens;
  const std::size_t n = gguf_get_arr_n(ctx, key);
  for (std::size_t i = 0; i < n; ++i) tokens.push_back(token_bytes(gguf_get_arr_str(ctx, key, i), to_byte));
  gguf_free(ctx);
  return tokens;
}

// Slaney-scale mel filterbank for n_fft 400 at 16 kHz, as librosa.filters.mel (Whisper's).
std::vector<float> mel_filters() {
  auto hz_to_mel = [](double hz) {
    const double f_sp = 200.0 / 3;
    const double min_log_hz = 1000.0;
    const double min_log_mel = min_log_hz / f_sp;
    const double logstep = std::log(6.4) / 27.0;
    return hz < min_log_hz ? hz / f_sp : min_log_mel + std::log(hz / min_log_hz) / logstep;
  };
  auto mel_to_hz = [](double mel) {
    const double f_sp = 200.0 / 3;
    const double min_log_hz = 1000.0;
    const double min_log_mel = min_log_hz / f_sp;
    const double logstep = std::log(6.4) / 27.0;
    return mel < min_log_mel ? mel * f_sp : min_log_hz * std::exp(logstep * (mel - min_log_mel));
  };
  std::vector<double> points(kMels + 2);
  const double top = hz_to_mel(kSampleRate / 2.0);
  for (int i = 0; i < kMels + 2; ++i) points[i] = mel_to_hz(top * i / (kMels + 1));
  std::vector<float> filters(static_cast<std::size_t>(kMels) * kFft, 0.0f);
  for (int m = 0; m < kMels; ++m) {
    const double lower = points[m], center = points[m + 1], upper = points[m + 2];
    const double norm = 2.0 / (upper - lower);
    for (int k = 0; k < kFft; ++k) {
      const double hz = k * (kSampleRate / 2.0) / (kFft - 1);
      const double w = std::max(0.0, std::min((hz - lower) / (center - lower),
                                              (upper - hz) / (upper - center)));
      filters[static_cast<std::size_t>(m) * kFft + k] = static_cast<float>(w * norm);
    }
  }
  return filters;
}

class Writer {
 public:
  Writer(const std::string& path, unsigned seed) : out_(path, std::ios::binary), rng_(seed) {
    if (!out_) throw std::runtime_error("cannot write " + path);
  }
  void i32(std::int32_t v) { out_.write(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void f32(float v) { out_.write(reinterpret_cast<const char*>(&v), sizeof(v)); }
  void bytes(const std::string& s) { out_.write(s.data(), static_cast<std::streamsize>(s.size())); }

  enum class Fill { random, ones, zeros };
  // dims as ggml's ne (fastest first); f16 for matrices.
  void tensor(const std::string& name, std::vector<int> dims, bool f16, Fill fill) {
    i32(static_cast<std::int32_t>(dims.size()));
    i32(static_cast<std::int32_t>(name.size()));
    i32(f16 ? 1 : 0);
    std::size_t n = 1;
    for (int d : dims) {
      i32(d);
      n *= static_cast<std::size_t>(d);
    }
    bytes(name);
    std::normal_distribution<float> normal(0.0f, 0.02f);
    for (std::size_t i = 0; i < n; ++i) {
      const float v = fill == Fill::random ? normal(rng_) : fill == Fill::ones ? 1.0f : 0.0f;
      if (f16) {
        const ggml_fp16_t h = ggml_fp32_to_fp16(v);
        out_.write(reinterpret_cast<const char*>(&h), sizeof(h));
      } else {
        f32(v);
      }
    }
  }
  bool ok() const { return static_cast<bool>(out_); }

 private:
  std::ofstream out_;
  std::mt19937 rng_;
};

void write_model(const Options& o) {
  const std::vector<std::string> vocab = read_vocab(o.vocab);
  if (vocab.size() != 50257) {
    throw std::runtime_error("expected GPT-2's 50257 tokens in " + o.vocab + ", got " +
                             std::to_string(vocab.size()));
  }
  Writer w(o.out, o.seed);
  w.i32(0x67676d6c);
  for (int v : {kVocab, kAudioCtx, o.n_state, o.n_head, o.n_audio_layer, kTextCtx, o.n_state,
                o.n_head, o.n_text_layer, kMels, 1}) {
    w.i32(v);
  }
  w.i32(kMels);
  w.i32(kFft);
  for (float f : mel_filters()) w.f32(f);
  w.i32(static_cast<std::int32_t>(vocab.size()));
  for (const std::string& token : vocab) {
    w.i32(static_cast<std::int32_t>(token.size()));
    w.bytes(token);
  }

  using F = Writer::Fill;
  const int s = o.n_state;
  w.tensor("encoder.positional_embedding", {s, kAudioCtx}, false, F::random);
  w.tensor("encoder.conv1.weight", {3, kMels, s}, true, F::random);
  w.tensor("encoder.conv1.bias", {1, s}, false, F::zeros);
  w.tensor("encoder.conv2.weight", {3, s, s}, true, F::random);
  w.tensor("encoder.conv2.bias", {1, s}, false, F::zeros);
  w.tensor("encoder.ln_post.weight", {s}, false, F::ones);
  w.tensor("encoder.ln_post.bias", {s}, false, F::zeros);
  auto block = [&](const std::string& p, bool cross) {
    w.tensor(p + "mlp_ln.weight", {s}, false, F::ones);
    w.tensor(p + "mlp_ln.bias", {s}, false, F::zeros);
    w.tensor(p + "mlp.0.weight", {s, 4 * s}, true, F::random);
    w.tensor(p + "mlp.0.bias", {4 * s}, false, F::zeros);
    w.tensor(p + "mlp.2.weight", {4 * s, s}, true, F::random);
    w.tensor(p + "mlp.2.bias", {s}, false, F::zeros);
    for (const std::string& attn : cross ? std::vector<std::string>{"attn", "cross_attn"}
                                        : std::vector<std::string>{"attn"}) {
      w.tensor(p + attn + "_ln.weight", {s}, false, F::ones);
      w.tensor(p + attn + "_ln.bias", {s}, false, F::zeros);
      w.tensor(p + attn + ".query.weight", {s, s}, true, F::random);
      w.tensor(p + attn + ".query.bias", {s}, false, F::zeros);
      w.tensor(p + attn + ".key.weight", {s, s}, true, F::random);
      w.tensor(p + attn + ".value.weight", {s, s}, true, F::random);
      w.tensor(p + attn + ".value.bias", {s}, false, F::zeros);
      w.tensor(p + attn + ".out.weight", {s, s}, true, F::random);
      w.tensor(p + attn + ".out.bias", {s}, false, F::zeros);
    }
  };
  for (int i = 0; i < o.n_audio_layer; ++i) block("encoder.blocks." + std::to_string(i) + ".", false);
  w.tensor("decoder.positional_embedding", {s, kTextCtx}, false, F::random);
  w.tensor("decoder.token_embedding.weight", {s, kVocab}, true, F::random);
  w.tensor("decoder.ln.weight", {s}, false, F::ones);
  w.tensor("decoder.ln.bias", {s}, false, F::zeros);
  for (int i = 0; i < o.n_text_layer; ++i) block("decoder.blocks." + std::to_string(i) + ".", true);
  if (!w.ok()) throw std::runtime_error("writing " + o.out + " failed");
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  try {
    write_model(options);
  } catch (const std::exception& error) {
    std::fprintf(stderr, "switchyard-make-whisper-model: %s\n", error.what());
    return 1;
  }
  std::printf("wrote %s\n", options.out.c_str());
  return 0;
}
