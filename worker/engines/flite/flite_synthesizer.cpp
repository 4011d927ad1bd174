#include "worker/engines/flite/flite_synthesizer.hpp"

#include <flite/flite.h>
#include <spdlog/spdlog.h>

#include <array>
#include <mutex>
#include <span>

extern "C" {
cst_voice* register_cmu_us_slt(const char* voxdir);
cst_voice* register_cmu_us_kal16(const char* voxdir);
cst_voice* register_cmu_us_awb(const char* voxdir);
cst_voice* register_cmu_us_rms(const char* voxdir);
}

namespace switchyard::worker::flite {
namespace {

const std::array<std::string, 4> kVoices = {"slt", "kal16", "awb", "rms"};

}  // namespace

std::string parse_flite_voice(EngineArgs args) {
  std::string voice = args.get_string("voice").value_or("slt");
  args.reject_unknown("flite", {"voice"});
  if (voice == "kal") voice = "kal16";
  for (const auto& known : kVoices) {
    if (voice == known) return voice;
  }
  throw ArgError("arg 'voice' must be one of slt, kal16, awb, rms; got '" + voice + "'");
}

FliteSynthesizer::FliteSynthesizer(std::string default_voice)
    : default_voice_(std::move(default_voice)) {}

void FliteSynthesizer::load() {
  static std::once_flag init;
  std::call_once(init, [] { flite_init(); });
  voices_["slt"] = register_cmu_us_slt(nullptr);
  voices_["kal16"] = register_cmu_us_kal16(nullptr);
  voices_["awb"] = register_cmu_us_awb(nullptr);
  voices_["rms"] = register_cmu_us_rms(nullptr);
  for (const auto& [name, voice] : voices_) {
    if (voice == nullptr) throw std::runtime_error("flite cannot register the voice " + name);
  }
  spdlog::info("flite: ready (voices slt, kal16, awb, rms; default {})", default_voice_);
}

std::vector<std::string> FliteSynthesizer::voices() const {
  return {kVoices.begin(), kVoices.end()};
}

std::optional<std::string> FliteSynthesizer::map_openai_voice(std::string_view name) {
  const auto female = audio::openai_voice_is_female(name);
  if (!female) return std::nullopt;
  if (*female) return "slt";
  if (name == "ash" || name == "fable") return "awb";
  if (name == "echo" || name == "onyx") return "rms";
  return "kal16";
}

std::optional<std::string> FliteSynthesizer::resolve_voice(std::string_view requested) const {
  if (requested == "kal") return "kal16";
  for (const auto& known : kVoices) {
    if (requested == known) return known;
  }
  return map_openai_voice(requested);
}

void FliteSynthesizer::synthesize(const std::string& text, const std::string& voice_name,
                                  double speed, const AudioCallback& on_audio) {
  cst_voice* voice = voices_.at(voice_name);
  // duration_stretch > 1 slows speech down; the engine thread is the only user of the voice.
  feat_set_float(voice->features, "duration_stretch", static_cast<float>(1.0 / speed));
  cst_wave* wave = flite_text_to_wave(text.c_str(), voice);
  if (wave == nullptr) throw std::runtime_error("flite failed to synthesise the input");
  struct Free {
    cst_wave* w;
    ~Free() { delete_wave(w); }
  } free_wave{wave};
  if (wave->num_samples <= 0) return;
  on_audio(std::span<const std::int16_t>(wave->samples, static_cast<std::size_t>(wave->num_samples)),
           wave->sample_rate);
}

}  // namespace switchyard::worker::flite
