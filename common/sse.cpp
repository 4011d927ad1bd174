#include "common/sse.hpp"

namespace switchyard::sse {
namespace {

void append_data_lines(std::string& out, std::string_view payload) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = payload.find('\n', start);
    out += "data: ";
    out += payload.substr(start, end == std::string_view::npos ? payload.npos : end - start);
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
}

}  // namespace

std::string data_event(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  append_data_lines(out, payload);
  out += '\n';
  return out;
}

std::string named_event(std::string_view name, std::string_view payload) {
  std::string out = "event: ";
  out += name;
  out += '\n';
  append_data_lines(out, payload);
  out += '\n';
  return out;
}

std::string done_event() { return "data: [DONE]\n\n"; }

}  // namespace switchyard::sse
