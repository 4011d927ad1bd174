// The `espeak-ng` engine: eSpeak NG (Debian's libespeak-ng) in its many languages. `--model` is
// the espeak-ng-data folder (/usr/lib/x86_64-linux-gnu/espeak-ng-data on Debian). A voice is a
// language code as espeak-ng lists it ("en-us", "de", "fr", ...) with an optional variant
// ("en-us+f3", "de+m2"). Output is 22 050 Hz; speech is produced in pieces as espeak-ng
// synthesises it. eSpeak NG is one per process (global state); the engine thread owns it.
#pragma once

#include <set>
#include <string>

#include "worker/audio/synthesizer.hpp"
#include "worker/engine_args.hpp"

namespace switchyard::worker::espeak_ng {

class EspeakSynthesizer final : public audio::Synthesizer {
 public:
  // Reads `voice` (default "en-us"; checked at load()); throws ArgError.
  EspeakSynthesizer(std::string data_dir, EngineArgs args);

  std::string_view name() const override { return "espeak-ng"; }
  void load() override;
  std::vector<std::string> voices() const override;
  std::string default_voice() const override { return default_voice_; }
  std::optional<std::string> resolve_voice(std::string_view requested) const override;
  void synthesize(const std::string& text, const std::string& voice, double speed,
                  const AudioCallback& on_audio) override;

  // OpenAI's voice names: the female ones -> "en-us+f3", the others -> "en-us+m3" (fable, the
  // British-sounding one, -> "en+m3").
  static std::optional<std::string> map_openai_voice(std::string_view name);

 private:
  std::string data_dir_;
  std::string default_voice_;
  int rate_ = 0;
  std::set<std::string> languages_;
  std::set<std::string> variants_;
};

}  // namespace switchyard::worker::espeak_ng
