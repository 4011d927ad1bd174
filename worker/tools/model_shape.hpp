// The hyper-parameters of a generated LLaMA model, and the deterministic random numbers that fill
// it (the same shape and seed always give the same bytes).
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::tools {

struct ModelShape {
  int n_embd = 32;
  int n_layer = 2;
  int n_ff = 64;
  int n_head = 4;
  int n_head_kv = 4;
  int n_ctx = 512;

  std::optional<std::string> invalid() const {
    if (n_embd <= 0 || n_layer <= 0 || n_ff <= 0 || n_head <= 0 || n_head_kv <= 0 || n_ctx <= 0) {
      return "every size must be positive";
    }
    if (n_embd % n_head != 0) return "--n-embd must be a multiple of --n-head";
    if (n_head % n_head_kv != 0) return "--n-head must be a multiple of --n-head-kv";
    return std::nullopt;
  }
  int head_dim() const { return n_embd / n_head; }
  int n_embd_kv() const { return head_dim() * n_head_kv; }
  std::int64_t parameter_count(std::int64_t n_vocab) const {
    const std::int64_t attn = 2LL * n_embd * n_embd + 2LL * n_embd * n_embd_kv();
    const std::int64_t ffn = 3LL * n_embd * n_ff;
    return n_layer * (attn + ffn + 2LL * n_embd) + 2LL * n_vocab * n_embd + n_embd;
  }
};

// FNV-1a of the tensor name mixed with the seed: stable across platforms, unlike std::hash.
inline std::uint32_t name_seed(std::string_view name, std::uint32_t seed) {
  std::uint32_t h = 2166136261u ^ seed;
  for (const char c : name) {
    h ^= static_cast<unsigned char>(c);
    h *= 16777619u;
  }
  return h;
}

inline std::vector<float> random_values(std::int64_t n, std::uint32_t seed, float stddev) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> values(static_cast<std::size_t>(n));
  for (float& v : values) v = dist(gen);
  return values;
}

}  // namespace switchyard::tools
