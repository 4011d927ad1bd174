#include "router/http/model_request.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;
using ::testing::HasSubstr;

Request json_request(std::string body, std::string target = "/v1/chat/completions",
                     std::string_view content_type = "application/json") {
  Request request{bhttp::verb::post, target, 11};
  request.insert("Host", "localhost");
  request.insert("Content-Type", content_type);
  request.body() = std::move(body);
  return request;
}

Request multipart_request(std::string body,
                          std::string content_type = "multipart/form-data; boundary=b0undary") {
  Request request{bhttp::verb::post, "/v1/audio/transcriptions", 11};
  request.insert("Host", "localhost");
  request.insert("Content-Type", content_type);
  request.body() = std::move(body);
  return request;
}

std::string form(std::string_view name, std::string_view value) {
  return "--b0undary\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"\r\n\r\n" + std::string(value) + "\r\n";
}

const Route& chat() {
  static const Route route = *find_route("/v1/chat/completions");
  return route;
}

const Route& transcriptions() {
  static const Route route = *find_route("/v1/audio/transcriptions");
  return route;
}

// The ApiError parse_model_request throws; fails the test when it throws nothing.
ApiError parse_error(const Request& request, const Route& route) {
  try {
    parse_model_request(request, route);
  } catch (const ApiError& error) {
    return error;
  }
  ADD_FAILURE() << "parse_model_request accepted " << request.body();
  return ApiError(ErrorKind::internal, "no error");
}

// ---------------------------------------------------------------------------------------------
// parse_model_request: JSON bodies

TEST(ParseModelRequest, JsonBodyWithModel) {
  const auto result = parse_model_request(
      json_request(R"({"model":"qwen","messages":[{"role":"user","content":"hi"}]})"), chat());
  EXPECT_EQ(result.model, "qwen");
  EXPECT_TRUE(result.message_inputs.empty());
}

TEST(ParseModelRequest, OnlyTheTopLevelModelCounts) {
  const ApiError nested = parse_error(
      json_request(R"({"options":{"model":"qwen"},"messages":[{"model":"x","content":"hi"}]})"),
      chat());
  EXPECT_THAT(nested.what(), HasSubstr("missing required parameter 'model'"));
  EXPECT_EQ(parse_model_request(json_request(R"({"a":{"model":"inner"},"model":"outer"})"), chat())
                .model,
            "outer");
}

TEST(ParseModelRequest, TheLastOfDuplicateModelKeysWinsAsInADocument) {
  EXPECT_EQ(parse_model_request(json_request(R"({"model":"a","model":"b"})"), chat()).model, "b");
  const ApiError error = parse_error(json_request(R"({"model":"a","model":null})"), chat());
  EXPECT_THAT(error.what(), HasSubstr("non-empty string"));
}

TEST(ParseModelRequest, ModelThatIsAnObjectOrArrayIsRefused) {
  for (const char* body : {R"({"model":{"name":"qwen"}})", R"({"model":["qwen"]})"}) {
    const ApiError error = parse_error(json_request(body), chat());
    EXPECT_THAT(error.what(), HasSubstr("'model' must be a non-empty string")) << body;
  }
}

TEST(ParseModelRequest, MessagePartTypesAreCollected) {
  const auto result = parse_model_request(
      json_request(R"({"model":"m","type":"image_url","messages":[{"role":"user","content":[)"
                   R"({"type":"input_audio","input_audio":{"type":"image_url"}},)"
                   R"({"type":"text","text":"image_url"},{"type":"image_url"}]}]})"),
      chat());
  EXPECT_EQ(result.message_inputs,
            (std::vector<config::Input>{config::Input::audio, config::Input::image}));
}

TEST(ParseModelRequest, JsonModelNameIsTakenVerbatim) {
  const auto result = parse_model_request(json_request(R"({"model":"org/Model Name:7b"})"), chat());
  EXPECT_EQ(result.model, "org/Model Name:7b");
}

TEST(ParseModelRequest, EmptyBody) {
  const ApiError error = parse_error(json_request(""), chat());
  EXPECT_EQ(error.status(), 400);
  EXPECT_THAT(error.what(), HasSubstr("empty"));
}

