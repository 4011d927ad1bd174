// The llama engine through the Engine interface with the generated tiny model.
#include "worker/engines/llama/llama_engine.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <regex>

#include "engine_test_support.hpp"

namespace switchyard::worker::llama {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

json chat(int max_tokens, std::uint32_t seed) {
  return {{"messages", {{{"role", "user"}, {"content", "Tell me a story"}}}},
          {"max_tokens", max_tokens},
          {"seed", seed}};
}

class LlamaEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    engine_ =
        load_engine(
            {{"ctx_size", "128"},
             {"lora", json::array({{{"path", SWITCHYARD_TINY_LORA}, {"name", "tiny"}}}).dump()}})
            .release();
  }
  static void TearDownTestSuite() { delete engine_; }
  static LlamaEngine* engine_;
};
LlamaEngine* LlamaEngineTest::engine_ = nullptr;

TEST_F(LlamaEngineTest, MaxTokensGivesLengthWithExactlyThatManyTokens) {
  auto sink = call(*engine_, "/v1/chat/completions", chat(7, 1));
  ASSERT_EQ(sink->status(), 200);
  const json body = sink->body();
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 7);
  EXPECT_GT(body["usage"]["prompt_tokens"], 5);
}

TEST_F(LlamaEngineTest, SameSeedSameOutput) {
  const json a = call(*engine_, "/v1/chat/completions", chat(12, 42))->body();
  const json b = call(*engine_, "/v1/chat/completions", chat(12, 42))->body();
  EXPECT_EQ(a["choices"][0]["message"]["content"], b["choices"][0]["message"]["content"]);
}

TEST_F(LlamaEngineTest, StopStringEndsGenerationAndIsNotEmitted) {
  const std::string full = call(*engine_, "/v1/chat/completions", chat(16, 5))
                               ->body()["choices"][0]["message"]["content"];
  ASSERT_GE(full.size(), 6u);
  // A stop string taken from the middle of what this seed generates: two whole UTF-8 characters
  // (a cut through one would be text the model can never produce).
  const auto continuation = [&](std::size_t i) {
    return i < full.size() && (static_cast<unsigned char>(full[i]) & 0xC0) == 0x80;
  };
  std::size_t begin = full.size() / 2;
  while (begin > 0 && continuation(begin)) --begin;
  std::size_t end = begin;
  for (int characters = 0; characters < 2 && end < full.size(); ++characters) {
    do ++end;
    while (continuation(end));
  }
  const std::string stop = full.substr(begin, end - begin);
  json request = chat(16, 5);
  request["stop"] = json::array({stop, "never-generated"});
  const json body = call(*engine_, "/v1/chat/completions", request)->body();
  const std::string text = body["choices"][0]["message"]["content"];
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(text.find(stop), std::string::npos);
  EXPECT_EQ(text, full.substr(0, full.find(stop)));
}

TEST_F(LlamaEngineTest, StreamShapes) {
  json request = chat(5, 3);
  request["stream"] = true;
  request["stream_options"] = {{"include_usage", true}};
  auto sink = call(*engine_, "/v1/chat/completions", request);
  ASSERT_EQ(sink->raw_chunks().back(), "data: [DONE]\n\n");
  const auto events = sink->events();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.front()["choices"][0]["delta"]["role"], "assistant");
  const json& last = events[events.size() - 2];
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  EXPECT_TRUE(events.back()["choices"].empty());
  EXPECT_EQ(events.back()["usage"]["completion_tokens"], 5);
  std::string streamed;
  for (const auto& e : events) {
    if (!e["choices"].empty() && e["choices"][0]["delta"].contains("content")) {
      streamed += e["choices"][0]["delta"]["content"].get<std::string>();
    }
  }
  request.erase("stream");
  EXPECT_EQ(
      streamed,
      call(*engine_, "/v1/chat/completions", request)->body()["choices"][0]["message"]["content"]);
}

