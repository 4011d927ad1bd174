#include "worker/engines/pocketsphinx/pocketsphinx_recognizer.hpp"

#include <pocketsphinx.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "common/openai_error.hpp"

namespace switchyard::worker::pocketsphinx {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kBlock = 2048;  // samples per ps_process_raw call (128 ms)
constexpr double kFrameRate = 100.0;  // pocketsphinx's default -frate

// "word(2)" (an alternative pronunciation) -> "word"; fillers and silences -> "".
std::string clean_word(std::string_view word) {
  if (word.empty() || word.front() == '<' || word.front() == '[' || word.front() == '+') return {};
  if (const auto paren = word.find('('); paren != std::string_view::npos) {
    word = word.substr(0, paren);
  }
  return std::string(word);
}

}  // namespace

PocketsphinxOptions parse_pocketsphinx_options(const std::string& model_dir, EngineArgs args) {
  const fs::path dir(model_dir);
  const std::string stem = dir.filename().string();
  PocketsphinxOptions options;
  options.hmm = args.get_string("hmm").value_or((dir / stem).string());
  options.lm = args.get_string("lm").value_or((dir / (stem + ".lm.bin")).string());
  options.dict = args.get_string("dict").value_or((dir / ("cmudict-" + stem + ".dict")).string());
  args.reject_unknown("pocketsphinx", {"hmm", "lm", "dict"});
  return options;
}

PocketsphinxRecognizer::PocketsphinxRecognizer(PocketsphinxOptions options)
    : options_(std::move(options)) {}

PocketsphinxRecognizer::~PocketsphinxRecognizer() {
  if (decoder_ != nullptr) ps_free(decoder_);
  if (config_ != nullptr) cmd_ln_free_r(config_);
}

void PocketsphinxRecognizer::load() {
  for (const auto& [what, path] : {std::pair{"acoustic model (hmm)", options_.hmm},
                                   std::pair{"language model (lm)", options_.lm},
                                   std::pair{"dictionary (dict)", options_.dict}}) {
    if (!fs::exists(path)) {
      throw std::runtime_error(std::string("pocketsphinx: the ") + what + " " + path +
                               " does not exist");
    }
  }
  config_ = cmd_ln_init(nullptr, ps_args(), TRUE, "-hmm", options_.hmm.c_str(), "-lm",
                        options_.lm.c_str(), "-dict", options_.dict.c_str(), "-logfn",
                        "/dev/null", nullptr);
  if (config_ == nullptr) throw std::runtime_error("pocketsphinx: bad configuration");
  decoder_ = ps_init(config_);
  if (decoder_ == nullptr) {
    throw std::runtime_error("pocketsphinx cannot load the model " + options_.hmm);
  }
  spdlog::info("pocketsphinx: ready (hmm {}, lm {}, dict {})", options_.hmm, options_.lm,
               options_.dict);
}

void PocketsphinxRecognizer::check(const audio::RecognizeOptions& options) const {
  const std::string& lang = options.language;
  if (!lang.empty() && lang != "en" && lang.rfind("en-", 0) != 0 && lang != "english") {
    throw ApiError(ErrorKind::invalid_request,
                   "the pocketsphinx engine recognises English only ('en'), not '" + lang + "'",
                   "language");
  }
}

void PocketsphinxRecognizer::finish_utterance(audio::Transcript& transcript,
                                              const SegmentCallback& on_segment) {
  ps_end_utt(decoder_);
  std::int32_t score = 0;
  if (ps_get_hyp(decoder_, &score) == nullptr) return;
  audio::Segment segment;
  // Frame numbers count from the start of the stream (ps_start_stream, once per request).
  for (ps_seg_t* seg = ps_seg_iter(decoder_); seg != nullptr; seg = ps_seg_next(seg)) {
    std::string word = clean_word(ps_seg_word(seg));
    if (word.empty()) continue;
    int start_frame = 0;
    int end_frame = 0;
    ps_seg_frames(seg, &start_frame, &end_frame);
    const double start = start_frame / kFrameRate;
    const double end = (end_frame + 1) / kFrameRate;
    segment.text += " " + word;
    segment.words.push_back({word, start, end});
  }
  if (segment.words.empty()) return;
  segment.start = segment.words.front().start;
  segment.end = segment.words.back().end;
  transcript.segments.push_back(segment);
  on_segment(transcript.segments.back());
}

audio::Transcript PocketsphinxRecognizer::recognize(audio::AudioDecoder& audio,
                                                    const audio::RecognizeOptions&,
                                                    const SegmentCallback& on_segment,
                                                    const CancelledFn& cancelled) {
  audio::Transcript transcript;
  transcript.language = "english";
  std::vector<float> samples;
  std::vector<std::int16_t> block;
  bool in_speech = false;
  // A new stream: frame numbers start afresh. Live cepstral mean normalisation keeps adapting
  // across requests (resetting it to the model's initial estimate for each upload measured
  // clearly worse: 15% word errors instead of 4% on the round-trip test).
  ps_start_stream(decoder_);
  ps_start_utt(decoder_);
  bool more = true;
  while (more && !cancelled()) {
    samples.clear();
    more = audio.read(samples);
    for (std::size_t at = 0; at < samples.size() && !cancelled(); at += kBlock) {
      const std::size_t n = std::min(kBlock, samples.size() - at);
      block.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        block[i] = static_cast<std::int16_t>(
            std::lround(std::clamp(samples[at + i], -1.0f, 1.0f) * 32767.0f));
      }
      ps_process_raw(decoder_, block.data(), n, FALSE, FALSE);
      const bool speech = ps_get_in_speech(decoder_) != 0;
      if (speech) {
        in_speech = true;
      } else if (in_speech) {
        // A pause after speech ends the utterance: it becomes one segment.
        finish_utterance(transcript, on_segment);
        ps_start_utt(decoder_);
        in_speech = false;
      }
    }
  }
  finish_utterance(transcript, on_segment);
  transcript.duration = audio.seconds_out();
  return transcript;
}

}  // namespace switchyard::worker::pocketsphinx
