#include "worker/audio/speech_engine.hpp"

#include <spdlog/spdlog.h>

#include <optional>

#include "common/sse.hpp"
#include "worker/openai/params.hpp"

namespace switchyard::worker::audio {

SpeechEngine::SpeechEngine(std::unique_ptr<Synthesizer> synthesizer)
    : synthesizer_(std::move(synthesizer)) {}

SpeechEngine::~SpeechEngine() { stop(); }

std::vector<Endpoint> SpeechEngine::endpoints() const { return {{"POST", "/v1/audio/speech"}}; }

void SpeechEngine::load() {
  synthesizer_->load();
  queue_.start();
}

void SpeechEngine::stop() {
  stopping_ = true;
  queue_.stop();
}

void SpeechEngine::submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) {
  try {
    if (stopping_) throw ApiError(ErrorKind::unavailable, "the worker is shutting down");
    SpeechRequest parsed = parse_speech_request(openai::parse_body(request.body));
    std::optional<std::string> voice =
        parsed.voice.empty() ? synthesizer_->default_voice() : synthesizer_->resolve_voice(parsed.voice);
    if (!voice) {
      std::string list;
      for (const auto& name : synthesizer_->voices()) list += (list.empty() ? "" : ", ") + name;
      throw ApiError(ErrorKind::invalid_request,
                     "unknown voice '" + parsed.voice + "' for engine " +
                         std::string(synthesizer_->name()) + "; its voices: " + list +
                         " (OpenAI's alloy, ash, ballad, coral, echo, fable, onyx, nova, sage, "
                         "shimmer, verse, marin and cedar map onto them)",
                     "voice");
    }
    auto job = std::make_shared<std::pair<SpeechRequest, std::string>>(std::move(parsed),
                                                                       std::move(*voice));
    queue_.post(sink, [this, job, sink] { run(job->first, job->second, *sink); });
  } catch (const ApiError& error) {
    sink->reply_error(error);
  } catch (const std::exception& error) {
    sink->reply_error(ApiError(ErrorKind::internal, error.what()));
  }
}

void SpeechEngine::run(const SpeechRequest& request, const std::string& voice,
                       ResponseSink& sink) {
  const std::string type(content_type(request.format));
  std::optional<StreamEncoder> encoder;  // streams: made with the first samples' rate
  std::vector<std::int16_t> whole;
  int rate = 0;
  bool streamed = false;
  auto send = [&](std::string bytes) {
    if (bytes.empty()) return;
    if (request.stream == StreamFormat::sse) {
      sink.chunk(std::string(sse::kContentType), speech_delta_event(bytes));
    } else {
      sink.chunk(type, std::move(bytes));
    }
    streamed = true;
  };
  try {
    auto on_audio = [&](std::span<const std::int16_t> samples, int samples_rate) {
      if (stopping_ || sink.cancelled()) return false;
      if (rate == 0) rate = samples_rate;
      if (samples_rate != rate) throw std::runtime_error("the voice changed its sample rate");
      if (request.stream == StreamFormat::none) {
        whole.insert(whole.end(), samples.begin(), samples.end());
      } else {
        if (!encoder) encoder.emplace(request.format, rate);
        send(encoder->push(samples));
      }
      return true;
    };
    for (const std::string& sentence : split_sentences(request.input)) {
      if (stopping_ || sink.cancelled()) break;
      synthesizer_->synthesize(sentence, voice, request.speed, on_audio);
    }
    if (stopping_ || sink.cancelled()) {
      if (streamed) sink.end();
      return;
    }
    if (rate == 0) {
      throw ApiError(ErrorKind::invalid_request,
                     "the input produced no speech (nothing speakable in it)", "input");
    }
    if (request.stream == StreamFormat::none) {
      sink.reply(200, type, encode_audio(whole, rate, request.format));
      return;
    }
    send(encoder->finish());
    if (request.stream == StreamFormat::sse) {
      sink.chunk(std::string(sse::kContentType), speech_done_event());
    }
    sink.end();
  } catch (const std::exception& error) {
    const ApiError api = [&] {
      if (const auto* known = dynamic_cast<const ApiError*>(&error)) return *known;
      return ApiError(ErrorKind::internal, error.what());
    }();
    spdlog::warn("{}: speech failed: {}", synthesizer_->name(), api.what());
    if (!streamed) {
      sink.reply_error(api);
    } else {
      if (request.stream == StreamFormat::sse) {
        sink.chunk(std::string(sse::kContentType), sse::data_event(api.body()));
      }
      sink.end();  // an audio stream cannot carry an error: it ends early
    }
  }
}

}  // namespace switchyard::worker::audio
