#include "worker/engines/llama/end_of_generation.hpp"

#include <limits>

namespace switchyard::worker::llama {

std::vector<llama_token> end_of_generation_tokens(const llama_vocab* vocab) {
  std::vector<llama_token> tokens;
  const llama_token n_vocab = llama_vocab_n_tokens(vocab);
  for (llama_token t = 0; t < n_vocab; ++t) {
    if (llama_vocab_is_eog(vocab, t)) tokens.push_back(t);
  }
  return tokens;
}

SamplerPtr ban_tokens(const llama_vocab* vocab, const std::vector<llama_token>& banned,
                      SamplerPtr sampler) {
  std::vector<llama_logit_bias> biases;
  biases.reserve(banned.size());
  for (llama_token t : banned) biases.push_back({t, -std::numeric_limits<float>::infinity()});
  llama_sampler_chain_params params = llama_sampler_chain_default_params();
  params.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(params));
  // The bias must act before anything that selects a token, so it goes first and the request's
  // chain (a chain is a sampler too; the outer one owns it) follows whole.
  llama_sampler_chain_add(chain.get(), llama_sampler_init_logit_bias(
                                           llama_vocab_n_tokens(vocab),
                                           static_cast<int32_t>(biases.size()), biases.data()));
  llama_sampler_chain_add(chain.get(), sampler.release());
  return chain;
}

}  // namespace switchyard::worker::llama
