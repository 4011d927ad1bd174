// The engines this worker can run, by the name given to --engine.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "worker/engine.hpp"
#include "worker/engine_args.hpp"

namespace switchyard::worker {

std::vector<std::string> engine_names();

// Throws ArgError for an unknown engine (listing the known ones) or bad engine args.
std::unique_ptr<Engine> make_engine(const std::string& name, const std::string& model_path,
                                    const std::string& model_id, EngineArgs args);

}  // namespace switchyard::worker
