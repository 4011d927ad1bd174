// The seam between the generic speech engine (request parsing, encoding, streaming:
// speech_engine.*) and one text-to-speech synthesiser (flite, espeak-ng).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::audio {

class Synthesizer {
 public:
  // Receives 16-bit mono samples at `rate` Hz as they are synthesised; returns false to stop.
  using AudioCallback = std::function<bool(std::span<const std::int16_t> samples, int rate)>;

  virtual ~Synthesizer() = default;
  virtual std::string_view name() const = 0;
  // Blocking; throws std::exception when the voices cannot be loaded.
  virtual void load() = 0;
  // The voices a request may name (the engine's own names).
  virtual std::vector<std::string> voices() const = 0;
  virtual std::string default_voice() const = 0;
  // The engine's voice for a requested name (its own, or one of OpenAI's alloy, echo, ...), or
  // nothing when it has no such voice.
  virtual std::optional<std::string> resolve_voice(std::string_view requested) const = 0;
  // Runs on the engine's thread. `speed` is 0.25..4 (1 = the voice's own pace).
  virtual void synthesize(const std::string& text, const std::string& voice, double speed,
                          const AudioCallback& on_audio) = 0;
};

// OpenAI's voice names (alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, shimmer, verse,
// marin, cedar) and whether each is documented as a female-sounding voice: engines map them
// onto their own voices by that.
std::optional<bool> openai_voice_is_female(std::string_view name);
const std::vector<std::string>& openai_voice_names();

// Splits text into sentences (after . ! ? ; or a newline), so speech can stream sentence by
// sentence. Empty pieces are dropped.
std::vector<std::string> split_sentences(std::string_view text);

}  // namespace switchyard::worker::audio
