// Parses a worker's HTTP/1.1 response for the relay. Beast's response_parser stores every field
// in a basic_fields (an allocation each) for the relay to walk and copy into the client's head,
// and checks each byte through several tables; this parser writes the fields that pass on
// straight out as text the worker connection keeps from one response to the next, keeps only
// what the relay decides on, and finds the body's framing (Content-Length, chunked, or until the
// worker closes). The body goes into a window the caller sets, as with Beast's buffer_body.
//
// It speaks Beast's parser protocol (put, put_eof and the beast::http::error codes need_more,
// need_buffer, partial_message and the bad_* ones), so the same read loop drives both.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

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

class UpstreamParser {
 public:
  // Where the next body bytes go: `data` advances and `size` shrinks as they arrive. The parser
  // stops with error::need_buffer when the window is full or was never set.
  struct BodyWindow {
    char* data = nullptr;
    std::size_t size = 0;
  };

  // The status line with the fields, and the trailer section of a chunked body.
  static constexpr std::size_t kHeaderLimit = 16 * 1024;
  // A chunk-size line with its extensions.
  static constexpr std::size_t kChunkLineLimit = 4 * 1024;

  // Clears `fields` and fills it in as the header is parsed; it must outlive the parser.
  explicit UpstreamParser(PassedFields& fields);

  // Parses what `input` holds and gives how many bytes it used. `ec` is need_more when the
  // parser needs more input, need_buffer when body bytes wait for room in the window, a bad_*
  // error for a malformed response, else clear: the message is complete, or the header is (a
  // parser that is not eager stops there, as Beast's does).
  std::size_t put(boost::asio::const_buffer input, boost::system::error_code& ec);
  // The worker closed the connection: completes a body delimited by the close; anything else
  // unfinished is error::partial_message.
  void put_eof(boost::system::error_code& ec);
  // Eager: one put() goes on from the header into the body.
  void eager(bool on) { eager_ = on; }

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ != State::header; }
  bool is_done() const { return state_ == State::done; }
  // After the header: whether the connection can carry another request.
  bool keep_alive() const;
  bool chunked() const { return chunked_; }
  std::optional<std::uint64_t> content_length() const { return content_length_; }

  BodyWindow& body() { return body_; }
  const PassedFields& passed_fields() const { return fields_; }
  unsigned status() const { return status_; }
  unsigned version() const { return version_; }
  std::string_view reason() const { return reason_; }
  // Content-Type text/event-stream.
  bool is_event_stream() const { return event_stream_; }

 private:
  enum class State { header, body, until_close, chunk_size, chunk_data, chunk_end, trailers, done };

  // The size of the header up to its blank line, or npos while it is incomplete.
  std::size_t header_end(std::string_view input);
  std::size_t parse_header(std::string_view input, boost::system::error_code& ec);
  // `line` ends with CRLF.
  bool parse_status_line(std::string_view line);
  // `line` is the field's, with its CRLF; `value` is trimmed.
  void take_field(std::string_view line, std::size_t colon, std::string_view value,
                  boost::system::error_code& ec);
  void start_body(boost::system::error_code& ec);
  // Each parses from the start of `input`, gives the bytes used, and sets ec when it has to
  // stop (need_more included).
  std::size_t parse_body(std::string_view input, boost::system::error_code& ec);
  std::size_t parse_chunk_size(std::string_view input, boost::system::error_code& ec);
  std::size_t parse_trailers(std::string_view input, boost::system::error_code& ec);
  std::size_t to_window(std::string_view bytes, boost::system::error_code& ec);

  PassedFields& fields_;
  BodyWindow body_;
  State state_ = State::header;
  bool eager_ = false;
  bool got_some_ = false;
  std::size_t scanned_ = 0;  // where the search for the blank line resumes
  unsigned status_ = 0;
  unsigned version_ = 11;
  std::string reason_;
  bool event_stream_ = false;
  bool close_ = false;       // Connection: close
  bool keep_alive_ = false;  // Connection: keep-alive
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t remaining_ = 0;  // of the body or of the current chunk
};

}  // namespace switchyard::proxy
