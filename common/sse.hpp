// Server-Sent-Event framing as pure functions, shared by the worker (which writes events) and the
// router (which only adds its own error event when a worker dies mid-stream).
#pragma once

#include <string>
#include <string_view>

namespace switchyard::sse {

inline constexpr std::string_view kContentType = "text/event-stream";

// "data: <payload>\n\n"; a payload with newlines becomes several data: lines.
std::string data_event(std::string_view payload);
// "event: <name>\ndata: <payload>\n\n"
std::string named_event(std::string_view name, std::string_view payload);
// "data: [DONE]\n\n", OpenAI's end-of-stream marker.
std::string done_event();

}  // namespace switchyard::sse
