// For the tests that drive the llama engine through its Engine interface: a sink that collects
// what the engine answers, and helpers to load the engine and submit a request to it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "worker/engines/llama/llama_engine.hpp"
#include "worker/engines/llama/llama_handles.hpp"

namespace switchyard::worker::llama {

// Collects what an engine answers; wait() blocks until the reply or the stream's end.
class CollectingSink final : public ResponseSink {
 public:
  void reply(int status, std::string, std::string body) override {
    std::lock_guard lock(mutex_);
    status_ = status;
    body_ = std::move(body);
    done_ = true;
    cv_.notify_all();
  }
  void chunk(std::string, std::string data) override {
    std::lock_guard lock(mutex_);
    chunks_.push_back(std::move(data));
  }
  void end() override {
    std::lock_guard lock(mutex_);
    done_ = true;
    cv_.notify_all();
  }
  // Never cancelled; records that the engine asked (the scheduler asks when it takes the request
  // up on its own thread), for wait_polled().
  bool cancelled() const override {
    std::lock_guard lock(mutex_);
    polled_ = true;
    cv_.notify_all();
    return false;
  }

  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return done_; });
  }
  // Until the engine first asked cancelled(): the request is on the engine's own thread.
  bool wait_polled(std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] { return polled_; });
  }
  bool done() const {
    std::lock_guard lock(mutex_);
    return done_;
  }
  int status() const { return status_; }
  nlohmann::json body() const { return nlohmann::json::parse(body_); }
  // The JSON payloads of the SSE events, [DONE] excluded.
  std::vector<nlohmann::json> events() const {
    std::vector<nlohmann::json> out;
    for (const auto& c : chunks_) {
      const std::string payload = c.substr(6, c.size() - 8);  // "data: " ... "\n\n"
      if (payload != "[DONE]") out.push_back(nlohmann::json::parse(payload));
    }
    return out;
  }
  const std::vector<std::string>& raw_chunks() const { return chunks_; }

 private:
  mutable std::mutex mutex_;
  mutable std::condition_variable cv_;
  mutable bool polled_ = false;
  bool done_ = false;
  int status_ = 0;
  std::string body_;
  std::vector<std::string> chunks_;
};

// Loads `model` with `args` (one thread unless given).
inline std::unique_ptr<LlamaEngine> load_engine(std::map<std::string, std::string> args,
                                                const std::string& model = SWITCHYARD_TINY_MODEL) {
  args.emplace("threads", "1");
  auto engine = std::make_unique<LlamaEngine>(model, "tiny", EngineArgs(args));
  engine->load();
  return engine;
}

// Submits `body` to `path` without waiting.
inline std::shared_ptr<CollectingSink> submit(Engine& engine, const std::string& path,
                                              const nlohmann::json& body) {
  auto sink = std::make_shared<CollectingSink>();
  engine.submit({path, "application/json", body.dump()}, sink);
  return sink;
}

// Submits `body` to `path` and waits for the whole answer.
inline std::shared_ptr<CollectingSink> call(Engine& engine, const std::string& path,
                                            const nlohmann::json& body) {
  auto sink = submit(engine, path, body);
  EXPECT_TRUE(sink->wait()) << "no answer to " << path;
  return sink;
}

// A model's vocabulary and metadata only, without weights; llama.cpp's chatter silenced.
inline ModelPtr load_vocab(const std::string& path) {
  llama_log_set([](ggml_log_level, const char*, void*) {}, nullptr);
  llama_backend_init();
  llama_model_params params = llama_model_default_params();
  params.vocab_only = true;
  ModelPtr model(llama_model_load_from_file(path.c_str(), params));
  EXPECT_NE(model, nullptr) << path;
  return model;
}

}  // namespace switchyard::worker::llama