TEST(ParseModelRequest, InvalidJson) {
  for (std::string body :
       {"{", "{\"model\":\"x\"", "model=x", "{'model':'x'}", "  ", "{\"model\":\"x\"} trailing"}) {
    const ApiError error = parse_error(json_request(body), chat());
    EXPECT_EQ(error.kind, ErrorKind::invalid_request) << body;
    EXPECT_THAT(error.what(), HasSubstr("not valid JSON")) << body;
  }
}

TEST(ParseModelRequest, BodyThatIsNotAnObject) {
  for (std::string body : {R"([{"model":"x"}])", R"("x")", "42", "null", "true"}) {
    const ApiError error = parse_error(json_request(body), chat());
    EXPECT_EQ(error.status(), 400) << body;
    EXPECT_THAT(error.what(), HasSubstr("must be a JSON object")) << body;
  }
}

TEST(ParseModelRequest, MissingModel) {
  const ApiError error = parse_error(json_request(R"({"messages":[]})"), chat());
  EXPECT_EQ(error.status(), 400);
  EXPECT_THAT(error.what(), HasSubstr("'model'"));
  EXPECT_EQ(error.param, "model");
}

TEST(ParseModelRequest, ModelThatIsNotAString) {
  for (std::string body : {R"({"model":7})", R"({"model":null})", R"({"model":["a"]})",
                           R"({"model":{"name":"a"}})", R"({"model":true})"}) {
    const ApiError error = parse_error(json_request(body), chat());
    EXPECT_EQ(error.status(), 400) << body;
    EXPECT_THAT(error.what(), HasSubstr("non-empty string")) << body;
    EXPECT_EQ(error.param, "model") << body;
  }
}

TEST(ParseModelRequest, EmptyModelString) {
  const ApiError error = parse_error(json_request(R"({"model":""})"), chat());
  EXPECT_THAT(error.what(), HasSubstr("non-empty string"));
  EXPECT_EQ(error.param, "model");
}

TEST(ParseModelRequest, JsonRouteIgnoresContentType) {
  // JSON routes read the body whatever its Content-Type says.
  const Request request = json_request(R"({"model":"m"})", "/v1/audio/speech", "text/plain");
  EXPECT_EQ(parse_model_request(request, *find_route("/v1/audio/speech")).model, "m");
}

// ---------------------------------------------------------------------------------------------
// parse_model_request: multipart bodies

TEST(ParseModelRequest, MultipartWithModel) {
  const auto result = parse_model_request(
      multipart_request(form("file", "RIFF") + form("model", "whisper-1") + "--b0undary--\r\n"),
      transcriptions());
  EXPECT_EQ(result.model, "whisper-1");
  EXPECT_TRUE(result.message_inputs.empty());
}

TEST(ParseModelRequest, MalformedMultipart) {
  const ApiError truncated =
      parse_error(multipart_request(form("model", "whisper-1").substr(0, 40)), transcriptions());
  EXPECT_EQ(truncated.status(), 400);
  EXPECT_THAT(truncated.what(), HasSubstr("malformed multipart body"));

  const ApiError no_boundary =
      parse_error(multipart_request(form("model", "w") + "--b0undary--\r\n", "multipart/form-data"),
                  transcriptions());
  EXPECT_THAT(no_boundary.what(), HasSubstr("malformed multipart body"));

  const ApiError json_sent = parse_error(
      multipart_request(R"({"model":"whisper-1"})", "application/json"), transcriptions());
  EXPECT_THAT(json_sent.what(), HasSubstr("malformed multipart body"));
}

TEST(ParseModelRequest, MultipartWithoutModelField) {
  const ApiError error =
      parse_error(multipart_request(form("file", "RIFF") + "--b0undary--\r\n"), transcriptions());
  EXPECT_EQ(error.status(), 400);
  EXPECT_THAT(error.what(), HasSubstr("no 'model' field"));
  EXPECT_EQ(error.param, "model");
}

TEST(ParseModelRequest, MultipartWithEmptyModelField) {
  const ApiError error =
      parse_error(multipart_request(form("model", "") + "--b0undary--\r\n"), transcriptions());
  EXPECT_THAT(error.what(), HasSubstr("no 'model' field"));
  EXPECT_EQ(error.param, "model");
}

// ---------------------------------------------------------------------------------------------
// check_chat_inputs, on what parse_model_request scans out of a body

config::ModelConfig text_model(std::vector<config::Input> inputs) {
  config::ModelConfig model;
  model.name = "qwen";
  model.inputs = std::move(inputs);
  return model;
}

