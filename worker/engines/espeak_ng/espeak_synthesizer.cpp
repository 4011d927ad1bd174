#include "worker/engines/espeak_ng/espeak_synthesizer.hpp"

#include <espeak-ng/speak_lib.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <span>

namespace switchyard::worker::espeak_ng {
namespace {

constexpr int kDefaultWordsPerMinute = 175;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

struct SynthCall {
  const audio::Synthesizer::AudioCallback* on_audio;
  int rate;
  bool stopped = false;
  std::exception_ptr error;
};

int on_synth(short* wav, int count, espeak_EVENT* events) {
  auto* call = static_cast<SynthCall*>(events != nullptr ? events->user_data : nullptr);
  if (call == nullptr || wav == nullptr || count <= 0) return call != nullptr && call->stopped;
  try {
    if (!(*call->on_audio)(std::span<const std::int16_t>(wav, static_cast<std::size_t>(count)),
                           call->rate)) {
      call->stopped = true;
    }
  } catch (...) {
    call->error = std::current_exception();
    call->stopped = true;
  }
  return call->stopped ? 1 : 0;
}

}  // namespace

EspeakSynthesizer::EspeakSynthesizer(std::string data_dir, EngineArgs args)
    : data_dir_(std::move(data_dir)) {
  default_voice_ = args.get_string("voice").value_or("en-us");
  args.reject_unknown("espeak-ng", {"voice"});
}

void EspeakSynthesizer::load() {
  namespace fs = std::filesystem;
  if (!fs::exists(fs::path(data_dir_) / "phontab")) {
    throw std::runtime_error("espeak-ng: " + data_dir_ +
                             " is not an espeak-ng-data folder (it has no phontab)");
  }
  // espeak-ng looks for <path>/espeak-ng-data, or takes the path itself when it holds the data.
  rate_ = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_dir_.c_str(), 0);
  if (rate_ <= 0) throw std::runtime_error("espeak-ng cannot initialise from " + data_dir_);
  espeak_SetSynthCallback(on_synth);
  for (const espeak_VOICE** v = espeak_ListVoices(nullptr); v != nullptr && *v != nullptr; ++v) {
    // languages: a priority byte, a name, a zero byte; repeated; ends with an extra zero byte.
    for (const char* p = (*v)->languages; p != nullptr && *p != 0; p += std::strlen(p + 1) + 2) {
      languages_.insert(lower(p + 1));
    }
  }
  espeak_VOICE spec{};
  spec.languages = "variant";
  for (const espeak_VOICE** v = espeak_ListVoices(&spec); v != nullptr && *v != nullptr; ++v) {
    std::string id = (*v)->identifier != nullptr ? (*v)->identifier : "";
    if (const auto slash = id.rfind('/'); slash != std::string::npos) id = id.substr(slash + 1);
    if (!id.empty()) variants_.insert(lower(id));
  }
  if (languages_.empty()) throw std::runtime_error("espeak-ng lists no voices in " + data_dir_);
  if (!resolve_voice(default_voice_)) {
    throw std::runtime_error("espeak-ng has no voice '" + default_voice_ + "' (arg 'voice')");
  }
  spdlog::info("espeak-ng: ready ({} languages, {} Hz, default voice {})", languages_.size(),
               rate_, default_voice_);
}

std::vector<std::string> EspeakSynthesizer::voices() const {
  std::vector<std::string> out(languages_.begin(), languages_.end());
  std::string variants;
  for (const auto& v : variants_) variants += (variants.empty() ? "" : ", ") + v;
  out.push_back("each optionally with +VARIANT (" + variants + ")");
  return out;
}

std::optional<std::string> EspeakSynthesizer::map_openai_voice(std::string_view name) {
  const auto female = audio::openai_voice_is_female(name);
  if (!female) return std::nullopt;
  if (*female) return "en-us+f3";
  return name == "fable" ? "en+m3" : "en-us+m3";
}

std::optional<std::string> EspeakSynthesizer::resolve_voice(std::string_view requested) const {
  if (auto mapped = map_openai_voice(requested)) return mapped;
  const std::string voice = lower(requested);
  const auto plus = voice.find('+');
  const std::string language = voice.substr(0, plus);
  if (!languages_.contains(language)) return std::nullopt;
  if (plus != std::string::npos && !variants_.contains(voice.substr(plus + 1))) {
    return std::nullopt;
  }
  return voice;
}

void EspeakSynthesizer::synthesize(const std::string& text, const std::string& voice,
                                   double speed, const AudioCallback& on_audio) {
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) {
    throw std::runtime_error("espeak-ng cannot select the voice " + voice);
  }
  const int wpm = std::clamp(static_cast<int>(kDefaultWordsPerMinute * speed), 80, 450);
  espeak_SetParameter(espeakRATE, wpm, 0);
  SynthCall call{&on_audio, rate_, false, nullptr};
  const espeak_ERROR result = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0,
                                           espeakCHARS_UTF8, nullptr, &call);
  espeak_Synchronize();
  if (call.error) std::rethrow_exception(call.error);
  if (result != EE_OK && !call.stopped) {
    throw std::runtime_error("espeak-ng failed to synthesise the input");
  }
}

}  // namespace switchyard::worker::espeak_ng
