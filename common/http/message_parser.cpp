#include "common/http/message_parser.hpp"

#include <array>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <cstring>

namespace switchyard::http {

using boost::system::error_code;
using error = boost::beast::http::error;
using namespace std::literals;

namespace {

constexpr std::string_view kCrlf = "\r\n";

constexpr std::array<bool, 256> kTokenChar = [] {
  std::array<bool, 256> table{};
  for (int c = '0'; c <= '9'; ++c) table[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) table[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] = true;
  for (const char c : "!#$%&'*+-.^_`|~"sv) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

constexpr std::array<bool, 256> kTextChar = [] {
  std::array<bool, 256> table{};
  for (int c = 0x20; c < 256; ++c) table[c] = c != 0x7f;
  table['\t'] = true;
  return table;
}();

bool all_in(std::string_view text, const std::array<bool, 256>& table) {
  bool all = true;
  for (const char c : text) all &= table[static_cast<unsigned char>(c)];
  return all;
}

}  // namespace

bool is_token(std::string_view text) { return !text.empty() && all_in(text, kTokenChar); }

bool is_field_text(std::string_view text) { return all_in(text, kTextChar); }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<std::uint64_t> parse_decimal(std::string_view digits) {
  if (digits.empty() || digits.size() > 19) return std::nullopt;
  std::uint64_t value = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value;
}

bool MessageParser::keep_alive() const {
  if (state_ == State::until_close) return false;
  return version_ >= 11 ? !close_ : keep_alive_ && !close_;
}

std::size_t MessageParser::put(boost::asio::const_buffer input, error_code& ec) {
  ec = {};
  const std::string_view all(static_cast<const char*>(input.data()), input.size());
  if (!all.empty() && state_ != State::header) got_some_ = true;  // parse_header tells for its part
  std::size_t used = 0;
  if (state_ == State::header) {
    used = parse_header(all, ec);
    if (ec || state_ == State::header || !eager_) return used;
  }
  while (!ec && state_ != State::done) {
    const std::string_view rest = all.substr(used);
    switch (state_) {
      case State::body:
      case State::until_close:
      case State::chunk_data:
        used += parse_body(rest, ec);
        break;
      case State::chunk_size:
        used += parse_chunk_size(rest, ec);
        break;
      case State::chunk_end:
        if (rest.size() < kCrlf.size()) {
          ec = rest.empty() || rest.front() == '\r' ? error::need_more : error::bad_chunk;
        } else if (!rest.starts_with(kCrlf)) {
          ec = error::bad_chunk;
        } else {
          used += kCrlf.size();
          state_ = State::chunk_size;
        }
        break;
      case State::trailers:
        used += parse_trailers(rest, ec);
        break;
      case State::header:
      case State::done:
        break;
    }
  }
  return used;
}

void MessageParser::put_eof(error_code& ec) {
  ec = {};
  if (state_ == State::until_close) state_ = State::done;
  if (state_ == State::done) return;
  ec = got_some_ ? error::partial_message : error::end_of_stream;
}

std::size_t MessageParser::header_end(std::string_view input) {
  // Line by line with memchr, resuming at the line the last put() ended in.
  for (std::size_t line = scanned_;;) {
    // memchr must not see the null data of an empty buffer, even for no bytes.
    const void* newline =
        line < input.size() ? std::memchr(input.data() + line, '\n', input.size() - line) : nullptr;
    if (newline == nullptr) {
      scanned_ = line;
      return std::string_view::npos;
    }
    const std::size_t next =
        static_cast<std::size_t>(static_cast<const char*>(newline) - input.data()) + 1;
    // The blank line (a bare LF is refused with the other lines).
    if (line > 0 && next - line <= kCrlf.size()) return next;
    line = next;
  }
}

std::size_t MessageParser::parse_header(std::string_view input, error_code& ec) {
  // Empty lines before the start line are ignored (RFC 9112 2.2: some clients send a CRLF after
  // a body), and used up, so that a peer sending nothing else cannot fill the buffer with them.
  std::size_t empty_lines = 0;
  while (scanned_ == 0 && input.substr(empty_lines).starts_with(kCrlf)) empty_lines += kCrlf.size();
  input.remove_prefix(empty_lines);
  // A peer that sent only empty lines (the last maybe in part) and then closed has started no
  // message.
  if (!input.empty() && input != "\r"sv) got_some_ = true;
  const std::size_t header_size = header_end(input.substr(0, header_limit_));
  if (header_size == std::string_view::npos) {
    ec = input.size() >= header_limit_ ? error::header_limit : error::need_more;
    return empty_lines;
  }
  // Every line ends with CRLF; a bare CR is a control character inside a line, refused below.
  std::string_view lines = input.substr(0, header_size);
  bool bare_lf = false;
  const auto next_line = [&lines, &bare_lf] {
    const auto* newline = static_cast<const char*>(std::memchr(lines.data(), '\n', lines.size()));
    const auto size = static_cast<std::size_t>(newline - lines.data()) + 1;
    bare_lf |= size < kCrlf.size() || newline[-1] != '\r';
    const std::string_view line = lines.substr(0, size);
    lines.remove_prefix(size);
    return line;
  };
  const std::string_view start_line = next_line();
  if (bare_lf) {
    ec = error::bad_version;
    return 0;
  }
  on_start_line(start_line.substr(0, start_line.size() - kCrlf.size()), ec);
  if (ec) return 0;
  for (std::string_view line = next_line(); line.size() > kCrlf.size(); line = next_line()) {
    const std::size_t colon = std::min(line.find(':'), line.size());
    const std::string_view name = line.substr(0, colon);
    // No colon, an empty or malformed name, or a folded line (obs-fold) starting with space.
    if (bare_lf || !is_token(name) || colon == line.size()) {
      ec = error::bad_field;
      return 0;
    }
    const std::string_view value = line.substr(colon + 1, line.size() - colon - 1 - kCrlf.size());
    if (!is_field_text(value)) {
      ec = error::bad_value;
      return 0;
    }
    const FieldName id = field_name(name);
    const std::string_view trimmed = trim(value);
    take_framing_field(id, trimmed);
    on_field(id, line, name, trimmed, ec);
    if (ec) return 0;
  }
  if (bare_lf) {
    ec = error::bad_field;
    return 0;
  }
  on_header(ec);
  if (!ec) start_body(ec);
  return ec ? 0 : empty_lines + header_size;
}

void MessageParser::take_framing_field(FieldName id, std::string_view value) {
  switch (id) {
    case FieldName::content_length: {
      const auto length = parse_decimal(value);
      bad_content_length_ |= !length || (content_length_ && *content_length_ != *length);
      content_length_ = length;
      return;
    }
    case FieldName::transfer_encoding:
      has_transfer_encoding_ = true;
      // Only the final coding decides: the body is chunked when it is `chunked`.
      for_each_element(value, [&](std::string_view coding) {
        chunked_ = boost::beast::iequals(coding, "chunked");
      });
      return;
    case FieldName::connection:
      for_each_element(value, [&](std::string_view option) {
        if (boost::beast::iequals(option, "close")) close_ = true;
        if (boost::beast::iequals(option, "keep-alive")) keep_alive_ = true;
      });
      return;
    default:
      return;
  }
}

void MessageParser::start_body(error_code& ec) {
  if (bad_content_length_) {
    ec = error::bad_content_length;
    return;
  }
  if (no_body_) {
    state_ = State::done;
    return;
  }
  if (has_transfer_encoding_) {
    // Both framings at once is how responses are split and requests smuggled.
    if (content_length_ || (!chunked_ && unframed_ == Unframed::empty)) {
      ec = error::bad_transfer_encoding;
      return;
    }
    state_ = chunked_ ? State::chunk_size : State::until_close;
    return;
  }
  if (content_length_) {
    remaining_ = *content_length_;
    state_ = remaining_ > 0 ? State::body : State::done;
    return;
  }
  state_ = unframed_ == Unframed::until_close ? State::until_close : State::done;
}

std::size_t MessageParser::parse_body(std::string_view input, error_code& ec) {
  if (input.empty()) {
    ec = error::need_more;
    return 0;
  }
  if (state_ != State::until_close && input.size() > remaining_)
    input = input.substr(0, remaining_);
  const std::size_t used = on_body(input, ec);
  if (state_ == State::until_close) return used;
  remaining_ -= used;
  if (remaining_ == 0) state_ = state_ == State::body ? State::done : State::chunk_end;
  return used;
}

std::size_t MessageParser::parse_chunk_size(std::string_view input, error_code& ec) {
  const std::size_t line_end = input.substr(0, kChunkLineLimit).find(kCrlf);
  if (line_end == std::string_view::npos) {
    ec = input.size() >= kChunkLineLimit ? error::bad_chunk : error::need_more;
    return 0;
  }
  const std::string_view line = input.substr(0, line_end);
  std::uint64_t size = 0;
  std::size_t digits = 0;
  for (; digits < line.size(); ++digits) {
    const char c = line[digits];
    unsigned value = 0;
    if (c >= '0' && c <= '9') {
      value = static_cast<unsigned>(c - '0');
    } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
      value = static_cast<unsigned>((c | 0x20) - 'a' + 10);
    } else {
      break;
    }
    if (size >> 60) {
      ec = error::bad_chunk;
      return 0;
    }
    size = size * 16 + value;
  }
  // What may follow the size: whitespace, then extensions (`;name=value`), which are not used.
  const std::string_view after = trim(line.substr(digits));
  if (digits == 0 || (!after.empty() && after.front() != ';') || !is_field_text(after)) {
    ec = error::bad_chunk;
    return 0;
  }
  remaining_ = size;
  state_ = size > 0 ? State::chunk_data : State::trailers;
  return line_end + kCrlf.size();
}

std::size_t MessageParser::parse_trailers(std::string_view input, error_code& ec) {
  // Trailer fields are read past: neither side of the proxy acts on them.
  const std::size_t end = input.starts_with(kCrlf) ? 0 : input.find("\r\n\r\n"sv);
  if (end == std::string_view::npos) {
    ec = input.size() > header_limit_ ? error::header_limit : error::need_more;
    return 0;
  }
  if (end > header_limit_) {
    ec = error::header_limit;
    return 0;
  }
  // Each trailer line must be a field line: one with a bare CR or LF would end the section
  // earlier for a reader that takes those for line ends, and hide the next request in it.
  for (std::string_view lines = input.substr(0, end); !lines.empty();) {
    const std::string_view line = lines.substr(0, std::min(lines.find(kCrlf), lines.size()));
    const std::size_t colon = std::min(line.find(':'), line.size());
    if (!is_token(line.substr(0, colon)) || colon == line.size() ||
        !is_field_text(line.substr(colon + 1))) {
      ec = error::bad_field;
      return 0;
    }
    lines.remove_prefix(std::min(line.size() + kCrlf.size(), lines.size()));
  }
  state_ = State::done;
  return end == 0 ? kCrlf.size() : end + 4;
}

}  // namespace switchyard::http
