// Turns a model's config and the port chosen for it into the argv and environment of its worker.
#pragma once

#include <cstdint>
#include <string>

#include "router/config/config.hpp"
#include "router/supervisor/worker_process.hpp"

namespace switchyard::supervisor {

inline constexpr std::string_view kWorkerHost = "127.0.0.1";

// Engine models run `worker_binary --engine E --model PATH --host H --port P --arg k=v...`;
// command models get ${HOST} ${PORT} ${MODEL_NAME} ${MODEL_PATH} substituted in each argument.
SpawnSpec make_spawn_spec(const config::ModelConfig& model, const std::string& worker_binary,
                          std::uint16_t port);

// An args value as the worker receives it: scalars as plain text, lists and maps as JSON.
std::string arg_value_text(const nlohmann::json& value);

}  // namespace switchyard::supervisor
