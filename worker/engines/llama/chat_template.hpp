// Renders chat messages into a prompt with llama_chat_apply_template. The template is, in order:
// the `chat_template` arg (a name llama.cpp knows, such as chatml or llama3, or a template text
// it recognises), the model's tokenizer.chat_template, or chatml when the model has none or one
// llama.cpp cannot interpret (logged as a warning). llama_chat_apply_template does not run Jinja:
// it recognises the common template families by their text.
#pragma once

#include <llama.h>

#include <optional>
#include <string>
#include <vector>

#include "worker/openai/chat_request.hpp"

namespace switchyard::worker::llama {

class ChatTemplate {
 public:
  // Throws ArgError when `override_template` is not one llama.cpp supports.
  static ChatTemplate for_model(const llama_model* model,
                                const std::optional<std::string>& override_template);
  explicit ChatTemplate(std::string source) : source_(std::move(source)) {}

  // With the assistant's turn opened (add_generation_prompt). Throws ApiError on failure.
  std::string render(const std::vector<openai::ChatMessage>& messages) const;
  const std::string& source() const { return source_; }

 private:
  std::string source_;
};

// Whether llama.cpp can apply `source` (a name or a template text).
bool template_supported(const std::string& source);

}  // namespace switchyard::worker::llama