TEST_F(LlamaEngineTest, CompletionsWithAListPromptAndEcho) {
  const json body = call(*engine_, "/v1/completions",
                         {{"prompt", {"The quick brown fox", "Once upon"}},
                          {"max_tokens", 4},
                          {"echo", true},
                          {"seed", 9}})
                        ->body();
  ASSERT_EQ(body["choices"].size(), 2u);
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["choices"][1]["index"], 1);
  EXPECT_EQ(body["choices"][0]["text"].get<std::string>().rfind("The quick brown fox", 0), 0u);
  EXPECT_EQ(body["usage"]["completion_tokens"], 8);
}

TEST_F(LlamaEngineTest, PromptLongerThanContextIs400NamingBothLengths) {
  std::string prompt;
  for (int i = 0; i < 200; ++i) prompt += "word ";
  auto sink = call(*engine_, "/v1/completions", {{"prompt", prompt}, {"max_tokens", 2}});
  EXPECT_EQ(sink->status(), 400);
  const std::string message = sink->body()["error"]["message"];
  std::smatch match;
  ASSERT_TRUE(std::regex_search(message, match,
                                std::regex("prompt has ([0-9]+) tokens but the context holds 128")))
      << message;
  EXPECT_GT(std::stoi(match[1]), 128);
}

TEST_F(LlamaEngineTest, LoraChangesOutputAndIsSelectableByName) {
  json with = chat(12, 11);
  json without = chat(12, 11);
  without["lora"] = json::array({{{"name", "tiny"}, {"scale", 0.0}}});
  json by_name = chat(12, 11);
  by_name["lora"] = "tiny";
  const auto text = [&](const json& r) {
    return call(*engine_, "/v1/chat/completions", r)->body()["choices"][0]["message"]["content"];
  };
  EXPECT_NE(text(with), text(without));
  EXPECT_EQ(text(with), text(by_name));
  json unknown = chat(2, 1);
  unknown["lora"] = "nope";
  EXPECT_EQ(call(*engine_, "/v1/chat/completions", unknown)->status(), 400);
}

TEST_F(LlamaEngineTest, JsonObjectOutputIsJson) {
  json request = chat(60, 2);
  request["response_format"] = {{"type", "json_object"}};
  request["temperature"] = 0;
  const json body = call(*engine_, "/v1/chat/completions", request)->body();
  const std::string text = body["choices"][0]["message"]["content"];
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.front(), '{') << text;
  if (body["choices"][0]["finish_reason"] == "stop") {
    EXPECT_FALSE(json::parse(text, nullptr, false).is_discarded()) << text;
  }
}

TEST_F(LlamaEngineTest, EmbeddingsNeedTheEmbeddingsArg) {
  auto sink = call(*engine_, "/v1/embeddings", {{"input", "x"}});
  EXPECT_EQ(sink->status(), 400);
}

TEST(LlamaEmbeddings, PooledNormalisedVectors) {
  auto engine = load_engine({{"embeddings", "true"}, {"ctx_size", "64"}});
  const json body =
      call(*engine, "/v1/embeddings", {{"input", {"hello world", "a much longer sentence here"}}})
          ->body();
  ASSERT_EQ(body["data"].size(), 2u);
  for (const auto& item : body["data"]) {
    ASSERT_EQ(item["embedding"].size(), 32u);  // the tiny model's n_embd
    double norm = 0;
    for (double x : item["embedding"]) norm += x * x;
    EXPECT_NEAR(std::sqrt(norm), 1.0, 1e-3);
  }
  EXPECT_GT(body["usage"]["prompt_tokens"], 4);
  EXPECT_NE(body["data"][0]["embedding"], body["data"][1]["embedding"]);
  const json base64 =
      call(*engine, "/v1/embeddings", {{"input", {1, 450, 4996}}, {"encoding_format", "base64"}})
          ->body();
  EXPECT_EQ(base64["data"][0]["embedding"].get<std::string>().size(), 172u);  // 128 bytes
  EXPECT_EQ(call(*engine, "/v1/chat/completions", chat(2, 1))->status(), 400);
}

}  // namespace
}  // namespace switchyard::worker::llama
