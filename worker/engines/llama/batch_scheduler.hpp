// Continuous batching, as llama-server does it: up to `parallel` sequences live in one llama
// context, each in its own slot (seq_id = slot index, its own KV stream, sampler and text
// stream). Every step builds one llama_batch holding the next token of every generating sequence
// and then as much pending prompt as the batch has room for, decodes it once and samples each
// sequence that produced logits. A sequence that arrives while every slot is busy waits for the
// next free one. Cancelled sequences are dropped before the next step, so a client that goes away
// costs at most one more token. A prompt with images or audio (a MediaPrompt, llama.cpp's mtmd
// chunks) is evaluated whole, chunk by chunk, as soon as it gets its slot (prefill_media): the
// other sequences wait that long; cancellation is checked between chunks.
//
//   waiting ──slot free──> prompt ──prompt decoded──> generating ──eog|stop|length──> (slot free)
//      └────── cancelled ───────┴──────── cancelled ──────┘
//
// All llama.cpp calls happen on the scheduler's thread; other threads only post() closures.
#pragma once

#include <llama.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "worker/engines/llama/job.hpp"
#include "worker/engines/llama/llama_handles.hpp"
#include "worker/engines/llama/lora_set.hpp"
#include "worker/engines/llama/text_stream.hpp"

namespace switchyard::worker::llama {

// A prompt with media parts: text and image/audio chunks from mtmd_tokenize().
struct MediaPrompt {
  mtmd_context* ctx = nullptr;
  ChunksPtr chunks;
  std::size_t n_tokens = 0;  // text and media tokens: the prompt's usage
  bool evaluated = false;
};

struct Sequence {
  std::shared_ptr<Job> job;
  std::size_t choice = 0;
  std::vector<llama_token> prompt;  // empty when `media` holds the prompt
  std::unique_ptr<MediaPrompt> media;
  std::int64_t max_tokens = INT64_MAX;
  SamplerPtr sampler;
  TextStream text;
  std::vector<float> lora;  // one scale per loaded adapter

  // Progress, kept by the scheduler.
  std::size_t n_prompt_done = 0;
  llama_pos n_past = 0;
  llama_token next = LLAMA_TOKEN_NULL;
  std::int64_t n_generated = 0;
  int batch_index = -1;  // where this step's logits are, or -1
};

struct SchedulerConfig {
  int parallel = 1;
  int n_ctx_per_seq = 512;
  int n_batch = 512;
};

class BatchScheduler {
 public:
  BatchScheduler(llama_context* ctx, LoraSet& lora, SchedulerConfig config);
  ~BatchScheduler();

  void start();
  // Cancels every sequence, drops queued work (releasing its sinks) and joins the thread.
  void stop();
  // Any thread: runs `task` on the scheduler thread before the next step.
  void post(std::function<void()> task);

  // Scheduler thread only.
  void add(Sequence sequence);
  llama_context* context() const { return ctx_; }
  const SchedulerConfig& config() const { return config_; }

 private:
  void run();
  bool has_work() const;
  void drop_cancelled();
  void fill_slots();
  void prefill_media();
  bool evaluate_media(std::size_t slot);
  void step();
  void sample(std::size_t slot);
  void finish(std::size_t slot, const char* reason);
  void release(std::size_t slot);

  llama_context* ctx_;
  const llama_vocab* vocab_;
  LoraSet& lora_;
  SchedulerConfig config_;
  Batch batch_;
  std::vector<std::optional<Sequence>> slots_;
  std::deque<Sequence> waiting_;
  std::size_t round_robin_ = 0;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace switchyard::worker::llama
