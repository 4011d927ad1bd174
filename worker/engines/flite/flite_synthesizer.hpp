// The `flite` engine: CMU Flite's English voices compiled in from Debian's flite1-dev: slt (US
// female), kal16 (US male, 16 kHz), awb (Scottish male) and rms (US male); all 16 kHz. The
// voices live in the binary, so `--model` only needs to be an existing path (the models folder
// will do). Text is synthesised sentence by sentence.
#pragma once

#include <map>
#include <string>

#include "worker/audio/synthesizer.hpp"
#include "worker/engine_args.hpp"

struct cst_voice_struct;

namespace switchyard::worker::flite {

// Reads `voice` (the default voice, "slt"); throws ArgError for an unknown one.
std::string parse_flite_voice(EngineArgs args);

class FliteSynthesizer final : public audio::Synthesizer {
 public:
  explicit FliteSynthesizer(std::string default_voice);

  std::string_view name() const override { return "flite"; }
  void load() override;
  std::vector<std::string> voices() const override;
  std::string default_voice() const override { return default_voice_; }
  std::optional<std::string> resolve_voice(std::string_view requested) const override;
  void synthesize(const std::string& text, const std::string& voice, double speed,
                  const AudioCallback& on_audio) override;

  // OpenAI's voice names onto flite's: the female ones to slt; ash, fable -> awb; echo, onyx ->
  // rms; ballad, verse, cedar -> kal16.
  static std::optional<std::string> map_openai_voice(std::string_view name);

 private:
  std::string default_voice_;
  std::map<std::string, cst_voice_struct*> voices_;
};

}  // namespace switchyard::worker::flite
