#include "router/http/routes.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace switchyard::http {
namespace {

using config::ModelType;

struct Expected {
  std::string_view path;
  ModelType type;
  BodyKind body;
};

constexpr Expected kEndpoints[] = {
    {"/v1/chat/completions", ModelType::text, BodyKind::json},
    {"/v1/completions", ModelType::text, BodyKind::json},
    {"/v1/embeddings", ModelType::text, BodyKind::json},
    {"/v1/images/generations", ModelType::image, BodyKind::json},
    {"/v1/images/edits", ModelType::image, BodyKind::multipart},
    {"/v1/images/variations", ModelType::image, BodyKind::multipart},
    {"/v1/audio/transcriptions", ModelType::audio, BodyKind::multipart},
    {"/v1/audio/translations", ModelType::audio, BodyKind::multipart},
    {"/v1/audio/speech", ModelType::audio, BodyKind::json},
};

TEST(FindRoute, EveryEndpointHasItsModelTypeAndBodyKind) {
  for (const auto& want : kEndpoints) {
    const auto route = find_route(want.path);
    ASSERT_TRUE(route) << want.path;
    EXPECT_EQ(route->path, want.path);
    EXPECT_EQ(route->type, want.type) << want.path;
    EXPECT_EQ(route->body, want.body) << want.path;
  }
}

TEST(FindRoute, UnknownPathsHaveNoRoute) {
  for (std::string_view path :
       {"", "/", "/v1", "/v1/", "/v1/models", "/health", "/v1/chat/completions/",
        "/v1/chat/completion", "/V1/chat/completions", "/v1/chat/completions?stream=true",
        "v1/chat/completions", "//v1/chat/completions", "/v1/images", "/v1/audio/",
        "/v2/chat/completions", "/admin/models"}) {
    EXPECT_FALSE(find_route(path)) << path;
  }
}

TEST(FindRoute, WorksOnPathOfATargetWithAQuery) {
  const auto route = find_route(path_of("/v1/embeddings?api-version=1"));
  ASSERT_TRUE(route);
  EXPECT_EQ(route->path, "/v1/embeddings");
}

TEST(CheckModelType, MatchingTypeIsAccepted) {
  for (const auto& want : kEndpoints) {
    EXPECT_FALSE(check_model_type("m", want.type, *find_route(want.path))) << want.path;
  }
}

TEST(CheckModelType, AudioModelOnChatCompletions) {
  const auto error =
      check_model_type("whisper", ModelType::audio, *find_route("/v1/chat/completions"));
  ASSERT_TRUE(error);
  EXPECT_STREQ(error->what(),
               "model 'whisper' is an audio model; /v1/chat/completions serves text models");
  EXPECT_EQ(error->kind, ErrorKind::invalid_request);
  EXPECT_EQ(error->status(), 400);
  EXPECT_EQ(error->param, "model");
  EXPECT_EQ(error->code, "model_type_mismatch");
}

TEST(CheckModelType, TextModelOnAnImageEndpoint) {
  const auto error = check_model_type("qwen", ModelType::text, *find_route("/v1/images/edits"));
  ASSERT_TRUE(error);
  EXPECT_STREQ(error->what(), "model 'qwen' is a text model; /v1/images/edits serves image models");
}

TEST(CheckModelType, ImageModelOnAnAudioEndpoint) {
  const auto error = check_model_type("sdxl", ModelType::image, *find_route("/v1/audio/speech"));
  ASSERT_TRUE(error);
  EXPECT_STREQ(error->what(),
               "model 'sdxl' is an image model; /v1/audio/speech serves audio models");
}

TEST(CheckModelType, EveryMismatchIsRefused) {
  for (const auto& want : kEndpoints) {
    for (ModelType type : {ModelType::text, ModelType::image, ModelType::audio}) {
      const auto error = check_model_type("x", type, *find_route(want.path));
      EXPECT_EQ(error.has_value(), type != want.type) << want.path;
    }
  }
}

TEST(PathOf, StripsTheQueryString) {
  EXPECT_EQ(path_of("/v1/x?a=b"), "/v1/x");
  EXPECT_EQ(path_of("/v1/x?a=b?c"), "/v1/x");
  EXPECT_EQ(path_of("/v1/x?"), "/v1/x");
  EXPECT_EQ(path_of("/v1/x"), "/v1/x");
  EXPECT_EQ(path_of("?a=b"), "");
  EXPECT_EQ(path_of(""), "");
}

TEST(ParseUpstreamTarget, ModelAndWhatItsWorkerIsAskedFor) {
  EXPECT_EQ(parse_upstream_target("/v1/chat/completions"), std::nullopt);
  EXPECT_EQ(parse_upstream_target("/upstreamx/m/"), std::nullopt);

  const auto slots = parse_upstream_target("/upstream/llm/slots?id=1");
  ASSERT_TRUE(slots);
  EXPECT_EQ(slots->model, "llm");
  EXPECT_EQ(slots->target, "/slots?id=1");

  EXPECT_EQ(parse_upstream_target("/upstream/llm")->target, "/");
  EXPECT_EQ(parse_upstream_target("/upstream/llm/")->target, "/");
  EXPECT_EQ(parse_upstream_target("/upstream/qwen2.5:7b/a/b.js")->model, "qwen2.5:7b");
  EXPECT_EQ(parse_upstream_target("/upstream/m/.../x")->target, "/.../x") << "not a dot segment";
  EXPECT_EQ(parse_upstream_target("/upstream/m/a/?q=..")->target, "/a/?q=..") << "the query";
}

TEST(ParseUpstreamTarget, NoModelOrADotSegmentIs400) {
  for (const char* target :
       {"/upstream/", "/upstream//slots", "/upstream/m/../admin", "/upstream/m/a/..",
        "/upstream/m/%2e%2E/x", "/upstream/m/.%2e", "/upstream/m/./x", "/upstream/m?x=1"}) {
    SCOPED_TRACE(target);
    try {
      parse_upstream_target(target);
      ADD_FAILURE() << "accepted";
    } catch (const ApiError& error) {
      EXPECT_EQ(error.status(), 400);
      EXPECT_EQ(error.code, "invalid_upstream_path");
    }
  }
}

}  // namespace
}  // namespace switchyard::http