std::optional<ApiError> check_body(const config::ModelConfig& model, json body) {
  if (body.is_null()) return check_chat_inputs(model, {});  // multipart requests
  body["model"] = "qwen";
  return check_chat_inputs(model,
                           parse_model_request(json_request(body.dump()), chat()).message_inputs);
}

json chat_with_parts(json parts) {
  return json{{"model", "qwen"},
              {"messages", json::array({json{{"role", "system"}, {"content", "be brief"}},
                                        json{{"role", "user"}, {"content", std::move(parts)}}})}};
}

const json kImagePart = {{"type", "image_url"},
                         {"image_url", {{"url", "data:image/png;base64,AA"}}}};
const json kAudioPart = {{"type", "input_audio"},
                         {"input_audio", {{"data", "AAAA"}, {"format", "wav"}}}};
const json kTextPart = {{"type", "text"}, {"text", "what is this?"}};

TEST(CheckChatInputs, ImageRefusedForATextOnlyModel) {
  const auto error = check_body(text_model({config::Input::text}),
                                       chat_with_parts({kTextPart, kImagePart}));
  ASSERT_TRUE(error);
  EXPECT_EQ(error->status(), 400);
  EXPECT_STREQ(error->what(), "model 'qwen' does not accept image input; it accepts: text");
  EXPECT_EQ(error->param, "messages");
  EXPECT_EQ(error->code, "unsupported_input");
}

TEST(CheckChatInputs, ImageAcceptedWhenTheModelTakesImages) {
  EXPECT_FALSE(check_body(text_model({config::Input::text, config::Input::image}),
                                 chat_with_parts({kTextPart, kImagePart})));
}

TEST(CheckChatInputs, AudioRefusedNamingEveryAcceptedInput) {
  const auto error = check_body(text_model({config::Input::text, config::Input::image}),
                                       chat_with_parts({kAudioPart}));
  ASSERT_TRUE(error);
  EXPECT_STREQ(error->what(), "model 'qwen' does not accept audio input; it accepts: text, image");
}

TEST(CheckChatInputs, AudioAcceptedWhenTheModelTakesAudio) {
  EXPECT_FALSE(check_body(text_model({config::Input::text, config::Input::audio}),
                                 chat_with_parts({kTextPart, kAudioPart})));
}

TEST(CheckChatInputs, PlainStringContentIsAlwaysFine) {
  const json body = {{"model", "qwen"},
                     {"messages", json::array({json{{"role", "user"}, {"content", "hello"}}})}};
  EXPECT_FALSE(check_body(text_model({config::Input::text}), body));
}

TEST(CheckChatInputs, TextPartsAreFine) {
  EXPECT_FALSE(check_body(text_model({config::Input::text}),
                                 chat_with_parts({kTextPart, kTextPart})));
}

TEST(CheckChatInputs, RefusalInALaterMessageIsFound) {
  json body = chat_with_parts({kTextPart});
  body["messages"].push_back(json{{"role", "assistant"}, {"content", "ok"}});
  body["messages"].push_back(json{{"role", "user"}, {"content", json::array({kImagePart})}});
  EXPECT_TRUE(check_body(text_model({config::Input::text}), body));
}

TEST(CheckChatInputs, ShapesItDoesNotUnderstandAreLeftToTheWorker) {
  const auto model = text_model({config::Input::text});
  EXPECT_FALSE(check_body(model, json::object()));
  EXPECT_FALSE(check_body(model, json(nullptr)));  // multipart requests have no JSON body
  EXPECT_FALSE(check_body(model, json{{"messages", "not an array"}}));
  EXPECT_FALSE(check_body(model, json{{"messages", json::array({1, "x", nullptr})}}));
  EXPECT_FALSE(check_body(model, json{{"messages", json::array({json::object()})}}));
  EXPECT_FALSE(check_body(model, chat_with_parts({1, "image_url", nullptr})));
  EXPECT_FALSE(check_body(model, chat_with_parts({json{{"image_url", "x"}}})));
  EXPECT_FALSE(check_body(model, chat_with_parts({json{{"type", 5}}})));
  EXPECT_FALSE(check_body(model, chat_with_parts({json{{"type", "video_url"}}})));
}

}  // namespace
}  // namespace switchyard::http
