#include "worker/engines/whisper/whisper_recognizer.hpp"

#include <spdlog/spdlog.h>
#include <whisper.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <thread>

#include "common/openai_error.hpp"

namespace switchyard::worker::whisper {
namespace {

// whisper.cpp logs in fragments; whole lines go to spdlog at debug level (errors at theirs).
void forward_log(ggml_log_level level, const char* text, void*) {
  thread_local std::string line;
  line += text;
  if (line.empty() || line.back() != '\n') return;
  line.pop_back();
  if (level == GGML_LOG_LEVEL_ERROR) {
    spdlog::error("whisper.cpp: {}", line);
  } else {
    spdlog::debug("whisper.cpp: {}", line);
  }
  line.clear();
}

// whisper.cpp's own window: one encoder pass. Audio is fed to it a window at a time, so a long
// file is never held as samples (16 kHz floats: many times the size of an mp3 or opus upload).
constexpr std::size_t kWindowSamples = 30 * audio::kRecognizerRate;

struct Run {
  const audio::Recognizer::CancelledFn* cancelled;
};

// Segment `i` of the last whisper_full() run over a window that starts `offset` seconds into the
// audio and ends at `end`; whisper's times (centiseconds into the window) are clamped to it.
audio::Segment read_segment(whisper_context* ctx, int i, bool words, double offset, double end) {
  auto at = [offset, end](std::int64_t centiseconds) {
    return std::clamp(offset + static_cast<double>(centiseconds) / 100.0, offset, end);
  };
  audio::Segment segment;
  segment.start = at(whisper_full_get_segment_t0(ctx, i));
  segment.end = std::max(segment.start, at(whisper_full_get_segment_t1(ctx, i)));
  segment.text = whisper_full_get_segment_text(ctx, i);
  if (segment.text.empty() || segment.text.front() != ' ') segment.text = " " + segment.text;
  segment.no_speech_prob = whisper_full_get_segment_no_speech_prob(ctx, i);
  const whisper_token eot = whisper_token_eot(ctx);
  double logprob = 0;
  const int n = whisper_full_n_tokens(ctx, i);
  for (int j = 0; j < n; ++j) {
    const whisper_token_data data = whisper_full_get_token_data(ctx, i, j);
    if (data.id >= eot) continue;  // special and timestamp tokens
    segment.tokens.push_back(data.id);
    logprob += data.plog;
    if (!words) continue;
    const std::string piece = whisper_full_get_token_text(ctx, i, j);
    const double t0 = at(data.t0);
    const double t1 = std::max(t0, at(data.t1));
    if (segment.words.empty() || (!piece.empty() && piece.front() == ' ')) {
      const std::size_t start = piece.find_first_not_of(' ');
      segment.words.push_back(
          {start == std::string::npos ? std::string() : piece.substr(start), t0, t1});
    } else {
      segment.words.back().word += piece;
      segment.words.back().end = t1;
    }
  }
  std::erase_if(segment.words, [](const audio::Word& w) { return w.word.empty(); });
  if (!segment.tokens.empty()) segment.avg_logprob = logprob / static_cast<double>(segment.tokens.size());
  return segment;
}

bool keep_going(void* user) { return !(*static_cast<Run*>(user)->cancelled)(); }
bool abort_now(void* user) { return (*static_cast<Run*>(user)->cancelled)(); }

}  // namespace

WhisperOptions parse_whisper_options(EngineArgs args) {
  WhisperOptions options;
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  options.threads = static_cast<int>(args.get_int("threads", 1, 512).value_or(std::min(cores, 4)));
  options.max_tokens = static_cast<int>(args.get_int("max_tokens", 0, 448).value_or(0));
  options.beam_size = static_cast<int>(args.get_int("beam_size", 0, 16).value_or(0));
  options.language = args.get_string("language").value_or("");
  if (!options.language.empty() && options.language != "auto" &&
      whisper_lang_id(options.language.c_str()) < 0) {
    throw ArgError("arg 'language' must be a language whisper knows (en, de, ...), got '" +
                   options.language + "'");
  }
  args.reject_unknown("whisper", {"threads", "max_tokens", "beam_size", "language"});
  return options;
}

WhisperRecognizer::WhisperRecognizer(std::string model_path, WhisperOptions options)
    : model_path_(std::move(model_path)), options_(std::move(options)) {}

WhisperRecognizer::~WhisperRecognizer() {
  if (ctx_ != nullptr) whisper_free(ctx_);
}

void WhisperRecognizer::load() {
  whisper_log_set(forward_log, nullptr);
  whisper_context_params params = whisper_context_default_params();
  params.use_gpu = false;
  ctx_ = whisper_init_from_file_with_params(model_path_.c_str(), params);
  if (ctx_ == nullptr) {
    throw std::runtime_error("whisper.cpp cannot load the model " + model_path_);
  }
  multilingual_ = whisper_is_multilingual(ctx_) != 0;
  spdlog::info("whisper: {} ready ({}, threads {})", model_path_,
               multilingual_ ? "multilingual" : "English-only", options_.threads);
}

void WhisperRecognizer::check(const audio::RecognizeOptions& options) const {
  const std::string& lang = options.language;
  if (lang.empty()) return;
  if (whisper_lang_id(lang.c_str()) < 0) {
    throw ApiError(ErrorKind::invalid_request,
                   "'language' must be an ISO-639-1 code whisper knows (en, de, fr, ...), got '" +
                       lang + "'",
                   "language");
  }
  if (!multilingual_ && lang != "en" && lang != "english") {
    throw ApiError(ErrorKind::invalid_request,
                   "this whisper model is English-only; it cannot transcribe '" + lang + "'",
                   "language");
  }
}

audio::Transcript WhisperRecognizer::recognize(audio::AudioDecoder& audio,
                                               const audio::RecognizeOptions& options,
                                               const SegmentCallback& on_segment,
                                               const CancelledFn& cancelled) {
  audio::Transcript transcript;
  whisper_full_params params = whisper_full_default_params(
      options_.beam_size > 0 ? WHISPER_SAMPLING_BEAM_SEARCH : WHISPER_SAMPLING_GREEDY);
  if (options_.beam_size > 0) params.beam_search.beam_size = options_.beam_size;
  params.n_threads = options_.threads;
  params.translate = options.task == audio::AudioTask::translate;
  std::string language = options.language.empty() ? options_.language : options.language;
  if (language.empty()) language = multilingual_ ? "auto" : "en";
  params.language = language.c_str();
  params.detect_language = false;
  params.initial_prompt = options.prompt.empty() ? nullptr : options.prompt.c_str();
  params.temperature = options.temperature;
  params.token_timestamps = options.word_timestamps;
  params.max_tokens = options_.max_tokens;
  params.print_progress = false;
  params.print_realtime = false;
  params.print_special = false;
  params.print_timestamps = false;
  Run run{&cancelled};
  params.encoder_begin_callback = [](whisper_context*, whisper_state*, void* user) {
    return keep_going(user);
  };
  params.encoder_begin_callback_user_data = &run;
  params.abort_callback = abort_now;
  params.abort_callback_user_data = &run;

  std::vector<float> window;  // samples from `offset` seconds on
  double offset = 0;
  bool more = true;
  for (bool first = true; !cancelled(); first = false) {
    while (more && window.size() < kWindowSamples && !cancelled()) {
      more = audio.read(window, kWindowSamples - window.size());
    }
    if (cancelled()) break;
    if (window.empty()) {
      if (!first) break;
      throw ApiError(ErrorKind::invalid_request, "the audio file holds no samples (0 seconds)",
                     "file");
    }
    // The text of earlier windows is the prompt of later ones (whisper's own carry-over).
    params.no_context = first;
    if (!first) params.initial_prompt = nullptr;
    const int result = whisper_full(ctx_, params, window.data(), static_cast<int>(window.size()));
    if (cancelled()) break;
    if (result != 0) {
      throw std::runtime_error("whisper.cpp failed (" + std::to_string(result) + ")");
    }
    const double end = offset + static_cast<double>(window.size()) / audio::kRecognizerRate;
    int n = whisper_full_n_segments(ctx_);
    // Unless the audio ends here, the window's last segment may be cut off mid-word: it is
    // decoded again, from its start, with the audio that follows.
    std::size_t keep_from = window.size();
    if (more && n >= 2) {
      const auto t0 = static_cast<std::size_t>(std::max<std::int64_t>(
          0, whisper_full_get_segment_t0(ctx_, n - 1) * audio::kRecognizerRate / 100));
      if (t0 > 0 && t0 < window.size()) {
        keep_from = t0;
        n -= 1;
      }
    }
    for (int i = 0; i < n; ++i) {
      transcript.segments.push_back(read_segment(ctx_, i, options.word_timestamps, offset, end));
      on_segment(transcript.segments.back());
    }
    if (!more) break;
    window.erase(window.begin(), window.begin() + static_cast<std::ptrdiff_t>(keep_from));
    offset += static_cast<double>(keep_from) / audio::kRecognizerRate;
  }
  transcript.duration = audio.seconds_out();
  if (cancelled()) return transcript;
  const int lang_id = whisper_full_lang_id(ctx_);
  transcript.language = lang_id >= 0 ? whisper_lang_str_full(lang_id) : "english";
  transcript.temperature = options.temperature;
  return transcript;
}

}  // namespace switchyard::worker::whisper
