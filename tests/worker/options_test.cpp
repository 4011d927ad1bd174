#include "worker/options.hpp"

#include <gtest/gtest.h>

#include "worker/engines/llama/llama_options.hpp"

namespace switchyard::worker {
namespace {

EngineArgs args(std::map<std::string, std::string> values) { return EngineArgs(std::move(values)); }

TEST(Cli, ParsesEveryOption) {
  const auto o =
      parse_cli({"--engine", "llama", "--model", "/m.gguf", "--host", "0.0.0.0", "--port", "8080",
                 "--arg", "ctx_size=128", "--arg", R"(lora=[{"path":"/x.gguf","scale":0.8}])"});
  EXPECT_EQ(o.engine, "llama");
  EXPECT_EQ(o.port, 8080);
  EXPECT_EQ(o.args.at("ctx_size"), "128");
  EXPECT_EQ(o.args.at("lora"), R"([{"path":"/x.gguf","scale":0.8}])");
}

TEST(Cli, RejectsBadInput) {
  EXPECT_THROW(parse_cli({"--engine", "llama", "--model", "m"}), UsageError);  // no port
  EXPECT_THROW(parse_cli({"--engine", "llama", "--model", "m", "--port", "x"}), UsageError);
  EXPECT_THROW(parse_cli({"--engine", "llama", "--model", "m", "--port", "1", "--arg", "=1"}),
               UsageError);
  EXPECT_THROW(parse_cli({"--bogus", "1"}), UsageError);
}

TEST(LlamaOptions, ParsesTypedArgs) {
  const auto o = llama::parse_llama_options(args({{"ctx_size", "256"},
                                                  {"parallel", "4"},
                                                  {"embeddings", "true"},
                                                  {"seed", "7"},
                                                  {"lora", R"([{"path":"/a/b.gguf"}])"}}));
  EXPECT_EQ(o.ctx_size, 256);
  EXPECT_EQ(o.parallel, 4);
  EXPECT_TRUE(o.embeddings);
  EXPECT_EQ(o.seed, 7u);
  ASSERT_EQ(o.lora.size(), 1u);
  EXPECT_EQ(o.lora[0].name, "b");
  EXPECT_EQ(o.lora[0].scale, 1.0f);
}

TEST(LlamaOptions, UnknownArgNamesItAndListsValidOnes) {
  try {
    llama::parse_llama_options(args({{"ctx_sise", "256"}}));
    FAIL() << "accepted an unknown arg";
  } catch (const ArgError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("'ctx_sise'"), std::string::npos) << message;
    EXPECT_NE(message.find("ctx_size"), std::string::npos) << message;
    EXPECT_NE(message.find("parallel"), std::string::npos) << message;
  }
}

TEST(LlamaOptions, RejectsBadValues) {
  EXPECT_THROW(llama::parse_llama_options(args({{"parallel", "0"}})), ArgError);
  EXPECT_THROW(llama::parse_llama_options(args({{"threads", "two"}})), ArgError);
  EXPECT_THROW(llama::parse_llama_options(args({{"embeddings", "maybe"}})), ArgError);
  EXPECT_THROW(llama::parse_llama_options(args({{"lora", R"([{"scale":1}])"}})), ArgError);
}

}  // namespace
}  // namespace switchyard::worker
