// Which chat template the llama engine renders messages with, and what it renders: the model's own
// (tokenizer.chat_template in its GGUF metadata), chatml when the model has none (the documented
// fallback), or the `chat_template` arg, which overrides both. Rendered prompts are checked
// exactly, then through the engine: a chat request decodes the same tokens as a completion whose
// prompt is the expected rendering.
#include "worker/engines/llama/chat_template.hpp"

#include <gtest/gtest.h>

#include "engine_test_support.hpp"
#include "worker/engines/llama/llama_handles.hpp"

namespace switchyard::worker::llama {
namespace {

using nlohmann::json;

const std::vector<openai::ChatMessage> kMessages = {{"system", "Be brief.", {}},
                                                    {"user", "Hello there", {}}};

constexpr const char* kChatml =
    "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHello there<|im_end|>\n"
    "<|im_start|>assistant\n";
constexpr const char* kLlama3 =
    "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
    "<|start_header_id|>user<|end_header_id|>\n\nHello there<|eot_id|>"
    "<|start_header_id|>assistant<|end_header_id|>\n\n";

TEST(ChatTemplate, TheModelsOwnTemplateComesFromItsMetadata) {
  const ModelPtr model = load_vocab(SWITCHYARD_TINY_MODEL_LLAMA3);
  const ChatTemplate tmpl = ChatTemplate::for_model(model.get(), std::nullopt);
  EXPECT_NE(tmpl.source().find("<|start_header_id|>"), std::string::npos) << tmpl.source();
  EXPECT_EQ(tmpl.render(kMessages), kLlama3);
}

TEST(ChatTemplate, AModelWithoutATemplateFallsBackToChatml) {
  const ModelPtr model = load_vocab(SWITCHYARD_TINY_MODEL_NO_TEMPLATE);
  ASSERT_EQ(llama_model_chat_template(model.get(), nullptr), nullptr);
  const ChatTemplate tmpl = ChatTemplate::for_model(model.get(), std::nullopt);
  EXPECT_EQ(tmpl.source(), "chatml");
  EXPECT_EQ(tmpl.render(kMessages), kChatml);
}

TEST(ChatTemplate, TheArgOverridesTheModelsTemplate) {
  const ModelPtr llama3 = load_vocab(SWITCHYARD_TINY_MODEL_LLAMA3);
  EXPECT_EQ(ChatTemplate::for_model(llama3.get(), "chatml").render(kMessages), kChatml);
  const ModelPtr bare = load_vocab(SWITCHYARD_TINY_MODEL_NO_TEMPLATE);
  EXPECT_EQ(ChatTemplate::for_model(bare.get(), "llama3").render(kMessages), kLlama3);
  // A template text works as well as a name.
  EXPECT_EQ(ChatTemplate::for_model(bare.get(), "{{ '<|start_header_id|>' }}<|end_header_id|>")
                .render(kMessages),
            kLlama3);
  EXPECT_THROW(ChatTemplate::for_model(bare.get(), "no-such-template"), ArgError);
}

// Through the engine, greedy: the chat's prompt is exactly `rendered`.
void expect_chat_renders(Engine& engine, const std::string& rendered) {
  json chat = {{"messages",
                {{{"role", "system"}, {"content", "Be brief."}},
                 {{"role", "user"}, {"content", "Hello there"}}}},
               {"max_tokens", 6},
               {"temperature", 0}};
  json completion = {{"prompt", rendered}, {"max_tokens", 6}, {"temperature", 0}};
  const json a = call(engine, "/v1/chat/completions", chat)->body();
  const json b = call(engine, "/v1/completions", completion)->body();
  EXPECT_EQ(a["usage"]["prompt_tokens"], b["usage"]["prompt_tokens"]);
  EXPECT_EQ(a["choices"][0]["message"]["content"], b["choices"][0]["text"]);
}

TEST(ChatTemplateEngine, RendersWithTheModelsTemplate) {
  auto engine = load_engine({{"ctx_size", "128"}}, SWITCHYARD_TINY_MODEL_LLAMA3);
  expect_chat_renders(*engine, kLlama3);
}

TEST(ChatTemplateEngine, RendersWithChatmlWhenTheModelHasNone) {
  auto engine = load_engine({{"ctx_size", "128"}}, SWITCHYARD_TINY_MODEL_NO_TEMPLATE);
  expect_chat_renders(*engine, kChatml);
}

TEST(ChatTemplateEngine, RendersWithTheArgsTemplate) {
  auto engine =
      load_engine({{"ctx_size", "128"}, {"chat_template", "chatml"}}, SWITCHYARD_TINY_MODEL_LLAMA3);
  expect_chat_renders(*engine, kChatml);
  EXPECT_THROW(load_engine({{"chat_template", "no-such-template"}}), ArgError);
}

}  // namespace
}  // namespace switchyard::worker::llama
