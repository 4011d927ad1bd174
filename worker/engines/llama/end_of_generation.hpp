// `ignore_eos: true` (llama-server's extension, which load benchmarks send so every request
// generates exactly max_tokens): as llama-server does, every end-of-generation token of the
// vocabulary (EOS, EOT, EOM, <|im_end|>, ... whatever llama_vocab_is_eog says) gets a logit bias
// of -inf ahead of the request's own sampler chain, so none of them can be sampled and generation
// runs on until max_tokens, a stop string or the end of the context.
#pragma once

#include <llama.h>

#include <vector>

#include "worker/engines/llama/llama_handles.hpp"

namespace switchyard::worker::llama {

// Every token id llama_vocab_is_eog() accepts; computed once per model.
std::vector<llama_token> end_of_generation_tokens(const llama_vocab* vocab);

// A chain [logit_bias(-inf for `banned`), `sampler`]: `sampler` (a request's chain from
// make_sampler) still chooses the token, among the others.
SamplerPtr ban_tokens(const llama_vocab* vocab, const std::vector<llama_token>& banned,
                      SamplerPtr sampler);

}  // namespace switchyard::worker::llama
