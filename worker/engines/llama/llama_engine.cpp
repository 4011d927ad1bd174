#include "worker/engines/llama/llama_engine.hpp"

#include <mtmd-helper.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <mutex>

#include "worker/engines/llama/embedder.hpp"
#include "worker/engines/llama/end_of_generation.hpp"
#include "worker/engines/llama/sampling.hpp"
#include "worker/media/image_reader.hpp"
#include "worker/openai/chat_request.hpp"
#include "worker/openai/completion_request.hpp"
#include "worker/openai/embedding_request.hpp"
#include "worker/openai/responses.hpp"

namespace switchyard::worker::llama {
namespace {

using nlohmann::json;

constexpr int kDefaultMaxContext = 4096;

// llama.cpp logs in fragments; forward whole lines to spdlog (its chatter at debug level).
void forward_log(ggml_log_level level, const char* text, void*) {
  thread_local std::string line;
  thread_local ggml_log_level line_level = GGML_LOG_LEVEL_INFO;
  if (level != GGML_LOG_LEVEL_CONT) line_level = level;
  line += text;
  if (line.empty() || line.back() != '\n') return;
  line.pop_back();
  switch (line_level) {
    case GGML_LOG_LEVEL_ERROR:
      spdlog::error("llama.cpp: {}", line);
      break;
    case GGML_LOG_LEVEL_WARN:
      spdlog::warn("llama.cpp: {}", line);
      break;
    default:
      spdlog::debug("llama.cpp: {}", line);
      break;
  }
  line.clear();
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool abort_unless_running(float, void* stopping) {
  return !static_cast<std::atomic<bool>*>(stopping)->load();
}

// ggml checks this between the nodes of a graph: once stop() sets the flag, a llama_decode in
// progress (up to batch_size tokens of prompt, which may take seconds) returns at once (status 2)
// instead of running to its end, so SIGTERM is done within a second.
bool abort_when_stopping(void* stopping) {
  return static_cast<std::atomic<bool>*>(stopping)->load();
}

}  // namespace

LlamaEngine::LlamaEngine(std::string model_path, std::string model_id, EngineArgs args)
    : model_path_(std::move(model_path)),
      model_id_(std::move(model_id)),
      options_(parse_llama_options(std::move(args))) {
  static std::once_flag backend;
  std::call_once(backend, [] {
    llama_log_set(forward_log, nullptr);
    mtmd_helper_log_set(forward_log, nullptr);
    llama_backend_init();
  });
}

LlamaEngine::~LlamaEngine() {
  stop();
  scheduler_.reset();
  mtmd_.reset();
  ctx_.reset();
  model_.reset();
}

std::vector<Endpoint> LlamaEngine::endpoints() const {
  return {
      {"POST", "/v1/chat/completions"}, {"POST", "/v1/completions"}, {"POST", "/v1/embeddings"}};
}

void LlamaEngine::load() {
  llama_model_params model_params = llama_model_default_params();
  model_params.progress_callback = abort_unless_running;
  model_params.progress_callback_user_data = &stopping_;
  model_.reset(llama_model_load_from_file(model_path_.c_str(), model_params));
  if (!model_) {
    throw std::runtime_error(stopping_ ? "loading cancelled"
                                       : "llama.cpp cannot load the model " + model_path_);
  }
  vocab_ = llama_model_get_vocab(model_.get());
  end_of_generation_ = end_of_generation_tokens(vocab_);
  lora_.load(model_.get(), options_.lora);
  template_ = ChatTemplate::for_model(model_.get(), options_.chat_template);
  if (options_.mmproj) {
    mtmd_context_params params = mtmd_context_params_default();
    params.use_gpu = false;
    params.print_timings = false;
    params.warmup = false;
    params.n_threads = options_.threads;
    params.media_marker = openai::kMediaMarker.data();
    mtmd_.reset(mtmd_init_from_file(options_.mmproj->c_str(), model_.get(), params));
    if (!mtmd_) {
      throw std::runtime_error("llama.cpp cannot load the projector " + *options_.mmproj +
                               " (an mmproj GGUF made for this model)");
    }
  }

  // Each sequence gets the whole ctx_size: n_ctx = ctx_size * parallel, one KV stream each.
  const int n_train = llama_model_n_ctx_train(model_.get());
  n_ctx_per_seq_ = options_.ctx_size.value_or(
      std::min(n_train > 0 ? n_train : kDefaultMaxContext, kDefaultMaxContext));
  const int parallel = options_.embeddings ? 1 : options_.parallel;
  llama_context_params params = llama_context_default_params();
  params.n_ctx = static_cast<std::uint32_t>(n_ctx_per_seq_ * parallel);
  params.n_seq_max = static_cast<std::uint32_t>(parallel);
  params.kv_unified = false;
  // An embedding input is decoded whole; generation shares batch_size tokens per step.
  const int n_batch =
      options_.embeddings ? n_ctx_per_seq_ : std::max(options_.batch_size, parallel);
  params.n_batch = static_cast<std::uint32_t>(n_batch);
  params.n_ubatch =
      static_cast<std::uint32_t>(options_.embeddings ? n_batch : std::min(n_batch, 512));
  params.n_threads = options_.threads;
  params.n_threads_batch = options_.threads;
  params.embeddings = options_.embeddings;
  params.no_perf = true;
  params.abort_callback = abort_when_stopping;
  params.abort_callback_data = &stopping_;
  ctx_.reset(llama_init_from_model(model_.get(), params));
  if (ctx_ && options_.embeddings && llama_pooling_type(ctx_.get()) == LLAMA_POOLING_TYPE_NONE) {
    // A generative model has no pooling of its own: mean-pool its last hidden states.
    ctx_.reset();
    params.pooling_type = LLAMA_POOLING_TYPE_MEAN;
    ctx_.reset(llama_init_from_model(model_.get(), params));
  }
  if (!ctx_) throw std::runtime_error("llama.cpp cannot create a context for " + model_path_);

  scheduler_ = std::make_unique<BatchScheduler>(ctx_.get(), lora_,
                                                SchedulerConfig{parallel, n_ctx_per_seq_, n_batch});
  scheduler_->start();
  const bool vision = mtmd_ && mtmd_support_vision(mtmd_.get());
  const bool audio = mtmd_ && mtmd_support_audio(mtmd_.get());
  spdlog::info("llama: {} ready (ctx {} per sequence, parallel {}, threads {}{}{}{})", model_id_,
               n_ctx_per_seq_, parallel, options_.threads,
               options_.embeddings ? ", embeddings" : "", vision ? ", image input" : "",
               audio ? ", audio input" : "");
}

void LlamaEngine::stop() {
  stopping_ = true;
  if (scheduler_) scheduler_->stop();
}

void LlamaEngine::submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) {
  try {
    if (stopping_) throw ApiError(ErrorKind::unavailable, "the worker is shutting down");
    const json body = openai::parse_body(request.body);
    if (request.path == "/v1/chat/completions") {
      submit_chat(body, sink);
    } else if (request.path == "/v1/completions") {
      submit_completion(body, sink);
    } else {
      submit_embeddings(body, sink);
    }
  } catch (const ApiError& error) {
    sink->reply_error(error);
  } catch (const std::exception& error) {
    sink->reply_error(ApiError(ErrorKind::internal, error.what()));
  }
}

std::string LlamaEngine::model_name(const std::string& requested) const {
  return requested.empty() ? model_id_ : requested;
}

void LlamaEngine::submit_chat(const json& body, std::shared_ptr<ResponseSink> sink) {
  if (options_.embeddings) {
    throw ApiError(ErrorKind::invalid_request,
                   "this model runs with embeddings: true and serves only /v1/embeddings");
  }
  openai::ChatRequest request = openai::parse_chat_request(body);
  check_media(request);
  std::vector<openai::MediaPart> media;
  for (auto& message : request.messages) {
    for (auto& part : message.media) media.push_back(std::move(part));
  }
  JobSpec spec{JobKind::chat,
               {openai::new_response_id("chatcmpl-"), unix_now(), model_name(request.model)},
               request.params.stream,
               request.params.include_usage,
               {}};
  auto job = std::make_shared<Job>(std::move(spec), 1, std::move(sink));
  enqueue(std::move(job), {template_->render(request.messages)}, std::move(request.params),
          std::move(media));
}

void LlamaEngine::check_media(const openai::ChatRequest& request) const {
  if (!mtmd_) {
    const std::string why = "model '" + model_id_ +
                            "' has no multimodal projector (run it with args: {mmproj: "
                            "/path/to/mmproj.gguf})";
    openai::reject_media(request, openai::MediaKind::image, why);
    openai::reject_media(request, openai::MediaKind::audio, why);
    return;
  }
  if (!mtmd_support_vision(mtmd_.get())) {
    openai::reject_media(request, openai::MediaKind::image,
                         "the projector of model '" + model_id_ + "' has no vision encoder");
  }
  if (!mtmd_support_audio(mtmd_.get())) {
    openai::reject_media(request, openai::MediaKind::audio,
                         "the projector of model '" + model_id_ + "' has no audio encoder");
  }
}

BitmapPtr LlamaEngine::load_media(const openai::MediaPart& part) const {
  if (part.kind == openai::MediaKind::image) {
    const media::RgbImage image = media::read_rgb(part.bytes, part.param);
    return BitmapPtr(mtmd_bitmap_init(image.width, image.height, image.rgb.data()));
  }
  const auto* data = reinterpret_cast<const unsigned char*>(part.bytes.data());
  mtmd_helper_bitmap_wrapper loaded = mtmd_helper_bitmap_init_from_buf(
      mtmd_.get(), data, part.bytes.size(), /*placeholder=*/false, mtmd_helper_init_opt_default());
  if (loaded.video_ctx != nullptr) mtmd_helper_video_free(loaded.video_ctx);
  BitmapPtr bitmap(loaded.bitmap);
  if (!bitmap || !mtmd_bitmap_is_audio(bitmap.get())) {
    throw ApiError(ErrorKind::invalid_request,
                   "'" + part.param + "' is not audio this server can decode (wav, mp3, flac)",
                   part.param);
  }
  return bitmap;
}

std::unique_ptr<MediaPrompt> LlamaEngine::media_prompt(
    const std::string& prompt, const std::vector<openai::MediaPart>& media) const {
  std::vector<BitmapPtr> bitmaps;
  std::vector<const mtmd_bitmap*> raw;
  for (const auto& part : media) {
    bitmaps.push_back(load_media(part));
    raw.push_back(bitmaps.back().get());
  }
  auto result = std::make_unique<MediaPrompt>();
  result->ctx = mtmd_.get();
  result->chunks.reset(mtmd_input_chunks_init());
  const mtmd_input_text text{prompt.c_str(), prompt.size(), /*add_special=*/true,
                             /*parse_special=*/true};
  const std::int32_t rc =
      mtmd_tokenize(mtmd_.get(), result->chunks.get(), &text, raw.data(), raw.size());
  if (rc == 1) {
    throw ApiError(ErrorKind::invalid_request,
                   "the messages hold " + std::string(openai::kMediaMarker) +
                       " markers that do not match their image and audio parts",
                   "messages");
  }
  if (rc != 0) {
    throw ApiError(ErrorKind::invalid_request,
                   "the projector could not preprocess the image or audio parts", "messages");
  }
  result->n_tokens = mtmd_helper_get_n_tokens(result->chunks.get());
  return result;
}

void LlamaEngine::submit_completion(const json& body, std::shared_ptr<ResponseSink> sink) {
  if (options_.embeddings) {
    throw ApiError(ErrorKind::invalid_request,
                   "this model runs with embeddings: true and serves only /v1/embeddings");
  }
  openai::CompletionRequest request = openai::parse_completion_request(body);
  JobSpec spec{JobKind::completion,
               {openai::new_response_id("cmpl-"), unix_now(), model_name(request.model)},
               request.params.stream,
               request.params.include_usage,
               request.echo ? request.prompts : std::vector<std::string>{}};
  auto job = std::make_shared<Job>(std::move(spec), request.prompts.size(), std::move(sink));
  enqueue(std::move(job), std::move(request.prompts), std::move(request.params));
}

void LlamaEngine::enqueue(std::shared_ptr<Job> job, std::vector<std::string> prompts,
                          openai::GenerationParams params, std::vector<openai::MediaPart> media) {
  std::vector<float> lora = lora_.resolve(params.lora);  // a 400 before anything is queued
  const std::uint32_t seed = params.seed.value_or(options_.seed.value_or(LLAMA_DEFAULT_SEED));
  scheduler_->post([this, job = std::move(job), prompts = std::move(prompts),
                    params = std::move(params), lora = std::move(lora), seed,
                    media = std::move(media)] {
    try {
      if (job->cancelled()) return;
      std::vector<Sequence> sequences;
      for (std::size_t i = 0; i < prompts.size(); ++i) {
        Sequence s;
        if (media.empty()) {
          s.prompt = tokenize(prompts[i]);
        } else {
          s.media = media_prompt(prompts[i], media);
        }
        const std::size_t n_prompt = s.media ? s.media->n_tokens : s.prompt.size();
        if (n_prompt == 0) throw ApiError(ErrorKind::invalid_request, "the prompt is empty");
        if (static_cast<int>(n_prompt) >= n_ctx_per_seq_) {
          throw ApiError(ErrorKind::invalid_request,
                         "the prompt has " + std::to_string(n_prompt) +
                             " tokens but the context holds " + std::to_string(n_ctx_per_seq_) +
                             " tokens",
                         std::nullopt, "context_length_exceeded");
        }
        s.job = job;
        s.choice = i;
        s.max_tokens = params.max_tokens.value_or(INT64_MAX);
        s.sampler = make_sampler(vocab_, params, seed);
        if (params.ignore_eos) {
          s.sampler = ban_tokens(vocab_, end_of_generation_, std::move(s.sampler));
        }
        s.text = TextStream(params.stop);
        s.lora = lora;
        sequences.push_back(std::move(s));
      }
      for (auto& s : sequences) scheduler_->add(std::move(s));
    } catch (const ApiError& error) {
      job->fail(error);
    }
  });
}

void LlamaEngine::submit_embeddings(const json& body, std::shared_ptr<ResponseSink> sink) {
  if (!options_.embeddings) {
    throw ApiError(ErrorKind::invalid_request,
                   "this model does not serve embeddings; run it with args: {embeddings: true}");
  }
  openai::EmbeddingRequest request = openai::parse_embedding_request(body);
  scheduler_->post([this, request = std::move(request), sink = std::move(sink)] {
    try {
      if (sink->cancelled()) return;
      const auto n_vocab = llama_vocab_n_tokens(vocab_);
      std::vector<std::vector<llama_token>> inputs;
      std::int64_t total = 0;
      for (std::size_t i = 0; i < request.inputs.size(); ++i) {
        const auto* text = std::get_if<std::string>(&request.inputs[i]);
        std::vector<llama_token> tokens =
            text ? tokenize(*text) : std::get<std::vector<std::int32_t>>(request.inputs[i]);
        for (llama_token t : tokens) {
          if (t >= n_vocab) {
            throw ApiError(ErrorKind::invalid_request,
                           "token id " + std::to_string(t) + " is outside the vocabulary", "input");
          }
        }
        if (tokens.empty())
          throw ApiError(ErrorKind::invalid_request, "an input is empty", "input");
        if (static_cast<int>(tokens.size()) > n_ctx_per_seq_) {
          throw ApiError(ErrorKind::invalid_request,
                         "input " + std::to_string(i) + " has " + std::to_string(tokens.size()) +
                             " tokens but the context holds " + std::to_string(n_ctx_per_seq_) +
                             " tokens",
                         "input", "context_length_exceeded");
        }
        total += static_cast<std::int64_t>(tokens.size());
        inputs.push_back(std::move(tokens));
      }
      const auto vectors = embed(scheduler_->context(), inputs);
      sink->reply_json(
          openai::embedding_list(model_name(request.model), vectors, request.base64, total));
    } catch (const ApiError& error) {
      sink->reply_error(error);
    }
  });
}

std::vector<llama_token> LlamaEngine::tokenize(const std::string& text) const {
  std::vector<llama_token> tokens(text.size() + 8);
  int n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                         static_cast<int32_t>(tokens.size()), /*add_special=*/true,
                         /*parse_special=*/true);
  if (n < 0) {
    tokens.resize(static_cast<std::size_t>(-n));
    n = llama_tokenize(vocab_, text.data(), static_cast<int32_t>(text.size()), tokens.data(),
                       static_cast<int32_t>(tokens.size()), true, true);
  }
  tokens.resize(static_cast<std::size_t>(std::max(n, 0)));
  return tokens;
}

}  // namespace switchyard::worker::llama
