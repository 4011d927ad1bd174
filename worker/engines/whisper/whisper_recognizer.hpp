// The `whisper` engine: ggml Whisper models (`ggml-*.bin`, as whisper.cpp's models) through
// whisper.cpp 1.9.1, built against llama.cpp's ggml in the same tree. Transcribes in the
// requested or detected language and translates to English (multilingual models). Segments are
// streamed as whisper.cpp finalises them; a client going away aborts the computation.
#pragma once

#include <string>

#include "worker/audio/recognizer.hpp"
#include "worker/engine_args.hpp"

struct whisper_context;

namespace switchyard::worker::whisper {

struct WhisperOptions {
  int threads = 4;
  int max_tokens = 0;     // per segment; 0 = whisper.cpp's own limit
  int beam_size = 0;      // 0 = greedy
  std::string language;   // default language ("" = detect, or "en" for English-only models)
};

// Reads `threads`, `max_tokens`, `beam_size`, `language`; throws ArgError.
WhisperOptions parse_whisper_options(EngineArgs args);

class WhisperRecognizer final : public audio::Recognizer {
 public:
  WhisperRecognizer(std::string model_path, WhisperOptions options);
  ~WhisperRecognizer() override;

  std::string_view name() const override { return "whisper"; }
  void load() override;
  bool translates() const override { return true; }
  void check(const audio::RecognizeOptions& options) const override;
  audio::Transcript recognize(audio::AudioDecoder& audio, const audio::RecognizeOptions& options,
                              const SegmentCallback& on_segment,
                              const CancelledFn& cancelled) override;

 private:
  std::string model_path_;
  WhisperOptions options_;
  whisper_context* ctx_ = nullptr;
  bool multilingual_ = false;
};

}  // namespace switchyard::worker::whisper
