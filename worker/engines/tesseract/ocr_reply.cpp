#include "worker/engines/tesseract/ocr_reply.hpp"

#include "common/sse.hpp"

namespace switchyard::worker::tesseract {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

}  // namespace

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> pieces;
  std::string current;
  bool in_space = false;
  for (const char c : text) {
    if (!is_space(c) && in_space && !current.empty() &&
        current.find_first_not_of(" \t\n\r\f") != std::string::npos) {
      pieces.push_back(std::move(current));
      current.clear();
    }
    in_space = is_space(c);
    current += c;
  }
  if (!current.empty()) pieces.push_back(std::move(current));
  return pieces;
}

std::string tidy_text(std::string_view raw) {
  std::size_t end = raw.size();
  while (end > 0 && is_space(raw[end - 1])) --end;
  return std::string(raw.substr(0, end));
}

std::int64_t count_words(std::string_view text) {
  std::int64_t n = 0;
  bool in_word = false;
  for (const char c : text) {
    if (!is_space(c) && !in_word) ++n;
    in_word = !is_space(c);
  }
  return n;
}

OcrReply::OcrReply(openai::ResponseMeta meta, bool stream, bool include_usage,
                   std::optional<std::int64_t> max_tokens, std::int64_t prompt_tokens,
                   std::shared_ptr<ResponseSink> sink)
    : meta_(std::move(meta)),
      stream_(stream),
      include_usage_(include_usage),
      max_tokens_(max_tokens),
      sink_(std::move(sink)) {
  usage_.prompt_tokens = prompt_tokens;
}

void OcrReply::send(const nlohmann::json& payload) {
  sink_->chunk(
      std::string(sse::kContentType),
      sse::data_event(payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

void OcrReply::begin() {
  if (stream_) {
    send(openai::chat_chunk(meta_, 0, {{"role", "assistant"}, {"content", ""}}, std::nullopt,
                            include_usage_));
  }
}

bool OcrReply::add(std::string_view text) {
  if (truncated_) return false;
  if (text.empty()) return true;
  std::vector<std::string> pieces = split_words(text);
  if (any_text_ && !pieces.empty()) pieces.front().insert(0, "\n\n");
  any_text_ = true;
  for (auto& piece : pieces) {
    if (max_tokens_ && usage_.completion_tokens >= *max_tokens_) {
      truncated_ = true;
      return false;
    }
    usage_.completion_tokens += 1;
    if (stream_) {
      send(openai::chat_chunk(meta_, 0, {{"content", piece}}, std::nullopt, include_usage_));
    } else {
      text_ += piece;
    }
  }
  return true;
}

void OcrReply::finish() {
  const std::string reason = truncated_ ? "length" : "stop";
  if (!stream_) {
    sink_->reply_json(openai::chat_completion(meta_, {{text_, reason}}, usage_));
    return;
  }
  send(openai::chat_chunk(meta_, 0, nlohmann::json::object(), reason, include_usage_));
  if (include_usage_) send(openai::chat_usage_chunk(meta_, usage_));
  sink_->chunk(std::string(sse::kContentType), sse::done_event());
  sink_->end();
}

}  // namespace switchyard::worker::tesseract
