// The `tesseract` engine: OCR as a chat model. POST /v1/chat/completions with image parts answers
// with the text tesseract reads from them, in order (a blank line between images); text parts are
// accepted and not used. `parallel` tesseract instances, each on its own thread, take requests
// from one queue; recognition stops within a word when the client goes away. The model path is a
// .traineddata file or a tessdata directory (see ocr_options.hpp).
//
//   submit (network thread): parse, check media  ──queue──>  worker thread: decode each image
//   (leptonica), recognise it, send its words  ──>  finish_reason, usage, [DONE]
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "worker/engine.hpp"
#include "worker/engine_args.hpp"
#include "worker/engines/tesseract/ocr_options.hpp"

namespace tesseract {
class TessBaseAPI;
}

namespace switchyard::worker::tesseract {

class TesseractEngine final : public Engine {
 public:
  // Throws ArgError for bad args.
  TesseractEngine(std::string model_path, std::string model_id, EngineArgs args);
  ~TesseractEngine() override;

  std::string_view name() const override { return "tesseract"; }
  std::vector<Endpoint> endpoints() const override;
  // Initialises `parallel` tesseract instances with the languages; throws when one is missing.
  void load() override;
  void submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override;
  void stop() override;

  const OcrOptions& options() const { return options_; }

 private:
  using Task = std::function<void(::tesseract::TessBaseAPI&)>;
  void run(::tesseract::TessBaseAPI& api);

  std::string model_path_;
  std::string model_id_;
  OcrOptions options_;
  std::vector<std::unique_ptr<::tesseract::TessBaseAPI>> apis_;
  std::vector<std::thread> threads_;

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::atomic<bool> stopped_{false};
};

}  // namespace switchyard::worker::tesseract
