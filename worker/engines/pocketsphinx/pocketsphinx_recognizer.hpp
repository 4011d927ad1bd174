// The `pocketsphinx` engine: CMU PocketSphinx (Debian's libpocketsphinx, 5prealpha) with an
// acoustic model, a language model and a pronunciation dictionary; by default the model folder
// of Debian's pocketsphinx-en-us (--model /usr/share/pocketsphinx/model/en-us). Audio is fed in
// small blocks; pocketsphinx's voice-activity detection ends an utterance at each pause, which
// becomes one segment (words with their times from the best path). English only; no translation.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "worker/audio/recognizer.hpp"
#include "worker/engine_args.hpp"

struct ps_decoder_s;
struct cmd_ln_s;

namespace switchyard::worker::pocketsphinx {

struct PocketsphinxOptions {
  std::string hmm;   // acoustic model folder
  std::string lm;    // language model (.lm.bin / .lm)
  std::string dict;  // pronunciation dictionary
};

// Reads `hmm`, `lm`, `dict` (defaults from the Debian layout under `model_dir`); throws ArgError.
PocketsphinxOptions parse_pocketsphinx_options(const std::string& model_dir, EngineArgs args);

class PocketsphinxRecognizer final : public audio::Recognizer {
 public:
  explicit PocketsphinxRecognizer(PocketsphinxOptions options);
  ~PocketsphinxRecognizer() override;

  std::string_view name() const override { return "pocketsphinx"; }
  void load() override;
  bool translates() const override { return false; }
  void check(const audio::RecognizeOptions& options) const override;
  audio::Transcript recognize(audio::AudioDecoder& audio, const audio::RecognizeOptions& options,
                              const SegmentCallback& on_segment,
                              const CancelledFn& cancelled) override;

 private:
  // Ends the utterance and appends its segment (if it has words) to `transcript`.
  void finish_utterance(audio::Transcript& transcript, const SegmentCallback& on_segment);

  PocketsphinxOptions options_;
  cmd_ln_s* config_ = nullptr;
  ps_decoder_s* decoder_ = nullptr;
};

}  // namespace switchyard::worker::pocketsphinx
