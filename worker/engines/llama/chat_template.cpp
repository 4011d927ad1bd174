#include "worker/engines/llama/chat_template.hpp"

#include <spdlog/spdlog.h>

#include "worker/engine_args.hpp"

namespace switchyard::worker::llama {
namespace {

constexpr const char* kDefaultTemplate = "chatml";

int apply(const std::string& source, const std::vector<llama_chat_message>& chat,
          std::string& out) {
  out.resize(4096);
  int n = llama_chat_apply_template(source.c_str(), chat.data(), chat.size(), true, out.data(),
                                    static_cast<int32_t>(out.size()));
  if (n > static_cast<int>(out.size())) {
    out.resize(static_cast<std::size_t>(n));
    n = llama_chat_apply_template(source.c_str(), chat.data(), chat.size(), true, out.data(),
                                  static_cast<int32_t>(out.size()));
  }
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return n;
}

}  // namespace

bool template_supported(const std::string& source) {
  const std::vector<llama_chat_message> probe = {{"user", "hello"}};
  std::string out;
  return apply(source, probe, out) >= 0;
}

ChatTemplate ChatTemplate::for_model(const llama_model* model,
                                     const std::optional<std::string>& override_template) {
  if (override_template) {
    if (!template_supported(*override_template)) {
      throw ArgError("arg 'chat_template': llama.cpp does not support the template '" +
                     override_template->substr(0, 80) + "'");
    }
    return ChatTemplate(*override_template);
  }
  const char* own = llama_model_chat_template(model, nullptr);
  if (own == nullptr) {
    spdlog::info("the model has no chat template; using {}", kDefaultTemplate);
    return ChatTemplate(kDefaultTemplate);
  }
  if (!template_supported(own)) {
    spdlog::warn("llama.cpp cannot apply the model's chat template; using {}", kDefaultTemplate);
    return ChatTemplate(kDefaultTemplate);
  }
  return ChatTemplate(own);
}

std::string ChatTemplate::render(const std::vector<openai::ChatMessage>& messages) const {
  std::vector<llama_chat_message> chat;
  chat.reserve(messages.size());
  for (const auto& m : messages) chat.push_back({m.role.c_str(), m.content.c_str()});
  std::string out;
  if (apply(source_, chat, out) < 0) {
    throw ApiError(ErrorKind::internal, "the chat template could not render these messages");
  }
  return out;
}

}  // namespace switchyard::worker::llama
