// One HTTP generation request (chat or text completion) and the choices it is made of; shapes
// the scheduler's per-sequence events into OpenAI responses and hands them to the sink. Whole
// responses are sent once every choice has finished; streams send one chunk per event. Used by the
// scheduler thread only.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/openai_error.hpp"
#include "worker/engine.hpp"
#include "worker/openai/responses.hpp"

namespace switchyard::worker::llama {

enum class JobKind { chat, completion };

struct JobSpec {
  JobKind kind = JobKind::chat;
  openai::ResponseMeta meta;
  bool stream = false;
  bool include_usage = false;
  std::vector<std::string> echo;  // per choice: text sent before the generated text
};

class Job {
 public:
  Job(JobSpec spec, std::size_t n_choices, std::shared_ptr<ResponseSink> sink);

  // The choice's prompt has been decoded: streams send their opening chunk.
  void on_start(std::size_t choice);
  void on_text(std::size_t choice, const std::string& text);
  void on_finish(std::size_t choice, std::string finish_reason, std::int64_t prompt_tokens,
                 std::int64_t completion_tokens);
  // Fails the whole job: a JSON error before the stream started, an error event after.
  void fail(const ApiError& error);

  bool cancelled() const { return failed_ || sink_->cancelled(); }
  bool finished() const { return failed_ || remaining_ == 0; }

 private:
  void send_event(const nlohmann::json& payload);
  void complete();

  JobSpec spec_;
  std::shared_ptr<ResponseSink> sink_;
  std::vector<openai::Choice> choices_;
  std::size_t remaining_;
  openai::Usage usage_;
  bool started_ = false;  // a stream chunk went out
  bool failed_ = false;
};

}  // namespace switchyard::worker::llama
