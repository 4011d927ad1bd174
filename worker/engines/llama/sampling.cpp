#include "worker/engines/llama/sampling.hpp"

#include "common/openai_error.hpp"

namespace switchyard::worker::llama {

const char* const kJsonObjectGrammar = R"gbnf(
root   ::= object
value  ::= object | array | string | number | ("true" | "false" | "null") ws

object ::=
  "{" ws (
            string ":" ws value
    ("," ws string ":" ws value)*
  )? "}" ws

array  ::=
  "[" ws (
            value
    ("," ws value)*
  )? "]" ws

string ::=
  "\"" (
    [^"\\\x7F\x00-\x1F] |
    "\\" (["\\bfnrt] | "u" [0-9a-fA-F]{4})
  )* "\"" ws

number ::= ("-"? ([0-9] | [1-9] [0-9]{0,15})) ("." [0-9]+)? ([eE] [-+]? [0-9] [1-9]{0,15})? ws

ws ::= | " " | "\n" [ \t]{0,20}
)gbnf";

SamplerPtr make_sampler(const llama_vocab* vocab, const openai::GenerationParams& params,
                        std::uint32_t seed) {
  llama_sampler_chain_params chain_params = llama_sampler_chain_default_params();
  chain_params.no_perf = true;
  SamplerPtr chain(llama_sampler_chain_init(chain_params));
  if (params.json_object) {
    llama_sampler* grammar = llama_sampler_init_grammar(vocab, kJsonObjectGrammar, "root");
    if (grammar == nullptr) {
      throw ApiError(ErrorKind::internal, "the JSON grammar could not be initialised");
    }
    llama_sampler_chain_add(chain.get(), grammar);
  }
  if (params.presence_penalty != 0.0f || params.frequency_penalty != 0.0f) {
    llama_sampler_chain_add(
        chain.get(),
        llama_sampler_init_penalties(llama_vocab_n_tokens(vocab), /*last_n=*/64, /*repeat=*/1.0f,
                                     params.frequency_penalty, params.presence_penalty));
  }
  if (params.temperature <= 0.0f) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
  } else {
    // llama-server's order: cut to the top k first, so the rest works on k tokens.
    if (params.top_k > 0) {
      llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(params.top_k));
    }
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(params.top_p, 1));
    if (params.min_p > 0.0f) {
      llama_sampler_chain_add(chain.get(), llama_sampler_init_min_p(params.min_p, 1));
    }
    llama_sampler_chain_add(chain.get(), llama_sampler_init_temp(params.temperature));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(seed));
  }
  return chain;
}

}  // namespace switchyard::worker::llama
