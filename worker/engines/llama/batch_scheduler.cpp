#include "worker/engines/llama/batch_scheduler.hpp"

#include <mtmd-helper.h>
#include <spdlog/spdlog.h>

namespace switchyard::worker::llama {

BatchScheduler::BatchScheduler(llama_context* ctx, LoraSet& lora, SchedulerConfig config)
    : ctx_(ctx),
      vocab_(llama_model_get_vocab(llama_get_model(ctx))),
      lora_(lora),
      config_(config),
      batch_(std::max(config.n_batch, config.parallel)),
      slots_(static_cast<std::size_t>(config.parallel)) {}

BatchScheduler::~BatchScheduler() { stop(); }

void BatchScheduler::start() {
  thread_ = std::thread([this] { run(); });
}

void BatchScheduler::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BatchScheduler::post(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // the closure (and the sink it holds) is released here
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void BatchScheduler::add(Sequence sequence) { waiting_.push_back(std::move(sequence)); }

bool BatchScheduler::has_work() const {
  if (!waiting_.empty()) return true;
  for (const auto& slot : slots_) {
    if (slot) return true;
  }
  return false;
}

void BatchScheduler::run() {
  for (;;) {
    std::vector<std::function<void()>> tasks;
    {
      std::unique_lock lock(mutex_);
      // Idle: sleep until work arrives. Busy: pick up new work between steps.
      wake_.wait(lock, [&] { return stopping_ || !tasks_.empty() || has_work(); });
      if (stopping_) break;
      tasks.swap(tasks_);
    }
    for (auto& task : tasks) task();
    drop_cancelled();
    fill_slots();
    prefill_media();
    if (has_work()) step();
  }
  // Shutdown: the sinks are already cancelled; dropping the sequences releases them.
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i]) release(i);
  }
  waiting_.clear();
  std::lock_guard lock(mutex_);
  tasks_.clear();
}

void BatchScheduler::drop_cancelled() {
  std::erase_if(waiting_, [](const Sequence& s) { return s.job->cancelled(); });
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] && slots_[i]->job->cancelled()) {
      spdlog::debug("slot {} cancelled after {} tokens", i, slots_[i]->n_generated);
      release(i);
    }
  }
}

void BatchScheduler::fill_slots() {
  for (std::size_t i = 0; i < slots_.size() && !waiting_.empty(); ++i) {
    if (slots_[i]) continue;
    slots_[i] = std::move(waiting_.front());
    waiting_.pop_front();
  }
}

void BatchScheduler::prefill_media() {
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i] || !slots_[i]->media || slots_[i]->media->evaluated) continue;
    if (!evaluate_media(i)) continue;
    Sequence& s = *slots_[i];
    s.batch_index = -1;  // the last decode's last logits
    s.job->on_start(s.choice);
    sample(i);
  }
}

bool BatchScheduler::evaluate_media(std::size_t slot) {
  Sequence& s = *slots_[slot];
  lora_.apply(ctx_, s.lora);
  const mtmd_input_chunks* chunks = s.media->chunks.get();
  const std::size_t n = mtmd_input_chunks_size(chunks);
  llama_pos n_past = 0;
  for (std::size_t c = 0; c < n; ++c) {
    if (s.job->cancelled()) {
      release(slot);
      return false;
    }
    llama_pos next = n_past;
    const std::int32_t rc = mtmd_helper_eval_chunk_single(
        s.media->ctx, ctx_, mtmd_input_chunks_get(chunks, c), n_past,
        static_cast<llama_seq_id>(slot), config_.n_batch, /*logits_last=*/c + 1 == n, &next);
    if (rc != 0) {
      spdlog::error("evaluating prompt chunk {} of {} failed ({})", c + 1, n, rc);
      s.job->fail(ApiError(ErrorKind::internal, "evaluating the image or audio input failed"));
      release(slot);
      return false;
    }
    n_past = next;
  }
  s.media->evaluated = true;
  s.n_past = n_past;
  return true;
}

