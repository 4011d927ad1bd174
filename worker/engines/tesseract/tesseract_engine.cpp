#include "worker/engines/tesseract/tesseract_engine.hpp"

#include <spdlog/spdlog.h>
#include <tesseract/baseapi.h>
#include <tesseract/ocrclass.h>

#include <chrono>
#include <filesystem>

#include "worker/engines/tesseract/ocr_reply.hpp"
#include "worker/media/image_reader.hpp"
#include "worker/openai/chat_request.hpp"

namespace switchyard::worker::tesseract {
namespace {

using nlohmann::json;

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Tesseract polls this between words; true stops the recognition.
bool cancel_when_gone(void* sink, int /*words*/) {
  return static_cast<const ResponseSink*>(sink)->cancelled();
}

std::string installed_languages(const std::string& datapath) {
  std::string names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(datapath, ec)) {
    if (entry.path().extension() != ".traineddata") continue;
    names += (names.empty() ? "" : ", ") + entry.path().stem().string();
  }
  return names.empty() ? "none" : names;
}

struct TextDeleter {
  void operator()(char* text) const { delete[] text; }
};

// One chat request, on a worker thread.
void recognise(::tesseract::TessBaseAPI& api, const openai::ChatRequest& request,
               const std::string& model, const std::shared_ptr<ResponseSink>& sink) {
  // Decode every image first, so an undecodable one is a plain 400 before any output.
  std::vector<media::PixPtr> images;
  std::int64_t prompt_tokens = 0;  // each media marker counts as one word: one per image
  for (const auto& message : request.messages) {
    for (const auto& part : message.media)
      images.push_back(media::read_image(part.bytes, part.param));
    prompt_tokens += count_words(message.content);
  }

  OcrReply reply({openai::new_response_id("chatcmpl-"), unix_now(), model}, request.params.stream,
                 request.params.include_usage, request.params.max_tokens, prompt_tokens, sink);
  reply.begin();
  for (const auto& pix : images) {
    if (sink->cancelled()) return;
    api.SetImage(pix.get());
    ::tesseract::ETEXT_DESC monitor;
    monitor.cancel = cancel_when_gone;
    monitor.cancel_this = sink.get();
    const int rc = api.Recognize(&monitor);
    if (sink->cancelled()) {
      api.Clear();
      return;
    }
    std::unique_ptr<char[], TextDeleter> text(rc == 0 ? api.GetUTF8Text() : nullptr);
    api.Clear();
    if (rc != 0) {
      spdlog::warn("tesseract could not recognise an image ({})", rc);
      continue;  // an image without recognisable text reads as nothing
    }
    if (!reply.add(tidy_text(text ? text.get() : ""))) break;
  }
  reply.finish();
}

}  // namespace

TesseractEngine::TesseractEngine(std::string model_path, std::string model_id, EngineArgs args)
    : model_path_(std::move(model_path)),
      model_id_(std::move(model_id)),
      options_(parse_ocr_options(std::move(args), model_path_)) {}

TesseractEngine::~TesseractEngine() { stop(); }

std::vector<Endpoint> TesseractEngine::endpoints() const {
  return {{"POST", "/v1/chat/completions"}};
}

void TesseractEngine::load() {
  const char* datapath = options_.tessdata ? options_.tessdata->c_str() : nullptr;
  // Built here and handed over under the lock: stop() may run meanwhile (a cancelled load).
  std::vector<std::unique_ptr<::tesseract::TessBaseAPI>> apis;
  for (int i = 0; i < options_.parallel; ++i) {
    {
      std::lock_guard lock(mutex_);
      if (stopping_) throw std::runtime_error("loading cancelled");
    }
    auto api = std::make_unique<::tesseract::TessBaseAPI>();
    api->SetVariable("debug_file", "/dev/null");  // no tprintf chatter on stderr
    if (api->Init(datapath, options_.languages.c_str(), ::tesseract::OEM_DEFAULT) != 0) {
      const std::string path = api->GetDatapath() ? api->GetDatapath() : "";
      throw std::runtime_error("tesseract cannot load the languages '" + options_.languages +
                               "' from " + (path.empty() ? "its data directory" : path) +
                               " (installed: " + installed_languages(path) +
                               "; apt-get install tesseract-ocr-<lang>)");
    }
    api->SetPageSegMode(static_cast<::tesseract::PageSegMode>(options_.psm));
    apis.push_back(std::move(api));
  }
  std::lock_guard lock(mutex_);
  if (stopping_) throw std::runtime_error("loading cancelled");
  apis_ = std::move(apis);
  for (auto& api : apis_) threads_.emplace_back([this, raw = api.get()] { run(*raw); });
  spdlog::info("tesseract: {} ready (languages {}, psm {}, parallel {})", model_id_,
               options_.languages, options_.psm, options_.parallel);
}

void TesseractEngine::stop() {
  if (stopped_.exchange(true)) return;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();  // releases the sinks of requests that never started
    threads.swap(threads_);
  }
  wake_.notify_all();
  // A recognition in progress stops at its next word: its sink is cancelled by now.
  for (auto& thread : threads) thread.join();
  apis_.clear();  // load() no longer touches it once stopping_ is set
}

void TesseractEngine::run(::tesseract::TessBaseAPI& api) {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task(api);
  }
}

void TesseractEngine::submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) {
  try {
    const json body = openai::parse_body(request.body);
    openai::ChatRequest chat = openai::parse_chat_request(body);
    openai::reject_media(chat, openai::MediaKind::audio,
                         "the OCR model '" + model_id_ + "' reads images only");
    if (chat.media_count(openai::MediaKind::image) == 0) {
      throw ApiError(ErrorKind::invalid_request,
                     "the OCR model '" + model_id_ +
                         "' reads text from images: send at least one image_url part",
                     "messages");
    }
    const std::string model = chat.model.empty() ? model_id_ : chat.model;
    std::lock_guard lock(mutex_);
    if (stopping_) throw ApiError(ErrorKind::unavailable, "the worker is shutting down");
    queue_.push_back([chat = std::move(chat), model, sink](::tesseract::TessBaseAPI& api) {
      if (sink->cancelled()) return;
      try {
        recognise(api, chat, model, sink);
      } catch (const ApiError& error) {
        sink->reply_error(error);
      } catch (const std::exception& error) {
        sink->reply_error(ApiError(ErrorKind::internal, error.what()));
      }
    });
  } catch (const ApiError& error) {
    sink->reply_error(error);
    return;
  } catch (const std::exception& error) {
    sink->reply_error(ApiError(ErrorKind::internal, error.what()));
    return;
  }
  wake_.notify_one();
}

}  // namespace switchyard::worker::tesseract
