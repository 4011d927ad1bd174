// Parses a worker's HTTP/1.1 response for the relay, on the framing shared with the request
// parser (common/http/message_parser). Beast's response_parser stores every field in a
// basic_fields (an allocation each) for the relay to walk and copy into the client's head; this
// parser writes the fields that pass on straight out as text the worker connection keeps from one
// response to the next, and keeps only what the relay decides on. The body goes into a window the
// caller sets, as with Beast's buffer_body.
#pragma once

#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/http/message_parser.hpp"

namespace switchyard::proxy {

// The worker's fields that reach the client, each line as the worker wrote it, CRLF included.
struct PassedFields {
  std::string general;  // all but those below
  std::string caching;  // Cache-Control and X-Accel-Buffering, which an SSE stream sets itself
};

// Answers that end with their header whatever their fields say (RFC 9112 6.3): interim ones, 204
// and 304.
inline bool ends_with_header(unsigned status) {
  return status / 100 == 1 || status == 204 || status == 304;
}

class UpstreamParser final : public http::MessageParser {
 public:
  // Where the next body bytes go: `data` advances and `size` shrinks as they arrive. The parser
  // stops with error::need_buffer when the window is full or was never set.
  struct BodyWindow {
    char* data = nullptr;
    std::size_t size = 0;
  };

  // The status line with the fields, and the trailer section of a chunked body.
  static constexpr std::size_t kHeaderLimit = 16 * 1024;

  // Clears `fields` and fills it in as the header is parsed; it must outlive the parser.
  explicit UpstreamParser(PassedFields& fields);

  BodyWindow& body() { return body_; }
  const PassedFields& passed_fields() const { return fields_; }
  unsigned status() const { return status_; }
  std::string_view reason() const { return reason_; }
  // Content-Type text/event-stream.
  bool is_event_stream() const { return event_stream_; }

 private:
  void on_start_line(std::string_view line, boost::system::error_code& ec) override;
  void on_field(http::FieldName id, std::string_view line, std::string_view name,
                std::string_view value, boost::system::error_code& ec) override;
  void on_header(boost::system::error_code& ec) override;
  std::size_t on_body(std::string_view bytes, boost::system::error_code& ec) override;

  PassedFields& fields_;
  BodyWindow body_;
  unsigned status_ = 0;
  std::string reason_;
  bool event_stream_ = false;
};

}  // namespace switchyard::proxy
