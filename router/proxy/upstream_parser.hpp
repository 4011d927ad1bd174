// Parses a worker's response for the relay. Beast's response_parser stores every field in a
// basic_fields, an allocation each, and the relay then walked them to copy the ones it passes on
// into the client's head; this parser writes those out as it meets them, into text the worker
// connection keeps from one response to the next, and keeps only what the relay decides on.
// The body goes into a window the caller sets, as with Beast's buffer_body.
#pragma once

#include <boost/beast/http/basic_parser.hpp>
#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::proxy {

// The worker's fields that reach the client, each as "Name: value\r\n".
struct PassedFields {
  std::string general;  // all but those below
  std::string caching;  // Cache-Control and X-Accel-Buffering, which an SSE stream sets itself
};

class UpstreamParser : public boost::beast::http::basic_parser<false> {
 public:
  // Where the next body bytes go: `data` advances and `size` shrinks as they arrive. The parser
  // stops with error::need_buffer when the window is full or was never set.
  struct BodyWindow {
    char* data = nullptr;
    std::size_t size = 0;
  };

  // Clears `fields` and fills it in as the header is parsed; it must outlive the parser.
  explicit UpstreamParser(PassedFields& fields);

  BodyWindow& body() { return body_; }
  unsigned status() const { return status_; }
  unsigned version() const { return version_; }
  std::string_view reason() const { return reason_; }
  // Content-Type text/event-stream.
  bool is_event_stream() const { return event_stream_; }

 private:
  void on_request_impl(boost::beast::http::verb, boost::beast::string_view,
                       boost::beast::string_view, int, boost::system::error_code&) override;
  void on_response_impl(int code, boost::beast::string_view reason, int version,
                        boost::system::error_code& ec) override;
  void on_field_impl(boost::beast::http::field name, boost::beast::string_view name_string,
                     boost::beast::string_view value, boost::system::error_code& ec) override;
  void on_header_impl(boost::system::error_code& ec) override;
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         boost::system::error_code& ec) override;
  std::size_t on_body_impl(boost::beast::string_view body, boost::system::error_code& ec) override;
  void on_chunk_header_impl(std::uint64_t size, boost::beast::string_view extensions,
                            boost::system::error_code& ec) override;
  std::size_t on_chunk_body_impl(std::uint64_t remain, boost::beast::string_view body,
                                 boost::system::error_code& ec) override;
  void on_finish_impl(boost::system::error_code& ec) override;

  PassedFields& fields_;
  BodyWindow body_;
  unsigned status_ = 0;
  unsigned version_ = 11;
  std::string reason_;
  bool event_stream_ = false;
};

}  // namespace switchyard::proxy
