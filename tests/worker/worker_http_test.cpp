// Black-box tests: the real switchyard-worker binary with the tiny model on a loopback port.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <functional>
#include <thread>

#include "test_http_client.hpp"
#include "worker_process.hpp"

namespace switchyard::test {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

json chat(int max_tokens, bool stream = false) {
  json body = {{"messages", {{{"role", "user"}, {"content", "Hello there"}}}},
               {"max_tokens", max_tokens},
               {"seed", 1}};
  if (stream) body["stream"] = true;
  return body;
}

// A request that keeps its slot for all of `max_tokens` (no early end of generation).
json long_chat(int max_tokens, bool stream = false) {
  json body = chat(max_tokens, stream);
  body["ignore_eos"] = true;
  return body;
}

// Every event but the usage chunk and [DONE] has "usage": null (OpenAI's include_usage shape).
void expect_null_usage_until_the_usage_chunk(const std::vector<std::string>& events) {
  ASSERT_GE(events.size(), 3u);
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    const json chunk = json::parse(events[i]);
    ASSERT_TRUE(chunk.contains("usage")) << "event " << i << ": " << events[i];
    EXPECT_TRUE(chunk["usage"].is_null()) << "event " << i << ": " << events[i];
  }
  const json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_TRUE(usage["usage"].is_object()) << events[events.size() - 2];
}

// Polls `predicate` every 10 ms for up to 30 s.
bool poll_until(const std::function<bool()>& predicate) {
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(10ms);  // polling interval, not synchronisation
  }
  return false;
}

class WorkerHttp : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    worker_ = new WorkerProcess({{"ctx_size", "128"}, {"threads", "1"}});
  }
  static void TearDownTestSuite() { delete worker_; }
  static HttpResponse post(const std::string& path, const std::string& body) {
    return http_call(worker_->port(), "POST", path, body);
  }
  static WorkerProcess* worker_;
};
WorkerProcess* WorkerHttp::worker_ = nullptr;

TEST_F(WorkerHttp, HealthAndModels) {
  const auto health = http_call(worker_->port(), "GET", "/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.json()["status"], "ok");
  const auto models = http_call(worker_->port(), "GET", "/v1/models");
  EXPECT_EQ(models.json()["data"][0]["id"], "tiny-llama");
  EXPECT_EQ(http_call(worker_->port(), "GET", "/nope").status, 404);
  EXPECT_EQ(http_call(worker_->port(), "GET", "/v1/chat/completions").status, 405);
}

TEST_F(WorkerHttp, ChatNonStreaming) {
  const auto response = post("/v1/chat/completions", chat(6).dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const json body = response.json();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["choices"][0]["message"]["role"], "assistant");
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 6);
}

TEST_F(WorkerHttp, ChatStreamingShapes) {
  json request = chat(5, true);
  request["stream_options"] = {{"include_usage", true}};
  StreamingCall call(worker_->port(), "/v1/chat/completions", request.dump());
  ASSERT_EQ(call.status(), 200);
  EXPECT_EQ(call.content_type(), "text/event-stream");
  const auto events = call.rest();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json first = json::parse(events.front());
  EXPECT_EQ(first["object"], "chat.completion.chunk");
  EXPECT_EQ(first["choices"][0]["delta"]["role"], "assistant");
  const json finish = json::parse(events[events.size() - 3]);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  const json usage = json::parse(events[events.size() - 2]);
  EXPECT_TRUE(usage["choices"].empty());
  EXPECT_EQ(usage["usage"]["completion_tokens"], 5);
  for (std::size_t i = 1; i + 3 < events.size(); ++i) {
    EXPECT_TRUE(json::parse(events[i])["choices"][0]["finish_reason"].is_null());
  }
  expect_null_usage_until_the_usage_chunk(events);
}

TEST_F(WorkerHttp, StreamsWithoutIncludeUsageHaveNoUsageKey) {
  StreamingCall call(worker_->port(), "/v1/chat/completions", chat(3, true).dump());
  ASSERT_EQ(call.status(), 200);
  const auto events = call.rest();
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back(), "[DONE]");
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    EXPECT_FALSE(json::parse(events[i]).contains("usage")) << events[i];
  }
}

