// Shapes recognised text into the chat responses every chat model gives (worker/openai/responses):
// one chat.completion, or a stream of chat.completion.chunk events. A "token" of this engine is a
// word with the whitespace after it: a stream sends one chunk per word, `max_tokens` counts words,
// and usage counts them (prompt_tokens: the words of the request's text parts plus one per image).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/engine.hpp"
#include "worker/openai/responses.hpp"

namespace switchyard::worker::tesseract {

// Each word with the whitespace that follows it (leading whitespace joins the first piece).
std::vector<std::string> split_words(std::string_view text);
// Tesseract's text for one image without trailing whitespace and form feeds.
std::string tidy_text(std::string_view raw);
// Whitespace-separated words.
std::int64_t count_words(std::string_view text);

class OcrReply {
 public:
  OcrReply(openai::ResponseMeta meta, bool stream, bool include_usage,
           std::optional<std::int64_t> max_tokens, std::int64_t prompt_tokens,
           std::shared_ptr<ResponseSink> sink);

  // A stream's opening chunk; call once the request is known to succeed.
  void begin();
  // One image's text, after those before it (separated by a blank line). Returns false once
  // max_tokens words have been sent: the rest of the images need not be read.
  bool add(std::string_view text);
  // finish_reason ("stop", or "length" when max_tokens cut the text), usage, end of stream.
  void finish();

 private:
  void send(const nlohmann::json& payload);

  openai::ResponseMeta meta_;
  bool stream_;
  bool include_usage_;
  std::optional<std::int64_t> max_tokens_;
  std::shared_ptr<ResponseSink> sink_;
  openai::Usage usage_;
  std::string text_;
  bool any_text_ = false;
  bool truncated_ = false;
};

}  // namespace switchyard::worker::tesseract
