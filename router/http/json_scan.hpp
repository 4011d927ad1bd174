// A validating JSON tokenizer that builds nothing. The router needs two facts of each request
// body (the model, and the kinds of message parts) and pays for the scan on every proxied
// request: a general parser's document, or its SAX lexer that copies every token and number,
// cost more than the rest of the request's handling. Strings are handed over as raw slices of
// the input, decoded only by a handler that wants their value.
//
// Accepts exactly RFC 8259 JSON (UTF-8, surrogate pairs checked, an optional leading BOM
// skipped), nested at most kMaxJsonDepth deep.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace switchyard::http {

constexpr std::size_t kMaxJsonDepth = 1024;

// A string token: its bytes between the quotes, escapes not yet decoded.
struct JsonString {
  std::string_view raw;
  bool escaped = false;

  std::string decode() const;
  // Compares the decoded value without building it when there are no escapes.
  bool equals(std::string_view text) const;
};

class JsonEvents {
 public:
  virtual ~JsonEvents() = default;
  virtual void start_object() = 0;
  virtual void end_object() = 0;
  virtual void start_array() = 0;
  virtual void end_array() = 0;
  virtual void key(const JsonString& name) = 0;
  virtual void string(const JsonString& value) = 0;
  // A number, true, false or null.
  virtual void scalar() = 0;
};

enum class JsonScanError { none, syntax, too_deep };

// Reports each token to `events` in order; stops at the first error. Events already reported
// before an error stand, so a handler must not act on them until the scan succeeds.
JsonScanError scan_json(std::string_view text, JsonEvents& events);

}  // namespace switchyard::http
