// stop() (the worker's SIGTERM) while a long llama_decode is in progress: the context's abort
// callback ends the decode at once, so the worker still exits within a second. The prompt is one
// decode of kPromptWords tokens (batch_size holds it whole), which takes over ten seconds to run
// to its end on the project's 2-core machine (attention is quadratic in it: 16 000 took 90 s):
// without the callback stop() would wait for it.
#include <gtest/gtest.h>

#include <chrono>

#include "engine_test_support.hpp"

namespace switchyard::worker::llama {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr int kPromptWords = 6000;

TEST(LlamaStop, StopAbortsADecodeInProgress) {
  const std::string n = std::to_string(kPromptWords + 64);
  auto engine = load_engine({{"ctx_size", n}, {"batch_size", n}});
  std::string prompt;
  for (int i = 0; i < kPromptWords; ++i) prompt += " word";
  auto sink = submit(*engine, "/v1/completions", {{"prompt", prompt}, {"max_tokens", 1}});
  // The scheduler asks whether the request was cancelled when it takes it up; in that same turn
  // of its loop it tokenises the prompt and decodes it, with no further look at stop().
  ASSERT_TRUE(sink->wait_polled());
  const auto start = Clock::now();
  engine->stop();
  const auto took = Clock::now() - start;
  EXPECT_LT(took, 1s) << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                      << " ms";
  EXPECT_FALSE(sink->done() && sink->status() == 200) << "the decode ran to its end";
}

}  // namespace
}  // namespace switchyard::worker::llama
