#include "worker/engines/llama/job.hpp"

#include "common/sse.hpp"

namespace switchyard::worker::llama {

using nlohmann::json;

Job::Job(JobSpec spec, std::size_t n_choices, std::shared_ptr<ResponseSink> sink)
    : spec_(std::move(spec)), sink_(std::move(sink)), choices_(n_choices), remaining_(n_choices) {
  spec_.echo.resize(n_choices);
}

void Job::send_event(const json& payload) {
  started_ = true;
  sink_->chunk(std::string(sse::kContentType),
               sse::data_event(payload.dump(-1, ' ', false, json::error_handler_t::replace)));
}

void Job::on_start(std::size_t choice) {
  if (!spec_.stream || failed_) return;
  if (spec_.kind == JobKind::chat) {
    send_event(openai::chat_chunk(spec_.meta, choice, {{"role", "assistant"}, {"content", ""}},
                                  std::nullopt, spec_.include_usage));
  } else if (!spec_.echo[choice].empty()) {
    send_event(openai::completion_chunk(spec_.meta, choice, spec_.echo[choice], std::nullopt,
                                        spec_.include_usage));
  }
}

void Job::on_text(std::size_t choice, const std::string& text) {
  if (failed_ || text.empty()) return;
  if (!spec_.stream) {
    choices_[choice].text += text;
    return;
  }
  if (spec_.kind == JobKind::chat) {
    send_event(openai::chat_chunk(spec_.meta, choice, {{"content", text}}, std::nullopt,
                                  spec_.include_usage));
  } else {
    send_event(
        openai::completion_chunk(spec_.meta, choice, text, std::nullopt, spec_.include_usage));
  }
}

void Job::on_finish(std::size_t choice, std::string finish_reason, std::int64_t prompt_tokens,
                    std::int64_t completion_tokens) {
  if (failed_) return;
  usage_.prompt_tokens += prompt_tokens;
  usage_.completion_tokens += completion_tokens;
  choices_[choice].finish_reason = finish_reason;
  if (spec_.stream) {
    if (spec_.kind == JobKind::chat) {
      send_event(openai::chat_chunk(spec_.meta, choice, json::object(), finish_reason,
                                    spec_.include_usage));
    } else {
      send_event(
          openai::completion_chunk(spec_.meta, choice, "", finish_reason, spec_.include_usage));
    }
  }
  if (--remaining_ == 0) complete();
}

void Job::complete() {
  if (!spec_.stream) {
    if (spec_.kind == JobKind::chat) {
      sink_->reply_json(openai::chat_completion(spec_.meta, choices_, usage_));
    } else {
      for (std::size_t i = 0; i < choices_.size(); ++i) {
        choices_[i].text.insert(0, spec_.echo[i]);
      }
      sink_->reply_json(openai::text_completion(spec_.meta, choices_, usage_));
    }
    return;
  }
  if (spec_.include_usage) {
    send_event(spec_.kind == JobKind::chat ? openai::chat_usage_chunk(spec_.meta, usage_)
                                           : openai::completion_usage_chunk(spec_.meta, usage_));
  }
  sink_->chunk(std::string(sse::kContentType), sse::done_event());
  sink_->end();
}

void Job::fail(const ApiError& error) {
  if (failed_ || remaining_ == 0) return;
  failed_ = true;
  if (!started_) {
    sink_->reply_error(error);
    return;
  }
  sink_->chunk(std::string(sse::kContentType), sse::data_event(error.body()));
  sink_->end();
}

}  // namespace switchyard::worker::llama