TEST_F(WorkerHttp, CompletionsStreamingWithEchoAndIncludeUsage) {
  const json request = {{"prompt", "The quick brown fox"},
                        {"max_tokens", 4},
                        {"seed", 2},
                        {"echo", true},
                        {"stream", true},
                        {"stream_options", {{"include_usage", true}}}};
  StreamingCall call(worker_->port(), "/v1/completions", request.dump());
  ASSERT_EQ(call.status(), 200);
  const auto events = call.rest();
  ASSERT_GE(events.size(), 4u);
  EXPECT_EQ(events.back(), "[DONE]");
  const json echo = json::parse(events.front());
  EXPECT_EQ(echo["object"], "text_completion");
  EXPECT_EQ(echo["choices"][0]["text"], "The quick brown fox");
  const json finish = json::parse(events[events.size() - 3]);
  EXPECT_EQ(finish["choices"][0]["finish_reason"], "length");
  expect_null_usage_until_the_usage_chunk(events);
  EXPECT_EQ(json::parse(events[events.size() - 2])["usage"]["completion_tokens"], 4);

  // The streamed text is the whole response's.
  std::string streamed;
  for (std::size_t i = 0; i + 2 < events.size(); ++i) {
    streamed += json::parse(events[i])["choices"][0]["text"].get<std::string>();
  }
  json whole = request;
  whole.erase("stream");
  whole.erase("stream_options");
  EXPECT_EQ(streamed, post("/v1/completions", whole.dump()).json()["choices"][0]["text"]);
}

TEST_F(WorkerHttp, CompletionsWithAListPrompt) {
  const auto response =
      post("/v1/completions", R"({"prompt": ["one", "two", "three"], "max_tokens": 3})");
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  ASSERT_EQ(body["choices"].size(), 3u);
  EXPECT_EQ(body["usage"]["completion_tokens"], 9);
}

TEST_F(WorkerHttp, BadInputIs400NamingTheField) {
  const auto malformed = post("/v1/chat/completions", "{\"messages\": [");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.json()["error"]["type"], "invalid_request_error");
  json n2 = chat(2);
  n2["n"] = 2;
  EXPECT_EQ(post("/v1/chat/completions", n2.dump()).json()["error"]["param"], "n");
  EXPECT_EQ(post("/v1/completions", R"({"prompt": "x", "logprobs": 1})").json()["error"]["param"],
            "logprobs");
  const auto missing = post("/v1/chat/completions", R"({"model": "x"})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.json()["error"]["param"], "messages");
  EXPECT_EQ(post("/v1/embeddings", R"({"input": "x"})").status, 400);
}

TEST_F(WorkerHttp, ContextOverflowIs400) {
  std::string prompt;
  for (int i = 0; i < 300; ++i) prompt += "token ";
  const auto response = post("/v1/completions", json{{"prompt", prompt}}.dump());
  EXPECT_EQ(response.status, 400);
  const std::string message = response.json()["error"]["message"];
  EXPECT_NE(message.find("128"), std::string::npos) << message;
}

TEST_F(WorkerHttp, BodyOverTheLimitIs413) {
  // Refused from the header alone: the 40 MB body is never sent.
  const auto response = http_raw(worker_->port(),
                                 "POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                 "Content-Type: application/json\r\n"
                                 "Content-Length: 40000000\r\n\r\n");
  EXPECT_EQ(response.status, 413);
  EXPECT_EQ(response.json()["error"]["type"], "invalid_request_error");
}

TEST(WorkerParallel, FourStreamsAreBatchedTogether) {
  WorkerProcess worker({{"parallel", "4"}, {"ctx_size", "256"}, {"threads", "1"}});
  constexpr int kStreams = 4;
  std::vector<std::vector<Clock::time_point>> arrivals(kStreams);
  std::vector<std::string> last_event(kStreams);
  std::vector<std::thread> clients;
  for (int i = 0; i < kStreams; ++i) {
    clients.emplace_back([&, i] {
      json request = chat(120, true);
      request["seed"] = i;
      StreamingCall call(worker.port(), "/v1/chat/completions", request.dump());
      while (auto event = call.next_event()) {
        arrivals[i].push_back(Clock::now());
        last_event[i] = *event;
      }
    });
  }
  for (auto& client : clients) client.join();
  Clock::time_point latest_first = Clock::time_point::min();
  Clock::time_point earliest_last = Clock::time_point::max();
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_GE(arrivals[i].size(), 100u) << "stream " << i;
    EXPECT_EQ(last_event[i], "[DONE]");
    latest_first = std::max(latest_first, arrivals[i].front());
    earliest_last = std::min(earliest_last, arrivals[i].back());
  }
  // Every stream had started before any finished: they ran together, not one after another.
  EXPECT_LT(latest_first, earliest_last);
}

