// POST /v1/completions: `prompt` as a string or a list of strings (one choice each).
#pragma once

#include <string>
#include <vector>

#include "worker/openai/params.hpp"

namespace switchyard::worker::openai {

struct CompletionRequest {
  std::string model;
  std::vector<std::string> prompts;
  bool echo = false;
  GenerationParams params;
};

CompletionRequest parse_completion_request(const json& body);

}  // namespace switchyard::worker::openai
