#include "worker/engines/registry.hpp"

#include "worker/audio/speech_engine.hpp"
#include "worker/audio/transcription_engine.hpp"
#include "worker/engines/espeak_ng/espeak_synthesizer.hpp"
#include "worker/engines/flite/flite_synthesizer.hpp"
#include "worker/engines/llama/llama_engine.hpp"
#include "worker/engines/pocketsphinx/pocketsphinx_recognizer.hpp"
#include "worker/engines/tesseract/tesseract_engine.hpp"
#include "worker/engines/whisper/whisper_recognizer.hpp"

namespace switchyard::worker {

std::vector<std::string> engine_names() {
  return {"llama", "tesseract", "pocketsphinx", "flite", "espeak-ng", "whisper"};
}

std::unique_ptr<Engine> make_engine(const std::string& name, const std::string& model_path,
                                    const std::string& model_id, EngineArgs args) {
  if (name == "llama") {
    return std::make_unique<llama::LlamaEngine>(model_path, model_id, std::move(args));
  }
  if (name == "tesseract") {
    return std::make_unique<tesseract::TesseractEngine>(model_path, model_id, std::move(args));
  }
  if (name == "pocketsphinx") {
    return std::make_unique<audio::TranscriptionEngine>(
        std::make_unique<pocketsphinx::PocketsphinxRecognizer>(
            pocketsphinx::parse_pocketsphinx_options(model_path, std::move(args))));
  }
  if (name == "whisper") {
    return std::make_unique<audio::TranscriptionEngine>(std::make_unique<whisper::WhisperRecognizer>(
        model_path, whisper::parse_whisper_options(std::move(args))));
  }
  if (name == "flite") {
    return std::make_unique<audio::SpeechEngine>(
        std::make_unique<flite::FliteSynthesizer>(flite::parse_flite_voice(std::move(args))));
  }
  if (name == "espeak-ng") {
    return std::make_unique<audio::SpeechEngine>(
        std::make_unique<espeak_ng::EspeakSynthesizer>(model_path, std::move(args)));
  }
  std::string names;
  for (const auto& known : engine_names()) names += (names.empty() ? "" : ", ") + known;
  throw ArgError("unknown engine '" + name + "'; known engines: " + names);
}

}  // namespace switchyard::worker
