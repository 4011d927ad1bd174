#include "worker/audio/transcription_engine.hpp"

#include <spdlog/spdlog.h>

#include <chrono>

#include "common/sse.hpp"

namespace switchyard::worker::audio {

struct TranscriptionEngine::Job {
  EngineRequest request;  // owns the body the parsed request's file view points into
  TranscriptionRequest parsed;
  std::shared_ptr<ResponseSink> sink;
};

TranscriptionEngine::TranscriptionEngine(std::unique_ptr<Recognizer> recognizer)
    : recognizer_(std::move(recognizer)) {}

TranscriptionEngine::~TranscriptionEngine() { stop(); }

std::vector<Endpoint> TranscriptionEngine::endpoints() const {
  // Translations are listed for every recogniser: one that cannot translate answers a 400 that
  // names the engine, rather than a 404 that reads like a wrong URL.
  return {{"POST", "/v1/audio/transcriptions"}, {"POST", "/v1/audio/translations"}};
}

void TranscriptionEngine::load() {
  recognizer_->load();
  queue_.start();
}

void TranscriptionEngine::stop() {
  stopping_ = true;
  queue_.stop();
}

void TranscriptionEngine::submit(EngineRequest request, std::shared_ptr<ResponseSink> sink) {
  try {
    if (stopping_) throw ApiError(ErrorKind::unavailable, "the worker is shutting down");
    const AudioTask task = request.path == "/v1/audio/translations" ? AudioTask::translate
                                                                     : AudioTask::transcribe;
    if (task == AudioTask::translate && !recognizer_->translates()) {
      throw ApiError(ErrorKind::invalid_request,
                     "the " + std::string(recognizer_->name()) +
                         " engine does not translate; use /v1/audio/transcriptions or a whisper "
                         "model");
    }
    auto job = std::make_shared<Job>();
    job->request = std::move(request);
    job->parsed =
        parse_transcription_request(task, job->request.body, job->request.content_type);
    recognizer_->check({job->parsed.task, job->parsed.language, job->parsed.prompt,
                        job->parsed.temperature, job->parsed.word_timestamps});
    job->sink = sink;
    queue_.post(std::move(sink), [this, job] { run(*job); });
  } catch (const ApiError& error) {
    sink->reply_error(error);
  } catch (const std::exception& error) {
    sink->reply_error(ApiError(ErrorKind::internal, error.what()));
  }
}

void TranscriptionEngine::run(Job& job) {
  ResponseSink& sink = *job.sink;
  const TranscriptionRequest& request = job.parsed;
  bool streamed = false;
  try {
    const auto started = std::chrono::steady_clock::now();
    AudioDecoder decoder(request.file);
    auto cancelled = [&] { return stopping_.load() || sink.cancelled(); };
    bool first = true;
    auto on_segment = [&](const Segment& segment) {
      if (!request.stream || segment.text.empty()) return;
      std::string delta = segment.text;
      if (first) {
        const std::size_t start = delta.find_first_not_of(' ');
        delta = start == std::string::npos ? "" : delta.substr(start);
        if (delta.empty()) return;
      }
      first = false;
      sink.chunk(std::string(sse::kContentType), transcript_delta_event(delta));
      streamed = true;
    };
    Transcript transcript = recognizer_->recognize(
        decoder, {request.task, request.language, request.prompt, request.temperature,
                  request.word_timestamps},
        on_segment, cancelled);
    if (cancelled()) {
      spdlog::debug("{}: transcription cancelled", recognizer_->name());
      if (streamed) sink.end();
      return;
    }
    if (decoder.samples_out() == 0) {
      throw ApiError(ErrorKind::invalid_request, "the audio file holds no samples (0 seconds)",
                     "file");
    }
    spdlog::debug("{}: {:.1f} s of audio in {} ms", recognizer_->name(), transcript.duration,
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count());
    if (request.stream) {
      sink.chunk(std::string(sse::kContentType), transcript_done_event(transcript));
      sink.end();
      return;
    }
    FormattedTranscript out = format_transcript(transcript, request);
    sink.reply(200, std::move(out.content_type), std::move(out.body));
  } catch (const std::exception& error) {
    const ApiError api = [&] {
      if (const auto* known = dynamic_cast<const ApiError*>(&error)) return *known;
      return ApiError(ErrorKind::internal, error.what());
    }();
    if (!streamed) {
      sink.reply_error(api);
    } else {
      sink.chunk(std::string(sse::kContentType), sse::data_event(api.body()));
      sink.end();
    }
  }
}

}  // namespace switchyard::worker::audio
