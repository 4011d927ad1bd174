// systemd's notify protocol (Type=notify). Every call is a no-op outside systemd.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace switchyard::systemd {

void notify_ready();
void notify_reloading();
void notify_stopping();
void notify_status(std::string_view status);
void notify_watchdog();
// Half of WatchdogSec when the unit sets it: how often to send WATCHDOG=1.
std::optional<std::chrono::milliseconds> watchdog_ping_interval();

}  // namespace switchyard::systemd
