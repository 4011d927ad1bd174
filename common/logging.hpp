// spdlog set-up shared by the router and the worker: one line per event on stderr, which
// journald captures under systemd.
#pragma once

#include <string_view>

namespace switchyard {

// `level` is one of trace, debug, info, warn, error; unknown values mean info.
void setup_logging(std::string_view program, std::string_view level);

}  // namespace switchyard
