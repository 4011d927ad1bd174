// One sampler chain per sequence, from a request's parameters, in llama-server's order:
// [json grammar] -> penalties -> top_p -> temperature -> dist(seed); greedy when temperature is 0.
#pragma once

#include <llama.h>

#include <cstdint>

#include "worker/engines/llama/llama_handles.hpp"
#include "worker/openai/params.hpp"

namespace switchyard::worker::llama {

// `seed` is the request's seed, else the engine's, else LLAMA_DEFAULT_SEED (random).
SamplerPtr make_sampler(const llama_vocab* vocab, const openai::GenerationParams& params,
                        std::uint32_t seed);

// llama.cpp's grammars/json.gbnf: any JSON object (response_format: json_object).
extern const char* const kJsonObjectGrammar;

}  // namespace switchyard::worker::llama
