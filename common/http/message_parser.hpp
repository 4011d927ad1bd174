// The HTTP/1.1 framing that the router's two parsers share: the client's request
// (common/http/request_parser) and the worker's response (router/proxy/upstream_parser). Beast's
// parsers store every field in a basic_fields, an allocation each, and check each byte through
// several tables; a proxy parses two messages per request. This one finds the header's lines with
// memchr, checks each field's name and value, acts on the fields that frame the message
// (Content-Length, Transfer-Encoding, Connection) and reads the body as framed: by length,
// chunked (extensions and trailers read past), or until the peer closes. What the start line and
// the other fields mean, and where body bytes go, is the derived parser's.
//
// It speaks Beast's parser protocol (put, put_eof, got_some and the beast::http::error codes
// need_more, need_buffer, partial_message and the bad_* ones), so http::read_some drives it.
#pragma once

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/http/field_name.hpp"

namespace switchyard::http {

// RFC 9110 5.6.2: a non-empty run of tchar.
bool is_token(std::string_view text);
// Field values and reason phrases: visible characters, spaces, tabs and obs-text; no controls.
bool is_field_text(std::string_view text);
// Without the spaces and tabs around it.
std::string_view trim(std::string_view text);
// Digits only, at most 19 of them.
std::optional<std::uint64_t> parse_decimal(std::string_view digits);

// Calls `each` with every trimmed, non-empty element of a comma-separated list.
template <class Each>
void for_each_element(std::string_view list, Each each) {
  while (!list.empty()) {
    const std::size_t comma = std::min(list.find(','), list.size());
    if (const std::string_view element = trim(list.substr(0, comma)); !element.empty()) {
      each(element);
    }
    list.remove_prefix(std::min(comma + 1, list.size()));
  }
}

class MessageParser {
 public:
  // A chunk-size line with its extensions.
  static constexpr std::size_t kChunkLineLimit = 4 * 1024;

  MessageParser(const MessageParser&) = delete;
  MessageParser& operator=(const MessageParser&) = delete;

  // Parses what `input` holds and gives how many bytes it used. `ec` is need_more when the
  // parser needs more input, need_buffer when body bytes wait for room, a bad_* error for a
  // malformed message, else clear: the message is complete, or the header is (a parser that is
  // not eager stops there, as Beast's does).
  std::size_t put(boost::asio::const_buffer input, boost::system::error_code& ec);
  // The peer closed the connection: completes a body delimited by the close; anything else
  // unfinished is error::partial_message.
  void put_eof(boost::system::error_code& ec);
  // Eager: one put() goes on from the header into the body.
  void eager(bool on) { eager_ = on; }

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ != State::header; }
  bool is_done() const { return state_ == State::done; }
  // After the header: whether the connection can carry another message.
  bool keep_alive() const;
  bool chunked() const { return chunked_; }
  std::optional<std::uint64_t> content_length() const { return content_length_; }
  unsigned version() const { return version_; }

 protected:
  // What a message framed by neither Content-Length nor Transfer-Encoding has: a request no
  // body, a response one that ends when the peer closes.
  enum class Unframed { empty, until_close };

  // `header_limit` bounds the start line with the fields, and the trailer section of a chunked
  // body.
  MessageParser(std::size_t header_limit, Unframed unframed)
      : header_limit_(header_limit), unframed_(unframed) {}
  ~MessageParser() = default;

  // The start line without its CRLF. Sets `ec` to refuse it; calls set_version otherwise.
  virtual void on_start_line(std::string_view line, boost::system::error_code& ec) = 0;
  // Each field once its name is checked to be a token and its value to hold no control
  // character, the framing ones included: `line` is as the peer wrote it, CRLF included, and
  // `value` is trimmed. Sets `ec` to refuse it.
  virtual void on_field(FieldName id, std::string_view line, std::string_view name,
                        std::string_view value, boost::system::error_code& ec) = 0;
  // After the last field, before the framing is decided. Sets `ec` to refuse the header, or
  // calls set_no_body.
  virtual void on_header(boost::system::error_code& ec) = 0;
  // Body bytes; gives how many it took. Sets need_buffer when it has no room for the rest, or
  // another error to stop.
  virtual std::size_t on_body(std::string_view bytes, boost::system::error_code& ec) = 0;

  void set_version(unsigned version) { version_ = version; }
  // The message has no body, whatever its fields say.
  void set_no_body() { no_body_ = true; }

 private:
  enum class State { header, body, until_close, chunk_size, chunk_data, chunk_end, trailers, done };

  // The size of the header up to its blank line, or npos while it is incomplete.
  std::size_t header_end(std::string_view input);
  std::size_t parse_header(std::string_view input, boost::system::error_code& ec);
  void take_framing_field(FieldName id, std::string_view value);
  void start_body(boost::system::error_code& ec);
  // Each parses from the start of `input`, gives the bytes used, and sets ec when it has to
  // stop (need_more included).
  std::size_t parse_body(std::string_view input, boost::system::error_code& ec);
  std::size_t parse_chunk_size(std::string_view input, boost::system::error_code& ec);
  std::size_t parse_trailers(std::string_view input, boost::system::error_code& ec);

  const std::size_t header_limit_;
  const Unframed unframed_;
  State state_ = State::header;
  bool eager_ = false;
  bool got_some_ = false;
  std::size_t scanned_ = 0;  // where the search for the blank line resumes
  unsigned version_ = 11;
  bool no_body_ = false;
  bool close_ = false;       // Connection: close
  bool keep_alive_ = false;  // Connection: keep-alive
  bool has_transfer_encoding_ = false;
  bool chunked_ = false;
  bool bad_content_length_ = false;
  std::optional<std::uint64_t> content_length_;
  std::uint64_t remaining_ = 0;  // of the body or of the current chunk
};

}  // namespace switchyard::http
