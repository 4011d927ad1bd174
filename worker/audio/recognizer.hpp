// The seam between the generic transcription engine (request parsing, decoding, response formats,
// streaming: transcription_engine.*) and one speech recogniser (pocketsphinx, whisper.cpp).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "worker/audio/audio_codec.hpp"
#include "worker/audio/transcription.hpp"

namespace switchyard::worker::audio {

struct RecognizeOptions {
  AudioTask task = AudioTask::transcribe;
  std::string language;  // "" = the recogniser's default (or detection)
  std::string prompt;
  float temperature = 0.0f;
  bool word_timestamps = false;
};

class Recognizer {
 public:
  using SegmentCallback = std::function<void(const Segment&)>;
  using CancelledFn = std::function<bool()>;

  virtual ~Recognizer() = default;
  virtual std::string_view name() const = 0;
  // Blocking; throws std::exception when the model cannot be loaded.
  virtual void load() = 0;
  // Whether /v1/audio/translations is served.
  virtual bool translates() const = 0;
  // Throws ApiError (400) for options this recogniser cannot honour (a language it lacks).
  virtual void check(const RecognizeOptions& options) const = 0;
  // Runs on the engine's thread: decodes `audio` (16 kHz mono, read block by block), calls
  // `on_segment` for each segment as it becomes final and returns the whole transcript. Returns
  // early, with what it has, once `cancelled()` is true.
  virtual Transcript recognize(AudioDecoder& audio, const RecognizeOptions& options,
                               const SegmentCallback& on_segment,
                               const CancelledFn& cancelled) = 0;
};

}  // namespace switchyard::worker::audio
