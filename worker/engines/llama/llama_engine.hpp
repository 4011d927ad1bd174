// The `llama` engine: a GGUF text model through llama.cpp. Serves /v1/chat/completions and
// /v1/completions (continuous batching over `parallel` sequences), or /v1/embeddings when run with
// `embeddings: true`. Request parsing and prompt rendering happen in submit(); tokenising,
// decoding and sampling on the scheduler's thread. With `mmproj` (a projector GGUF for
// llama.cpp's mtmd) chat messages may carry image and audio parts: they are decoded (images with
// leptonica, audio with mtmd's miniaudio), tokenised with the text around them and evaluated by
// the scheduler when the request gets its slot.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "worker/engine.hpp"
#include "worker/engines/llama/batch_scheduler.hpp"
#include "worker/engines/llama/chat_template.hpp"
#include "worker/engines/llama/llama_handles.hpp"
#include "worker/engines/llama/llama_options.hpp"
#include "worker/engines/llama/lora_set.hpp"
#include "worker/openai/chat_request.hpp"
#include "worker/openai/params.hpp"

namespace switchyard::worker::llama {

class LlamaEngine final : public Engine {
 public:
  // Throws ArgError for bad args.
  LlamaEngine(std::string model_path, std::string model_id, EngineArgs args);
  ~LlamaEngine() override;

  std::string_view name() const override { return "llama"; }
  std::vector<Endpoint> endpoints() const override;
  void load() override;
  void submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override;
  void stop() override;

  const LlamaOptions& options() const { return options_; }
  int context_per_sequence() const { return n_ctx_per_seq_; }

 private:
  void submit_chat(const nlohmann::json& body, std::shared_ptr<ResponseSink> sink);
  void submit_completion(const nlohmann::json& body, std::shared_ptr<ResponseSink> sink);
  void submit_embeddings(const nlohmann::json& body, std::shared_ptr<ResponseSink> sink);
  // Queues one choice per prompt; the scheduler tokenises them and checks the context. With
  // `media`, the one prompt holds a kMediaMarker for each part.
  void enqueue(std::shared_ptr<Job> job, std::vector<std::string> prompts,
               openai::GenerationParams params, std::vector<openai::MediaPart> media = {});
  std::vector<llama_token> tokenize(const std::string& text) const;
  // A 400 for media parts this model cannot take (no projector, or none for that modality).
  void check_media(const openai::ChatRequest& request) const;
  // Scheduler thread: decodes the parts and tokenises the prompt around them.
  std::unique_ptr<MediaPrompt> media_prompt(const std::string& prompt,
                                            const std::vector<openai::MediaPart>& media) const;
  BitmapPtr load_media(const openai::MediaPart& part) const;
  std::string model_name(const std::string& requested) const;

  std::string model_path_;
  std::string model_id_;
  LlamaOptions options_;
  std::atomic<bool> stopping_{false};
  ModelPtr model_;
  ContextPtr ctx_;
  MtmdPtr mtmd_;  // with `mmproj`
  const llama_vocab* vocab_ = nullptr;
  std::vector<llama_token> end_of_generation_;  // what ignore_eos bans
  LoraSet lora_;
  std::optional<ChatTemplate> template_;
  std::unique_ptr<BatchScheduler> scheduler_;
  int n_ctx_per_seq_ = 0;
};

}  // namespace switchyard::worker::llama
