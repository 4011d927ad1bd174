// What a worker is sent: the client's body with the model's params applied and `model` renamed
// for upstream_model or a fallback; the client's bytes kept wherever the router changes nothing.
#include "router/http/upstream_body.hpp"

#include <gtest/gtest.h>

#include "common/http/multipart.hpp"
#include "router/http/model_request.hpp"

namespace switchyard::http {
namespace {

namespace bhttp = boost::beast::http;
using nlohmann::json;

constexpr std::string_view kFormType = "multipart/form-data; boundary=b0undary";

Request request_to(std::string target, std::string_view content_type, std::string body) {
  Request request{bhttp::verb::post, target, 11};
  request.insert("Host", "localhost");
  request.insert("Content-Type", content_type);
  request.body() = std::move(body);
  return request;
}

Request chat_request(std::string body) {
  return request_to("/v1/chat/completions", "application/json", std::move(body));
}

std::string form(std::string_view name, std::string_view value) {
  return "--b0undary\r\nContent-Disposition: form-data; name=\"" + std::string(name) +
         "\"\r\n\r\n" + std::string(value) + "\r\n";
}

config::RequestParams params(json defaults, json overrides = json::object(),
                             std::vector<std::string> strip = {}) {
  config::RequestParams result;
  result.defaults = std::move(defaults);
  result.overrides = std::move(overrides);
  result.strip = std::move(strip);
  return result;
}

std::string rewrite(std::string_view body, const config::RequestParams& with,
                    std::string_view model_name = {}) {
  return rewrite_json_body(body, model_name, with);
}

// The text fields of a multipart body, in order, as "name=value".
std::vector<std::string> fields(std::string_view body) {
  const auto parts = parse_multipart(body, kFormType, nullptr);
  EXPECT_TRUE(parts) << body;
  std::vector<std::string> result;
  for (const MultipartPart& part : parts.value_or(std::vector<MultipartPart>{})) {
    result.push_back(part.name + "=" + std::string(part.data));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------
// When the body goes as it came

TEST(UpstreamBody, AModelWithoutParamsOrAnotherNameGetsTheClientsBody) {
  config::ModelConfig model;
  model.name = "chat";
  EXPECT_FALSE(upstream_body(chat_request(R"({"model":"chat"})"), model, false));
  model.params = params(json{{"n", 1}});
  Request upstream_path =
      request_to("/upstream/chat/v1/chat/completions", "application/json", R"({"model":"chat"})");
  EXPECT_FALSE(upstream_body(upstream_path, model, false)) << "an /upstream/ path is raw";
}

// ---------------------------------------------------------------------------------------------
// The name the worker knows

TEST(UpstreamBody, UpstreamModelIsPutInEscapedAndTheOtherFieldsKeepTheirBytes) {
  config::ModelConfig model;
  model.name = "chat";
  model.upstream_model = R"(org/"served" \ 7b)";
  const auto body = upstream_body(
      chat_request(R"({"stream":true, "model" : "gpt-\u0034o","n":1.0e+2})"), model, false);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, R"({"stream":true,"model":"org/\"served\" \\ 7b","n":1.0e+2})");
  EXPECT_EQ(json::parse(*body)["model"], R"(org/"served" \ 7b)");
}

TEST(UpstreamBody, AFallbackIsNamedByItsOwnNameWithoutUpstreamModel) {
  config::ModelConfig model;
  model.name = "small";
  const auto body = upstream_body(chat_request(R"({"model":"big","n":1})"), model, true);
  ASSERT_TRUE(body);
  EXPECT_EQ(*body, R"({"model":"small","n":1})");
}

TEST(UpstreamBody, EveryCopyOfADuplicatedModelIsRenamed) {
  EXPECT_EQ(rewrite(R"({"model":"a","x":[],"model":"b"})", {}, "served"),
            R"({"model":"served","x":[],"model":"served"})");
}

// ---------------------------------------------------------------------------------------------
// params in JSON bodies

TEST(RequestParams, DefaultsFillInOnlyWhatTheClientLeftOut) {
  const auto with = params(json{{"temperature", 0.7}, {"max_tokens", 256}});
  EXPECT_EQ(rewrite(R"({"model":"m","temperature":1.25})", with),
            R"({"model":"m","temperature":1.25,"max_tokens":256})");
  EXPECT_EQ(rewrite(R"({"model":"m","max_tokens":null,"temperature":0})", with),
            R"({"model":"m","max_tokens":null,"temperature":0})")
      << "a value the client sent, even null, is the client's choice";
}

TEST(RequestParams, OverridesReplaceTheClientsValueWhereverAndHoweverItWasWritten) {
  const auto with = params(
      json::object(), json{{"temperature", 0}, {"response_format", {{"type", "json_object"}}}});
  const std::string body =
      rewrite(R"({"temp\u0065rature":2,"model":"m","temperature":1,"stream":false})", with);
  EXPECT_EQ(
      body,
      R"({"model":"m","stream":false,"response_format":{"type":"json_object"},"temperature":0})");
  EXPECT_EQ(rewrite(R"({"model":"m"})", with),
            R"({"model":"m","response_format":{"type":"json_object"},"temperature":0})")
      << "and are set when the client sent none";
}

TEST(RequestParams, StripRemovesEveryCopyAndADefaultOfTheSameNameTakesItsPlace) {
  const auto with = params(json{{"seed", 7}}, json::object(), {"logit_bias", "seed"});
  EXPECT_EQ(rewrite(R"({"logit_bias":{"50256":-100},"model":"m","seed":1,"seed":2})", with),
            R"({"model":"m","seed":7})");
  EXPECT_EQ(rewrite(R"({"model":"m"})", params(json::object(), json::object(), {"seed"})),
            R"({"model":"m"})");
}

TEST(RequestParams, AnOverrideWinsOverADefaultOfTheSameName) {
  EXPECT_EQ(rewrite(R"({"model":"m"})", params(json{{"n", 1}}, json{{"n", 2}})),
            R"({"model":"m","n":2})");
}

TEST(RequestParams, TheClientsValuesKeepTheirBytesWhateverTheyHold) {
  const std::string messages =
      R"("messages" : [ {"role":"user","content":"a } ] \" , { [ \\"}, {"content":[{"type":"text"}]} ])";
  const std::string body = "\xEF\xBB\xBF \r\n{ \"model\":\"m\" , " + messages +
                           " ,\"x\":-0.5e-3,\"t\":true,\"s\":\"\xC3\xA9\\u00e9\" }\n";
  const std::string rewritten = rewrite(body, params(json{{"n", 1}}));
  EXPECT_EQ(rewritten, "{\"model\":\"m\"," + messages +
                           ",\"x\":-0.5e-3,\"t\":true,\"s\":\"\xC3\xA9\\u00e9\",\"n\":1}");
  EXPECT_EQ(json::parse(rewritten)["messages"], json::parse("{" + messages + "}")["messages"]);
}

