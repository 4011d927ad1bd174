#include <gtest/gtest.h>

#include "worker/openai/chat_request.hpp"
#include "worker/openai/completion_request.hpp"
#include "worker/openai/embedding_request.hpp"

namespace switchyard::worker::openai {
namespace {

// The `param` of the ApiError that parsing `body` throws.
template <typename Parse>
std::string rejected_param(Parse parse, const std::string& body) {
  try {
    parse(parse_body(body));
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400);
    return error.param.value_or("<none>");
  }
  return "<accepted>";
}

TEST(ParseBody, RejectsMalformedJsonAndNonObjects) {
  EXPECT_THROW(parse_body("{not json"), ApiError);
  EXPECT_THROW(parse_body("[1,2]"), ApiError);
}

TEST(ChatRequest, ParsesMessagesAndSampling) {
  const auto request = parse_chat_request(parse_body(R"({
    "model": "m", "messages": [{"role": "system", "content": "be brief"},
                               {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
    "max_completion_tokens": 7, "temperature": 0, "top_p": 0.5, "seed": 3, "stop": "x",
    "presence_penalty": 0.5, "frequency_penalty": -0.5, "stream": true,
    "stream_options": {"include_usage": true}, "response_format": {"type": "json_object"},
    "user": "ignored", "n": 1})"));
  ASSERT_EQ(request.messages.size(), 2u);
  EXPECT_EQ(request.messages[1].content, "hi");
  EXPECT_EQ(request.params.max_tokens, 7);
  EXPECT_EQ(request.params.temperature, 0.0f);
  EXPECT_EQ(request.params.seed, 3u);
  EXPECT_EQ(request.params.stop, std::vector<std::string>{"x"});
  EXPECT_TRUE(request.params.stream);
  EXPECT_TRUE(request.params.include_usage);
  EXPECT_TRUE(request.params.json_object);
}

TEST(ChatRequest, NamesTheOffendingField) {
  auto parse = [](const json& b) { return parse_chat_request(b); };
  EXPECT_EQ(rejected_param(parse, R"({"model": "m"})"), "messages");
  EXPECT_EQ(rejected_param(parse, R"({"messages": []})"), "messages");
  EXPECT_EQ(rejected_param(parse, R"({"messages": [{"role": 1, "content": "x"}]})"),
            "messages[0].role");
  const auto ok = [](const char* tail) {
    std::string body = R"({"messages": [{"role": "user", "content": "x"}])";
    body.append(tail);
    return body;
  };
  EXPECT_EQ(rejected_param(parse, ok(R"(, "n": 2})")), "n");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "temperature": "hot"})")), "temperature");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "max_tokens": 1.5})")), "max_tokens");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "stop": [1]})")), "stop");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "logprobs": true})")), "logprobs");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "stream": "yes"})")), "stream");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "response_format": {"type": "json_schema"}})")),
            "response_format");
  EXPECT_EQ(rejected_param(parse, ok(R"(, "lora": 3})")), "lora");
}

TEST(CompletionRequest, AcceptsStringOrListPrompt) {
  EXPECT_EQ(parse_completion_request(parse_body(R"({"prompt": "a"})")).prompts.size(), 1u);
  const auto list = parse_completion_request(parse_body(R"({"prompt": ["a", "b"], "echo": true})"));
  EXPECT_EQ(list.prompts, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(list.echo);
  auto parse = [](const json& b) { return parse_completion_request(b); };
  EXPECT_EQ(rejected_param(parse, R"({"prompt": "a", "logprobs": 2})"), "logprobs");
  EXPECT_EQ(rejected_param(parse, R"({"prompt": [1, 2]})"), "prompt");
  EXPECT_EQ(rejected_param(parse, R"({})"), "prompt");
}

TEST(GenerationParams, IgnoreEosForChatAndCompletions) {
  EXPECT_FALSE(parse_chat_request(parse_body(R"({"messages": [{"role": "user", "content": "x"}]})"))
                   .params.ignore_eos);
  EXPECT_TRUE(
      parse_chat_request(
          parse_body(R"({"messages": [{"role": "user", "content": "x"}], "ignore_eos": true})"))
          .params.ignore_eos);
  EXPECT_TRUE(parse_completion_request(parse_body(R"({"prompt": "a", "ignore_eos": true})"))
                  .params.ignore_eos);
  auto parse = [](const json& b) { return parse_completion_request(b); };
  EXPECT_EQ(rejected_param(parse, R"({"prompt": "a", "ignore_eos": 1})"), "ignore_eos");
}

TEST(EmbeddingRequest, AcceptsEveryInputShape) {
  EXPECT_EQ(parse_embedding_request(parse_body(R"({"input": "a"})")).inputs.size(), 1u);
  EXPECT_EQ(parse_embedding_request(parse_body(R"({"input": ["a", "b"]})")).inputs.size(), 2u);
  const auto ids = parse_embedding_request(parse_body(R"({"input": [1, 2, 3]})"));
  ASSERT_EQ(ids.inputs.size(), 1u);
  EXPECT_EQ(std::get<std::vector<std::int32_t>>(ids.inputs[0]).size(), 3u);
  EXPECT_EQ(parse_embedding_request(parse_body(R"({"input": [[1], [2, 3]]})")).inputs.size(), 2u);
  EXPECT_TRUE(
      parse_embedding_request(parse_body(R"({"input": "a", "encoding_format": "base64"})")).base64);
  auto parse = [](const json& b) { return parse_embedding_request(b); };
  EXPECT_EQ(rejected_param(parse, R"({"input": []})"), "input");
  EXPECT_EQ(rejected_param(parse, R"({"input": "a", "encoding_format": "hex"})"),
            "encoding_format");
}

}  // namespace
}  // namespace switchyard::worker::openai
