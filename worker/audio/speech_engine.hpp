// An Engine serving /v1/audio/speech over any Synthesizer: parses the JSON request and resolves
// the voice on the network thread (an unknown voice is a 400 listing the engine's voices), then
// synthesises sentence by sentence on the engine's thread. The reply is one encoded file, or with
// `stream_format: audio` chunked audio as it is synthesised, or with `stream_format: sse`
// speech.audio.delta events carrying base64 audio and a final speech.audio.done.
#pragma once

#include <atomic>
#include <memory>

#include "worker/audio/job_queue.hpp"
#include "worker/audio/speech.hpp"
#include "worker/audio/synthesizer.hpp"
#include "worker/engine.hpp"

namespace switchyard::worker::audio {

class SpeechEngine final : public Engine {
 public:
  explicit SpeechEngine(std::unique_ptr<Synthesizer> synthesizer);
  ~SpeechEngine() override;

  std::string_view name() const override { return synthesizer_->name(); }
  std::vector<Endpoint> endpoints() const override;
  void load() override;
  void submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) override;
  void stop() override;

 private:
  void run(const SpeechRequest& request, const std::string& voice, ResponseSink& sink);

  std::unique_ptr<Synthesizer> synthesizer_;
  std::atomic<bool> stopping_{false};
  JobQueue queue_;
};

}  // namespace switchyard::worker::audio
