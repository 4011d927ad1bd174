// `ignore_eos: true` (llama-server's extension): end-of-generation tokens are never sampled, so a
// request generates exactly max_tokens. The engine tests use tiny-llama-eager-eos.gguf, which
// samples EOS first almost always: without ignore_eos it stops at once, which shows each test
// can fail.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_test_support.hpp"
#include "worker/engines/llama/end_of_generation.hpp"
#include "worker/engines/llama/sampling.hpp"

namespace switchyard::worker::llama {
namespace {

using nlohmann::json;

// The token a sampler picks from logits that favour `favourite` (10) over `runner_up` (1).
llama_token pick(llama_sampler* sampler, int n_vocab, llama_token favourite,
                 llama_token runner_up) {
  std::vector<llama_token_data> data(static_cast<std::size_t>(n_vocab));
  for (llama_token t = 0; t < n_vocab; ++t) data[static_cast<std::size_t>(t)] = {t, 0.0f, 0.0f};
  data[static_cast<std::size_t>(favourite)].logit = 10.0f;
  data[static_cast<std::size_t>(runner_up)].logit = 1.0f;
  llama_token_data_array candidates{data.data(), data.size(), -1, false};
  llama_sampler_apply(sampler, &candidates);
  return candidates.selected < 0 ? LLAMA_TOKEN_NULL : data[candidates.selected].id;
}

TEST(IgnoreEos, BansEveryEndOfGenerationToken) {
  const ModelPtr model = load_vocab(SWITCHYARD_TINY_MODEL);
  ASSERT_NE(model, nullptr);
  const llama_vocab* vocab = llama_model_get_vocab(model.get());
  const llama_token eos = llama_vocab_eos(vocab);
  const std::vector<llama_token> banned = end_of_generation_tokens(vocab);
  EXPECT_NE(std::find(banned.begin(), banned.end(), eos), banned.end());
  for (llama_token t : banned) EXPECT_TRUE(llama_vocab_is_eog(vocab, t)) << t;

  openai::GenerationParams greedy;
  greedy.temperature = 0.0f;
  const int n_vocab = llama_vocab_n_tokens(vocab);
  const SamplerPtr plain = make_sampler(vocab, greedy, 1);
  EXPECT_EQ(pick(plain.get(), n_vocab, eos, 5), eos);
  const SamplerPtr ignoring = ban_tokens(vocab, banned, make_sampler(vocab, greedy, 1));
  EXPECT_EQ(pick(ignoring.get(), n_vocab, eos, 5), 5);
  EXPECT_EQ(pick(ignoring.get(), n_vocab, 7, 5), 7);  // other tokens are untouched
}

class IgnoreEosEngine : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ = load_engine({{"ctx_size", "256"}}, SWITCHYARD_TINY_MODEL_EAGER_EOS).release();
  }
  static void TearDownTestSuite() { delete engine_; }
  static LlamaEngine* engine_;
};
LlamaEngine* IgnoreEosEngine::engine_ = nullptr;

json chat(bool ignore_eos) {
  json body = {{"messages", {{{"role", "user"}, {"content", "Say something"}}}},
               {"max_tokens", 40},
               {"seed", 3}};
  if (ignore_eos) body["ignore_eos"] = true;
  return body;
}

json completion(bool ignore_eos) {
  json body = {
      {"prompt", {"Once upon a time", "The quick brown fox"}}, {"max_tokens", 40}, {"seed", 3}};
  if (ignore_eos) body["ignore_eos"] = true;
  return body;
}

TEST_F(IgnoreEosEngine, ChatRunsToMaxTokens) {
  const json stopped = call(*engine_, "/v1/chat/completions", chat(false))->body();
  EXPECT_EQ(stopped["choices"][0]["finish_reason"], "stop");
  EXPECT_LT(stopped["usage"]["completion_tokens"], 40);

  const json full = call(*engine_, "/v1/chat/completions", chat(true))->body();
  EXPECT_EQ(full["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(full["usage"]["completion_tokens"], 40);
}

TEST_F(IgnoreEosEngine, CompletionsRunToMaxTokens) {
  const json stopped = call(*engine_, "/v1/completions", completion(false))->body();
  for (const json& choice : stopped["choices"]) EXPECT_EQ(choice["finish_reason"], "stop");
  EXPECT_LT(stopped["usage"]["completion_tokens"], 80);

  const json full = call(*engine_, "/v1/completions", completion(true))->body();
  ASSERT_EQ(full["choices"].size(), 2u);
  for (const json& choice : full["choices"]) EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(full["usage"]["completion_tokens"], 80);
}

TEST_F(IgnoreEosEngine, StreamsRunToMaxTokens) {
  json request = chat(true);
  request["stream"] = true;
  request["stream_options"] = {{"include_usage", true}};
  const auto events = call(*engine_, "/v1/chat/completions", request)->events();
  ASSERT_GE(events.size(), 2u);
  EXPECT_EQ(events[events.size() - 2]["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 40);
}

TEST_F(IgnoreEosEngine, MustBeABoolean) {
  json request = chat(false);
  request["ignore_eos"] = "yes";
  const auto sink = call(*engine_, "/v1/chat/completions", request);
  EXPECT_EQ(sink->status(), 400);
  EXPECT_EQ(sink->body()["error"]["param"], "ignore_eos");
}

}  // namespace
}  // namespace switchyard::worker::llama
