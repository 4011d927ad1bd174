// An Engine serving /v1/audio/transcriptions (and /v1/audio/translations when the recogniser
// translates) over any Recognizer: parses the multipart request on the network thread, then
// decodes and recognises on the engine's thread, answering in the requested response_format or,
// with stream=true, as SSE transcript.text.delta events and a final transcript.text.done.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "worker/audio/job_queue.hpp"
#include "worker/audio/recognizer.hpp"
#include "worker/engine.hpp"

namespace switchyard::worker::audio {

class TranscriptionEngine final : public Engine {
 public:
  explicit TranscriptionEngine(std::unique_ptr<Recognizer> recognizer);
  ~TranscriptionEngine() override;

  std::string_view name() const override { return recognizer_->name(); }
  std::vector<Endpoint> endpoints() const override;
  void load() override;
  void submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override;
  void stop() override;

 private:
  struct Job;
  void run(Job& job);

  std::unique_ptr<Recognizer> recognizer_;
  std::atomic<bool> stopping_{false};
  JobQueue queue_;
};

}  // namespace switchyard::worker::audio
