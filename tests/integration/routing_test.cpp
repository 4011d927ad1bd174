// Routing: by endpoint type and alias, the 4xx answers for requests that name no usable model,
// multipart model extraction, the /v1/models listing and X-Request-Id. The fake worker's echo
// says which model's worker answered and what headers reached it.
#include <gtest/gtest.h>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;

std::string models() {
  return model_yaml("chat", {}, "type: text\naliases: [gpt-test, org/chat-alias]") +
         model_yaml("img", {}, "type: image") + model_yaml("aud", {}, "type: audio");
}

class RoutingTest : public ::testing::Test {
 protected:
  TestRouter router_{models()};
};

TEST_F(RoutingTest, RoutesEachEndpointToAModelOfItsType) {
  const struct {
    const char* path;
    const char* model;
  } cases[] = {{"/v1/chat/completions", "chat"},
               {"/v1/completions", "chat"},
               {"/v1/embeddings", "chat"},
               {"/v1/images/generations", "img"},
               {"/v1/audio/speech", "aud"}};
  for (const auto& c : cases) {
    SCOPED_TRACE(c.path);
    const HttpResponse response = router_.post(c.path, c.model, {{"input", "hi"}});
    ASSERT_EQ(response.status, 200) << response.body;
    const json echo = response.json();
    EXPECT_EQ(echo["worker"], c.model);
    EXPECT_EQ(echo["path"], c.path);
    EXPECT_EQ(echo["model"], c.model);
    EXPECT_EQ(echo["pid"], router_.model_status(c.model).value()["pid"]);
  }
}

TEST_F(RoutingTest, RoutesAnAliasToItsModel) {
  for (const char* alias : {"gpt-test", "org/chat-alias"}) {
    SCOPED_TRACE(alias);
    const HttpResponse response = router_.chat(alias);
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json()["worker"], "chat");
    // The body is forwarded as sent: the worker sees the name the client used.
    EXPECT_EQ(response.json()["model"], alias);
  }
}

TEST_F(RoutingTest, TypeMismatchIs400NamingModelTypeAndEndpoint) {
  const HttpResponse response = router_.chat("img");
  ASSERT_EQ(response.status, 400) << response.body;
  const json error = response.json()["error"];
  const std::string message = error["message"];
  EXPECT_NE(message.find("'img'"), std::string::npos) << message;
  EXPECT_NE(message.find("image"), std::string::npos) << message;
  EXPECT_NE(message.find("/v1/chat/completions"), std::string::npos) << message;
  EXPECT_EQ(error["type"], "invalid_request_error");
  EXPECT_EQ(error["code"], "model_type_mismatch");

  const HttpResponse audio = router_.post("/v1/images/generations", "aud");
  ASSERT_EQ(audio.status, 400) << audio.body;
  const std::string audio_message = audio.json()["error"]["message"];
  EXPECT_NE(audio_message.find("'aud'"), std::string::npos) << audio_message;
  EXPECT_NE(audio_message.find("audio"), std::string::npos) << audio_message;
  EXPECT_NE(audio_message.find("/v1/images/generations"), std::string::npos) << audio_message;
}

TEST_F(RoutingTest, RequestIdOfTheClientReachesTheWorkerAndComesBack) {
  const HttpResponse given = router_.chat("chat", {}, {{"X-Request-Id", "client-id-42"}});
  ASSERT_EQ(given.status, 200) << given.body;
  EXPECT_EQ(given.json()["x_request_id"], "client-id-42");
  EXPECT_EQ(given.header("X-Request-Id"), "client-id-42");
}

