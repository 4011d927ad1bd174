#include "router/http/json_scan.hpp"

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>

namespace switchyard::http {

namespace {

int hex_digit(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The four hex digits of a \u escape at `p`, or nothing.
std::optional<std::uint32_t> hex4(const unsigned char* p, const unsigned char* end) {
  if (end - p < 4) return std::nullopt;
  std::uint32_t value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = hex_digit(p[i]);
    if (digit < 0) return std::nullopt;
    value = value << 4 | static_cast<std::uint32_t>(digit);
  }
  return value;
}

bool is_high_surrogate(std::uint32_t code) { return code >= 0xD800 && code <= 0xDBFF; }
bool is_low_surrogate(std::uint32_t code) { return code >= 0xDC00 && code <= 0xDFFF; }

// Length of the well-formed UTF-8 sequence at `p` (Unicode table 3-7), or 0.
std::size_t utf8_sequence(const unsigned char* p, const unsigned char* end) {
  const unsigned char lead = p[0];
  std::size_t length;
  unsigned char low = 0x80, high = 0xBF;  // range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (static_cast<std::size_t>(end - p) < length) return 0;
  if (p[1] < low || p[1] > high) return 0;
  for (std::size_t i = 2; i < length; ++i) {
    if (p[i] < 0x80 || p[i] > 0xBF) return 0;
  }
  return length;
}

void append_utf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | code >> 6);
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | code >> 12);
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | code >> 18);
    out += static_cast<char>(0x80 | (code >> 12 & 0x3F));
    out += static_cast<char>(0x80 | (code >> 6 & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

// Bytes that stand for themselves inside a string: printable ASCII but the quote and backslash.
constexpr std::array<bool, 256> kPlainInString = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

class Scanner {
 public:
  Scanner(std::string_view text, JsonEvents& events)
      : p_(reinterpret_cast<const unsigned char*>(text.data())), end_(p_ + text.size()),
        events_(events) {}

  JsonScanError run() {
    if (end_ - p_ >= 3 && p_[0] == 0xEF && p_[1] == 0xBB && p_[2] == 0xBF) p_ += 3;
    enum class Next { value, key, after_value } next = Next::value;
    for (;;) {
      skip_whitespace();
      switch (next) {
        case Next::value:
          if (p_ == end_) return JsonScanError::syntax;
          if (*p_ == '{' || *p_ == '[') {
            const bool array = *p_++ == '[';
            if (depth_ == kMaxJsonDepth) return JsonScanError::too_deep;
            open_is_array_[depth_++] = array;
            array ? events_.start_array() : events_.start_object();
            skip_whitespace();
            if (p_ != end_ && *p_ == (array ? ']' : '}')) {
              close();
              next = Next::after_value;
            } else {
              next = array ? Next::value : Next::key;
            }
            continue;
          }
          if (*p_ == '"') {
            const auto value = string();
            if (!value) return JsonScanError::syntax;
            events_.string(*value);
          } else if (!scalar()) {
            return JsonScanError::syntax;
          } else {
            events_.scalar();
          }
          next = Next::after_value;
          continue;
        case Next::key: {
          if (p_ == end_ || *p_ != '"') return JsonScanError::syntax;
          const auto name = string();
          if (!name) return JsonScanError::syntax;
          skip_whitespace();
          if (p_ == end_ || *p_ != ':') return JsonScanError::syntax;
          ++p_;
          events_.key(*name);
          next = Next::value;
          continue;
        }
        case Next::after_value:
          if (depth_ == 0) return p_ == end_ ? JsonScanError::none : JsonScanError::syntax;
          if (p_ == end_) return JsonScanError::syntax;
          if (*p_ == ',') {
            ++p_;
            next = open_is_array_[depth_ - 1] ? Next::value : Next::key;
          } else if (*p_ == (open_is_array_[depth_ - 1] ? ']' : '}')) {
            close();
          } else {
            return JsonScanError::syntax;
          }
          continue;
      }
    }
  }

 private:
  void skip_whitespace() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  // Consumes the closing bracket at p_.
  void close() {
    ++p_;
    open_is_array_[--depth_] ? events_.end_array() : events_.end_object();
  }

  // The string starting at the quote at p_. Runs of plain ASCII, nearly all of a request body,
  // are skipped a byte per table lookup; only the rest is looked at closely.
  std::optional<JsonString> string() {
    const unsigned char* start = ++p_;
    bool escaped = false;
    for (;;) {
      while (p_ != end_ && kPlainInString[*p_]) ++p_;
      if (p_ == end_) return std::nullopt;
      const unsigned char c = *p_;
      if (c == '"') {
        const std::size_t length = static_cast<std::size_t>(p_ - start);
        JsonString result{{reinterpret_cast<const char*>(start), length}, escaped};
        ++p_;
        return result;
      }
      if (c == '\\') {
        escaped = true;
        if (!escape()) return std::nullopt;
        continue;
      }
      // What is left is a control character (an error) or the lead byte of a UTF-8 sequence.
      const std::size_t length = utf8_sequence(p_, end_);
      if (length == 0) return std::nullopt;
      p_ += length;
    }
  }

  // The escape starting at the backslash at p_.
  bool escape() {
    if (end_ - p_ < 2) return false;
    const unsigned char kind = p_[1];
    p_ += 2;
    switch (kind) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return true;
      case 'u': {
        const auto code = hex4(p_, end_);
        if (!code || is_low_surrogate(*code)) return false;
        p_ += 4;
        if (!is_high_surrogate(*code)) return true;
        if (end_ - p_ < 6 || p_[0] != '\\' || p_[1] != 'u') return false;
        const auto low = hex4(p_ + 2, end_);
        if (!low || !is_low_surrogate(*low)) return false;
        p_ += 6;
        return true;
      }
      default:
        return false;
    }
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(reinterpret_cast<const char*>(p_), word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool digits() {
    const unsigned char* start = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != start;
  }

  // A number or literal at p_; what follows it is checked by the caller.
  bool scalar() {
    switch (*p_) {
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: break;
    }
    if (*p_ == '-') ++p_;
    if (p_ == end_) return false;
    if (*p_ == '0') {
      ++p_;
    } else if (!digits()) {
      return false;
    }
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      if (!digits()) return false;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!digits()) return false;
    }
    return true;
  }

  const unsigned char* p_;
  const unsigned char* const end_;
  JsonEvents& events_;
  std::size_t depth_ = 0;
  std::bitset<kMaxJsonDepth> open_is_array_;
};

}  // namespace

std::string JsonString::decode() const {
  if (!escaped) return std::string(raw);
  std::string out;
  out.reserve(raw.size());
  const auto* p = reinterpret_cast<const unsigned char*>(raw.data());
  const auto* end = p + raw.size();
  while (p != end) {
    if (*p != '\\') {
      out += static_cast<char>(*p++);
      continue;
    }
    const unsigned char kind = p[1];
    p += 2;
    switch (kind) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case 'u': {
        std::uint32_t code = *hex4(p, end);
        p += 4;
        if (is_high_surrogate(code)) {
          code = 0x10000 + ((code - 0xD800) << 10) + (*hex4(p + 2, end) - 0xDC00);
          p += 6;
        }
        append_utf8(out, code);
        break;
      }
      default: out += static_cast<char>(kind); break;  // " \ /
    }
  }
  return out;
}

bool JsonString::equals(std::string_view text) const {
  return escaped ? decode() == text : raw == text;
}

JsonScanError scan_json(std::string_view text, JsonEvents& events) {
  return Scanner(text, events).run();
}

}  // namespace switchyard::http