void BatchScheduler::step() {
  batch_.clear();
  // Sequences with different LoRA scales cannot share a decode: this step serves the group of the
  // first busy slot in round-robin order.
  const std::vector<float>* group = nullptr;
  for (std::size_t k = 0; k < slots_.size() && group == nullptr; ++k) {
    const std::size_t i = (round_robin_ + k) % slots_.size();
    if (slots_[i]) group = &slots_[i]->lora;
  }
  if (group == nullptr) return;
  round_robin_ = (round_robin_ + 1) % slots_.size();
  // In ascending seq_id order: with one KV stream per sequence llama.cpp splits a batch into
  // ubatches of consecutive sequences, so [2, 3, 0, 1] would cost two graph runs instead of one.
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    if (!slots_[i]) continue;
    slots_[i]->batch_index = -1;
    if (slots_[i]->lora == *group) order.push_back(i);
  }

  // Generating sequences first (one token each), then prompt chunks with the room left.
  std::vector<std::pair<std::size_t, int>> prompt_taken;
  for (std::size_t i : order) {
    Sequence& s = *slots_[i];
    if (s.n_prompt_done < s.prompt.size() || batch_.size() >= batch_.capacity()) continue;
    s.batch_index = batch_.add(s.next, s.n_past, static_cast<llama_seq_id>(i), true);
  }
  for (std::size_t i : order) {
    Sequence& s = *slots_[i];
    const std::size_t left = s.prompt.size() - s.n_prompt_done;
    const int room = batch_.capacity() - batch_.size();
    if (left == 0 || room <= 0) continue;
    const int take = static_cast<int>(std::min<std::size_t>(left, static_cast<std::size_t>(room)));
    for (int k = 0; k < take; ++k) {
      const bool last = s.n_prompt_done + static_cast<std::size_t>(k) + 1 == s.prompt.size();
      const int index = batch_.add(s.prompt[s.n_prompt_done + static_cast<std::size_t>(k)],
                                   s.n_past + k, static_cast<llama_seq_id>(i), last);
      if (last) s.batch_index = index;
    }
    prompt_taken.emplace_back(i, take);
  }

  lora_.apply(ctx_, *group);
  if (const int rc = llama_decode(ctx_, batch_.get()); rc != 0) {
    // 2: the abort callback stopped it, i.e. the engine is stopping and every job is cancelled.
    if (rc == 2) return;
    spdlog::error("llama_decode failed ({}) for a batch of {} tokens", rc, batch_.size());
    for (std::size_t i : order) {
      if (slots_[i] && (slots_[i]->batch_index >= 0 || slots_[i]->n_prompt_done > 0)) {
        slots_[i]->job->fail(ApiError(ErrorKind::internal, "decoding failed"));
        release(i);
      }
    }
    return;
  }
  for (const auto& [i, take] : prompt_taken) {
    slots_[i]->n_prompt_done += static_cast<std::size_t>(take);
    slots_[i]->n_past += take;
  }
  for (std::size_t i : order) {
    if (!slots_[i] || slots_[i]->batch_index < 0) continue;
    Sequence& s = *slots_[i];
    if (s.n_generated == 0) {
      s.job->on_start(s.choice);
    } else {
      s.n_past += 1;  // the generated token decoded this step
    }
    sample(i);
  }
}

void BatchScheduler::sample(std::size_t slot) {
  Sequence& s = *slots_[slot];
  const llama_token token = llama_sampler_sample(s.sampler.get(), ctx_, s.batch_index);
  s.n_generated += 1;
  if (llama_vocab_is_eog(vocab_, token)) return finish(slot, "stop");

  char buffer[256];
  int n = llama_token_to_piece(vocab_, token, buffer, sizeof(buffer), 0, /*special=*/false);
  std::string piece;
  if (n < 0) {
    piece.resize(static_cast<std::size_t>(-n));
    n = llama_token_to_piece(vocab_, token, piece.data(), -n, 0, false);
    piece.resize(static_cast<std::size_t>(std::max(n, 0)));
  } else {
    piece.assign(buffer, static_cast<std::size_t>(n));
  }
  TextStream::Output out = s.text.push(piece);
  s.job->on_text(s.choice, out.text);
  if (out.stopped) return finish(slot, "stop");
  if (s.n_generated >= s.max_tokens || s.n_past >= config_.n_ctx_per_seq) {
    return finish(slot, "length");
  }
  s.next = token;
}

void BatchScheduler::finish(std::size_t slot, const char* reason) {
  Sequence& s = *slots_[slot];
  s.job->on_text(s.choice, s.text.flush());
  const std::size_t prompt_tokens = s.media ? s.media->n_tokens : s.prompt.size();
  s.job->on_finish(s.choice, reason, static_cast<std::int64_t>(prompt_tokens), s.n_generated);
  release(slot);
}

void BatchScheduler::release(std::size_t slot) {
  llama_memory_seq_rm(llama_get_memory(ctx_), static_cast<llama_seq_id>(slot), -1, -1);
  slots_[slot].reset();
}

}  // namespace switchyard::worker::llama