TEST(WorkerCancel, ClientDisconnectFreesTheSlot) {
  WorkerProcess worker({{"parallel", "1"}, {"ctx_size", "8192"}, {"threads", "1"}});
  {
    StreamingCall long_call(worker.port(), "/v1/chat/completions", long_chat(8000, true).dump());
    ASSERT_EQ(long_call.status(), 200);
    ASSERT_TRUE(long_call.next_event());
    ASSERT_TRUE(long_call.next_event());
    long_call.abandon();
  }
  // With the only slot still busy, this would wait for thousands of tokens.
  const auto start = Clock::now();
  const auto response =
      http_call(worker.port(), "POST", "/v1/chat/completions", chat(3).dump(), 5s);
  EXPECT_EQ(response.status, 200);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(WorkerCancel, DisconnectIsNoticedWhileNothingIsBeingWritten) {
  // A non-streaming request writes nothing until it is done: only the watch on the socket can
  // notice the client leaving.
  WorkerProcess worker({{"parallel", "1"}, {"ctx_size", "8192"}, {"threads", "1"}});
  send_and_close(worker.port(), "/v1/chat/completions", long_chat(8000).dump());
  const auto start = Clock::now();
  const auto response =
      http_call(worker.port(), "POST", "/v1/chat/completions", chat(3).dump(), 10s);
  EXPECT_EQ(response.status, 200);
  EXPECT_LT(Clock::now() - start, 2s);
}

TEST(WorkerShutdown, SigtermDuringAStreamExitsZeroWithinASecond) {
  WorkerProcess worker({{"ctx_size", "8192"}, {"threads", "1"}});
  StreamingCall call(worker.port(), "/v1/chat/completions", long_chat(8000, true).dump());
  ASSERT_TRUE(call.next_event());
  const auto exit = worker.stop(SIGTERM, 3s);
  ASSERT_TRUE(exit.has_value()) << worker.log();
  EXPECT_EQ(exit->status, 0) << worker.log();
  EXPECT_LT(exit->took, 1s);
}

TEST(WorkerEmbeddings, ServesNormalisedVectors) {
  WorkerProcess worker({{"embeddings", "true"}, {"ctx_size", "64"}, {"threads", "1"}});
  const auto response =
      http_call(worker.port(), "POST", "/v1/embeddings", R"({"input": ["first", "second text"]})");
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = response.json();
  ASSERT_EQ(body["data"].size(), 2u);
  double norm = 0;
  for (double x : body["data"][1]["embedding"]) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-3);
  EXPECT_EQ(http_call(worker.port(), "POST", "/v1/chat/completions", chat(2).dump()).status, 400);
}

TEST(WorkerLora, AdapterIsSelectableByName) {
  WorkerProcess worker(
      {{"lora", json::array({{{"path", SWITCHYARD_TINY_LORA}, {"scale", 0.8}}}).dump()},
       {"threads", "1"},
       {"ctx_size", "128"}});
  json request = chat(8);
  request["lora"] = "tiny-llama-lora";
  const auto with = http_call(worker.port(), "POST", "/v1/chat/completions", request.dump());
  ASSERT_EQ(with.status, 200) << with.body;
  request["lora"] = json::array({{{"name", "tiny-llama-lora"}, {"scale", 0}}});
  const auto without = http_call(worker.port(), "POST", "/v1/chat/completions", request.dump());
  EXPECT_NE(with.json()["choices"][0]["message"]["content"],
            without.json()["choices"][0]["message"]["content"]);
  request["lora"] = "missing";
  EXPECT_EQ(http_call(worker.port(), "POST", "/v1/chat/completions", request.dump()).status, 400);
}

TEST(WorkerStartup, HealthIs503WhileTheModelLoads) {
  // The model path is a FIFO: llama.cpp's open() of it blocks until a writer comes, which holds
  // the load for as long as the test likes, without any timing.
  const std::string fifo = testing::TempDir() + "/loading-" + std::to_string(getpid()) + ".gguf";
  std::remove(fifo.c_str());
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  WorkerProcess worker("llama", {{"threads", "1"}}, fifo, WorkerProcess::Until::listening);
  const auto health = http_call(worker.port(), "GET", "/health");
  EXPECT_EQ(health.status, 503);
  EXPECT_EQ(health.json()["status"], "loading");
  const auto request = http_call(worker.port(), "POST", "/v1/chat/completions", chat(2).dump());
  EXPECT_EQ(request.status, 503);
  EXPECT_EQ(http_call(worker.port(), "GET", "/health").status, 503);

  // A writer that closes at once: the loader reads an empty file, the load fails, exit 1.
  int fd = -1;
  ASSERT_TRUE(poll_until([&] {
    fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // ENXIO until the loader has it open
    return fd >= 0;
  })) << worker.log();
  close(fd);
  const auto exit = worker.wait(30s);
  ASSERT_TRUE(exit.has_value()) << worker.log();
  EXPECT_EQ(exit->status, 1) << worker.log();
  std::remove(fifo.c_str());
}

TEST(WorkerStartup, UnknownArgExitsNamingItAndTheValidOnes) {
  const std::string command = std::string(SWITCHYARD_WORKER_BIN) + " --engine llama --model " +
                              SWITCHYARD_TINY_MODEL + " --port 1 --arg ctx_sise=5 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) output += buffer;
  const int status = pclose(pipe);
  EXPECT_EQ(WEXITSTATUS(status), 2);
  EXPECT_NE(output.find("ctx_sise"), std::string::npos) << output;
  EXPECT_NE(output.find("ctx_size"), std::string::npos) << output;
}

}  // namespace
}  // namespace switchyard::test
