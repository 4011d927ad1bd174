// The checks that need more than one value at a time, or the filesystem: listen addresses
// against keys and each other, model names against aliases, binaries and model files that must
// exist. Single values (units, ranges, enums, syntax) are refused while parsing, in loader.cpp.
#pragma once

#include "router/config/config.hpp"
#include "router/config/diagnostics.hpp"
#include "router/config/loader.hpp"
#include "router/config/source_map.hpp"

namespace switchyard::config {

// `config` has its paths resolved (absolute runtime_dir and worker_binary). `env` supplies PATH
// for command binaries given without a '/'.
void validate(const Config& config, const SourceMap& places, const EnvLookup& env,
              Diagnostics& diagnostics);

}  // namespace switchyard::config