// A worker that reads '_' as '-' (CGI-style) would see framing or a client address the router
// never checked; such names are dropped, as nginx does, and other underscore names pass.
TEST_F(RoutingTest, UnderscoreSpellingsOfFieldsTheRouterActsOnNeverReachTheWorker) {
  const HttpResponse response = router_.chat("chat", {},
                                             {{"Transfer_Encoding", "chunked"},
                                              {"Content_Length", "5"},
                                              {"X_Forwarded_For", "203.0.113.9"},
                                              {"X_Custom_Header", "kept"}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json headers = response.json()["headers"];
  EXPECT_FALSE(headers.contains("transfer_encoding")) << headers;
  EXPECT_FALSE(headers.contains("content_length")) << headers;
  EXPECT_FALSE(headers.contains("x_forwarded_for")) << headers;
  EXPECT_EQ(headers["x_custom_header"], "kept") << headers;
}

TEST_F(RoutingTest, RequestIdIsCreatedWhenAbsentOrUnusable) {
  const HttpResponse created = router_.chat("chat");
  ASSERT_EQ(created.status, 200) << created.body;
  const auto id = created.header("X-Request-Id");
  ASSERT_TRUE(id.has_value());
  EXPECT_FALSE(id->empty());
  EXPECT_EQ(created.json()["x_request_id"], *id) << "the worker sees the id the client gets";
  EXPECT_NE(router_.chat("chat").header("X-Request-Id"), id) << "one id per request";

  // Too long, or not printable: it would end up in the logs as is.
  for (const std::string& unusable : {std::string(200, 'a'), std::string("two words")}) {
    const HttpResponse replaced = router_.chat("chat", {}, {{"X-Request-Id", unusable}});
    ASSERT_EQ(replaced.status, 200) << replaced.body;
    const auto new_id = replaced.header("X-Request-Id");
    ASSERT_TRUE(new_id.has_value());
    EXPECT_NE(*new_id, unusable);
    EXPECT_EQ(replaced.json()["x_request_id"], *new_id);
  }

  // Answers the router gives itself carry one too.
  EXPECT_TRUE(router_.chat("no-such-model").header("X-Request-Id").has_value());
}

TEST_F(RoutingTest, UnknownModelIs404ListingKnownModels) {
  const HttpResponse response = router_.chat("no-such-model");
  ASSERT_EQ(response.status, 404) << response.body;
  const json error = response.json()["error"];
  const std::string message = error["message"];
  EXPECT_NE(message.find("no-such-model"), std::string::npos) << message;
  for (const char* known : {"chat", "img", "aud"}) {
    EXPECT_NE(message.find(known), std::string::npos) << known << " missing in: " << message;
  }
  EXPECT_EQ(error["code"], "model_not_found");
}

// X6: a model name is only ever looked up among the configured ones, in a request body or in a
// URL, whatever it looks like as a path: nothing is opened, nothing reaches a worker.
TEST_F(RoutingTest, PathLikeModelNamesAreUnknownModelsEverywhere) {
  router_.wait_ready("chat");
  const std::vector<std::string> names = {
      "../chat", "../../etc/passwd",       "/etc/passwd", "%2e%2e%2fchat", "chat/../chat",
      "./chat",  std::string("chat\0x", 6)};
  for (const std::string& name : names) {
    SCOPED_TRACE(name);
    const HttpResponse chat = router_.chat(name);
    EXPECT_EQ(chat.status, 404) << chat.body;
    EXPECT_EQ(chat.body.find("root:"), std::string::npos);
  }
  const std::uint16_t admin = router_.admin_port();
  for (const char* target :
       {"/admin/models/..%2f..%2fetc%2fpasswd/logs", "/admin/models/../../etc/passwd/logs",
        "/admin/models/%2e%2e/logs", "/admin/models/chat%00/logs", "/admin/models//etc/passwd",
        "/v1/models/..%2fchat", "/v1/models/../../etc/passwd"}) {
    SCOPED_TRACE(target);
    const HttpResponse response = http_request(
        std::string_view(target).starts_with("/admin") ? admin : router_.port(), "GET", target);
    EXPECT_EQ(response.status, 404) << response.body;
    EXPECT_EQ(response.body.find("root:"), std::string::npos);
  }
  EXPECT_EQ(router_.worker_stats("chat")["requests"], 0);
}

TEST_F(RoutingTest, RequestsWithoutAUsableModelFieldAre400AndReachNoWorker) {
  router_.wait_ready("chat");
  router_.wait_ready("aud");
  const auto chat_before = router_.worker_stats("chat")["requests"];
  const auto aud_before = router_.worker_stats("aud")["requests"];

  const struct {
    const char* what;
    const char* path;
    std::string body;
    Headers headers;
    const char* message_part;
  } cases[] = {
      {"missing model", "/v1/chat/completions", R"({"messages":[]})", {}, "'model'"},
      {"model not a string", "/v1/chat/completions", R"({"model":7})", {}, "'model'"},
      {"malformed JSON", "/v1/chat/completions", R"({"model":"chat",)", {}, "not valid JSON"},
      {"empty body", "/v1/chat/completions", "", {{"Content-Length", "0"}}, "empty"},
      {"JSON array", "/v1/chat/completions", R"(["chat"])", {}, "JSON object"},
      {"multipart without model", "/v1/audio/transcriptions", multipart({}, "RIFF...."),
       multipart_headers(), "'model'"},
      {"multipart without closing boundary", "/v1/audio/transcriptions",
       "--" + std::string(kMultipartBoundary) +
           "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\naud\r\n",
       multipart_headers(), "multipart"},
      {"multipart without boundary",
       "/v1/audio/transcriptions",
       multipart({{"model", "aud"}}, "x"),
       {{"Content-Type", "multipart/form-data"}},
       "boundary"},
      {"JSON where multipart is expected",
       "/v1/audio/transcriptions",
       R"({"model":"aud"})",
       {},
       "multipart"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    const HttpResponse response = http_request(router_.port(), "POST", c.path, c.body, c.headers);
    ASSERT_EQ(response.status, 400) << response.body;
    const json error = response.json()["error"];
    EXPECT_EQ(error["type"], "invalid_request_error");
    const std::string message = error["message"];
    EXPECT_NE(message.find(c.message_part), std::string::npos) << message;
  }
  EXPECT_EQ(router_.worker_stats("chat")["requests"], chat_before);
  EXPECT_EQ(router_.worker_stats("aud")["requests"], aud_before);
}

TEST_F(RoutingTest, MultipartTranscriptionRoutesByItsModelField) {
  const std::string audio(5000, '\x01');
  // The model field after the file, as some clients send it.
  std::string body = "--" + std::string(kMultipartBoundary) +
                     "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.wav\"\r\n"
                     "Content-Type: audio/wav\r\n\r\n" +
                     audio + "\r\n--" + std::string(kMultipartBoundary) +
                     "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\naud\r\n--" +
                     std::string(kMultipartBoundary) + "--\r\n";
  const HttpResponse response =
      http_request(router_.port(), "POST", "/v1/audio/transcriptions", body, multipart_headers());
  ASSERT_EQ(response.status, 200) << response.body;
  const json echo = response.json();
  EXPECT_EQ(echo["worker"], "aud");
  EXPECT_EQ(echo["path"], "/v1/audio/transcriptions");
  EXPECT_EQ(echo["body_bytes"], body.size());  // forwarded whole, byte for byte in length
  EXPECT_EQ(echo["headers"]["content-type"], multipart_headers()[0].second);

  // The same upload naming a text model is a type mismatch, not a routing accident.
  const HttpResponse mismatch =
      http_request(router_.port(), "POST", "/v1/audio/transcriptions",
                   multipart({{"model", "chat"}}, audio), multipart_headers());
  ASSERT_EQ(mismatch.status, 400) << mismatch.body;
  EXPECT_EQ(mismatch.json()["error"]["code"], "model_type_mismatch");
}

// upstream_model: the worker knows the model by another name (vLLM's --served-model-name, a
// remote server's id), which the router puts in the body whatever name or alias the client used.
TEST(UpstreamModelTest, WorkerSeesItsOwnNameInJsonAndMultipartBodies) {
  TestRouter router(
      model_yaml("chat", {}, "aliases: [gpt-test]\nupstream_model: org/Served-7B") +
      model_yaml("aud", {}, "type: audio\nupstream_model: Systran/faster-whisper-small"));
  router.wait_ready("chat");
  for (const char* name : {"chat", "gpt-test"}) {
    const HttpResponse response = router.chat(name, json{{"n", 1}});
    ASSERT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.json()["model"], "org/Served-7B") << name;
    const std::string sent = json{{"model", name}, {"n", 1}}.dump();
    EXPECT_EQ(response.json()["body_bytes"],
              sent.size() - std::string_view(name).size() + std::string("org/Served-7B").size());
  }

  router.wait_ready("aud");
  const std::string body = multipart({{"model", "aud"}, {"language", "en"}}, "RIFF");
  const HttpResponse transcribed =
      http_request(router.port(), "POST", "/v1/audio/transcriptions", body, multipart_headers());
  ASSERT_EQ(transcribed.status, 200) << transcribed.body;
  EXPECT_EQ(transcribed.json()["form_model"], "Systran/faster-whisper-small");
  // Everything but the field is as the client sent it.
  EXPECT_EQ(transcribed.json()["body_bytes"],
            body.size() - 3 + std::string("Systran/faster-whisper-small").size());
}

TEST_F(RoutingTest, ModelsListShowsEveryNameAndAliasWithTypeAndState) {
  router_.wait_ready("chat");
  router_.wait_ready("img");
  router_.wait_ready("aud");
  const HttpResponse response = http_request(router_.port(), "GET", "/v1/models");
  ASSERT_EQ(response.status, 200) << response.body;
  const json list = response.json();
  EXPECT_EQ(list["object"], "list");
  std::map<std::string, json> by_id;
  for (const auto& entry : list["data"]) by_id[entry["id"]] = entry;
  ASSERT_EQ(by_id.size(), 5u) << list.dump(2);

  for (const auto& [id, type] : std::map<std::string, std::string>{{"chat", "text"},
                                                                   {"gpt-test", "text"},
                                                                   {"org/chat-alias", "text"},
                                                                   {"img", "image"},
                                                                   {"aud", "audio"}}) {
    SCOPED_TRACE(id);
    ASSERT_TRUE(by_id.contains(id));
    const json& entry = by_id[id];
    EXPECT_EQ(entry["object"], "model");
    EXPECT_EQ(entry["owned_by"], "switchyard");
    EXPECT_TRUE(entry["created"].is_number_integer());
    EXPECT_EQ(entry["type"], type);
    EXPECT_EQ(entry["state"], "ready");
  }
  EXPECT_EQ(by_id["chat"]["aliases"], json({"gpt-test", "org/chat-alias"}));
  EXPECT_FALSE(by_id["chat"].contains("alias_of"));
  EXPECT_EQ(by_id["gpt-test"]["alias_of"], "chat");
  EXPECT_EQ(by_id["org/chat-alias"]["alias_of"], "chat");
  EXPECT_EQ(by_id["chat"]["inputs"], json({"text"}));

  const HttpResponse one = http_request(router_.port(), "GET", "/v1/models/gpt-test");
  ASSERT_EQ(one.status, 200) << one.body;
  EXPECT_EQ(one.json()["id"], "gpt-test");
  EXPECT_EQ(one.json()["alias_of"], "chat");
  EXPECT_EQ(http_request(router_.port(), "GET", "/v1/models/nope").status, 404);
}

}  // namespace
}  // namespace switchyard::test