TEST(RequestParams, AnEmptyObjectGetsTheDefaults) {
  EXPECT_EQ(rewrite("{}", params(json{{"a", "x"}, {"b", json::array({1, "y"})}})),
            R"({"a":"x","b":[1,"y"]})");
  EXPECT_EQ(rewrite(" { } ", {}), "{}");
}

TEST(RequestParams, TheRewrittenBodyStillNamesItsModelForTheRouter) {
  config::ModelConfig model;
  model.name = "chat";
  model.params = params(json{{"top_p", 0.9}}, json{{"stream", true}}, {"user"});
  const Request request = chat_request(R"({"user":"u1","model":"chat","messages":[]})");
  const auto body = upstream_body(request, model, false);
  ASSERT_TRUE(body);
  Request sent = request;
  sent.body() = *body;
  EXPECT_EQ(parse_model_request(sent, *find_route("/v1/chat/completions")).model, "chat");
  EXPECT_EQ(json::parse(*body),
            json::parse(R"({"model":"chat","messages":[],"stream":true,"top_p":0.9})"));
}

// ---------------------------------------------------------------------------------------------
// params in multipart bodies

TEST(RequestParams, MultipartFieldsAreSetFilledInAndStrippedLikeJsonOnes) {
  const std::string file =
      "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; "
      "filename=\"a.wav\"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n\xff\r\n";
  const std::string body = "preamble\r\n" + file + form("model", "whisper-1") +
                           form("timestamp_granularities[]", "word") +
                           form("timestamp_granularities[]", "segment") +
                           form("temperature", "0.9") + "--b0undary--\r\nepilogue";
  const auto with =
      params(json{{"language", "en"}, {"temperature", 0}},
             json{{"response_format", "verbose_json"}, {"n", 2}}, {"timestamp_granularities[]"});
  const std::string rewritten =
      rewrite_multipart_body(body, kFormType, "Systran/faster-whisper-small", with);
  EXPECT_EQ(rewritten, "preamble\r\n" + file + form("model", "Systran/faster-whisper-small") +
                           form("temperature", "0.9") + form("n", "2") +
                           form("response_format", "verbose_json") + form("language", "en") +
                           "--b0undary--\r\nepilogue")
      << "the upload keeps its bytes; the client's temperature stands";
}

TEST(RequestParams, AListBecomesOnePartPerItemAndAMapItsJson) {
  const std::string body = form("model", "m") + "--b0undary--\r\n";
  const auto with =
      params(json{{"timestamp_granularities[]", json::array({"word", 1})}, {"extra", {{"a", 1}}}});
  EXPECT_EQ(
      fields(rewrite_multipart_body(body, kFormType, {}, with)),
      (std::vector<std::string>{"model=m", R"(extra={"a":1})", "timestamp_granularities[]=word",
                                "timestamp_granularities[]=1"}));
}

TEST(RequestParams, StrippingTheFirstPartKeepsTheBodyWellFormed) {
  const std::string body = form("prompt", "hi") + form("model", "m") + "--b0undary--\r\n";
  const std::string rewritten = rewrite_multipart_body(
      body, kFormType, {}, params(json::object(), json::object(), {"prompt"}));
  EXPECT_EQ(rewritten, form("model", "m") + "--b0undary--\r\n");
}

}  // namespace
}  // namespace switchyard::http
