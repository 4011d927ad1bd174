#include <gtest/gtest.h>

#include "worker/openai/responses.hpp"

namespace switchyard::worker::openai {
namespace {

const ResponseMeta kMeta{"chatcmpl-1", 1700000000, "tiny"};

TEST(Responses, ChatCompletionShape) {
  const json out = chat_completion(kMeta, {{"hello", "stop"}}, {5, 2});
  EXPECT_EQ(out["object"], "chat.completion");
  EXPECT_EQ(out["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(out["choices"][0]["message"]["content"], "hello");
  EXPECT_EQ(out["choices"][0]["finish_reason"], "stop");
  EXPECT_EQ(out["usage"]["total_tokens"], 7);
}

TEST(Responses, ChatChunksCarryDeltaAndFinishReason) {
  const json first = chat_chunk(kMeta, 0, {{"role", "assistant"}}, std::nullopt, false);
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  EXPECT_FALSE(first.contains("usage"));
  const json last = chat_chunk(kMeta, 0, json::object(), std::string("length"), false);
  EXPECT_EQ(last["choices"][0]["finish_reason"], "length");
  const json usage = chat_usage_chunk(kMeta, {3, 4});
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 4);
}

TEST(Responses, WithIncludeUsageEveryChunkHasANullUsage) {
  // OpenAI: with stream_options.include_usage, every chunk but the usage chunk has "usage": null.
  for (const json& chunk : {chat_chunk(kMeta, 0, {{"content", "hi"}}, std::nullopt, true),
                            chat_chunk(kMeta, 0, json::object(), std::string("stop"), true),
                            completion_chunk(kMeta, 0, "hi", std::nullopt, true),
                            completion_chunk(kMeta, 0, "", std::string("length"), true)}) {
    ASSERT_TRUE(chunk.contains("usage")) << chunk.dump();
    EXPECT_TRUE(chunk["usage"].is_null()) << chunk.dump();
  }
  EXPECT_FALSE(completion_chunk(kMeta, 0, "hi", std::nullopt, false).contains("usage"));
  EXPECT_EQ(completion_usage_chunk(kMeta, {3, 4})["usage"]["total_tokens"], 7);
}

TEST(Responses, Base64IsLittleEndianFloat32) {
  // 1.0f = 00 00 80 3F
  EXPECT_EQ(base64_floats(std::vector<float>{1.0f}), "AACAPw==");
  EXPECT_EQ(base64_floats(std::vector<float>{1.0f, 1.0f, 1.0f}), "AACAPwAAgD8AAIA/");
}

TEST(Responses, EmbeddingList) {
  const json out = embedding_list("m", {{0.6f, 0.8f}}, false, 4);
  EXPECT_EQ(out["object"], "list");
  EXPECT_EQ(out["data"][0]["object"], "embedding");
  EXPECT_EQ(out["data"][0]["embedding"].size(), 2u);
  EXPECT_EQ(out["usage"]["prompt_tokens"], 4);
}

}  // namespace
}  // namespace switchyard::worker::openai
