#include "common/http/multipart.hpp"

#include <algorithm>
#include <cctype>

namespace switchyard::http {
namespace {

constexpr std::size_t kMaxBoundary = 70;  // RFC 2046
constexpr std::size_t kMaxPartHeaders = 16 << 10;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Parameters of a header value: `type; key=value; key="quoted \" value"`. Returns the value of
// `key` (case-insensitive), unquoted; nothing when absent or malformed.
std::optional<std::string> header_param(std::string_view value, std::string_view key) {
  std::size_t pos = value.find(';');
  while (pos != std::string_view::npos) {
    ++pos;
    while (pos < value.size() && (value[pos] == ' ' || value[pos] == '\t')) ++pos;
    const std::size_t eq = value.find('=', pos);
    if (eq == std::string_view::npos) return std::nullopt;
    const std::string_view name = trim(value.substr(pos, eq - pos));
    std::string result;
    std::size_t i = eq + 1;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    if (i < value.size() && value[i] == '"') {
      ++i;
      bool closed = false;
      for (; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size()) {
          result += value[++i];
        } else if (value[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          result += value[i];
        }
      }
      if (!closed) return std::nullopt;
      pos = value.find(';', i);
    } else {
      pos = value.find(';', i);
      result = std::string(trim(value.substr(i, pos == std::string_view::npos ? pos : pos - i)));
    }
    if (iequals(name, key)) return result;
  }
  return std::nullopt;
}

bool fail(std::string* error, std::string message) {
  if (error != nullptr) *error = std::move(message);
  return false;
}

// Parses the header block of one part (without the blank line that ends it).
bool parse_part_headers(std::string_view block, MultipartPart& part, std::string* error) {
  bool has_disposition = false;
  while (!block.empty()) {
    const std::size_t eol = block.find("\r\n");
    const std::string_view line = block.substr(0, eol);
    block = eol == std::string_view::npos ? std::string_view{} : block.substr(eol + 2);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return fail(error, "a multipart part has a malformed header line");
    }
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "content-disposition")) {
      const std::string_view type = trim(value.substr(0, value.find(';')));
      if (!iequals(type, "form-data")) {
        return fail(error, "a multipart part's Content-Disposition is not form-data");
      }
      auto field = header_param(value, "name");
      if (!field) return fail(error, "a multipart part's Content-Disposition has no name");
      part.name = std::move(*field);
      part.filename = header_param(value, "filename").value_or("");
      has_disposition = true;
    } else if (iequals(name, "content-type")) {
      part.content_type = std::string(value);
    }
  }
  if (!has_disposition) return fail(error, "a multipart part has no Content-Disposition header");
  return true;
}

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  if (!iequals(type, "multipart/form-data")) return std::nullopt;
  auto boundary = header_param(content_type, "boundary");
  if (!boundary || boundary->empty() || boundary->size() > kMaxBoundary) return std::nullopt;
  return boundary;
}

std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                          std::string_view content_type,
                                                          std::string* error) {
  const auto boundary = multipart_boundary(content_type);
  if (!boundary) {
    fail(error, "expected Content-Type multipart/form-data with a boundary, got '" +
                    std::string(content_type) + "'");
    return std::nullopt;
  }
  const std::string dash = "--" + *boundary;
  const std::string delimiter = "\r\n" + dash;

  // The first boundary may be preceded by a preamble; it starts the body or follows a CRLF.
  std::size_t pos;
  if (body.substr(0, dash.size()) == dash) {
    pos = dash.size();
  } else {
    pos = body.find(delimiter);
    if (pos == std::string_view::npos) {
      fail(error, "the multipart body has no boundary '" + *boundary + "'");
      return std::nullopt;
    }
    pos += delimiter.size();
  }

  std::vector<MultipartPart> parts;
  for (;;) {
    // After a boundary: "--" ends the body, otherwise optional whitespace and a CRLF.
    if (body.substr(pos, 2) == "--") return parts;
    while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
    if (body.substr(pos, 2) != "\r\n") {
      fail(error, "the multipart body ends without its closing boundary");
      return std::nullopt;
    }
    pos += 2;
    // A part with no headers at all starts with the blank line directly.
    if (body.substr(pos, 2) == "\r\n") {
      fail(error, "a multipart part has no Content-Disposition header");
      return std::nullopt;
    }
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    MultipartPart part;
    if (headers_end == std::string_view::npos || headers_end - pos > kMaxPartHeaders) {
      fail(error, "a multipart part's headers do not end");
      return std::nullopt;
    }
    part.headers = body.substr(pos, headers_end - pos);
    if (!parse_part_headers(part.headers, part, error)) return std::nullopt;
    const std::size_t data_start = headers_end + 4;
    const std::size_t data_end = body.find(delimiter, data_start);
    if (data_end == std::string_view::npos) {
      fail(error, "the multipart body ends without its closing boundary");
      return std::nullopt;
    }
    part.data = body.substr(data_start, data_end - data_start);
    parts.push_back(std::move(part));
    pos = data_end + delimiter.size();
  }
}

const MultipartPart* find_part(const std::vector<MultipartPart>& parts, std::string_view name) {
  for (const MultipartPart& part : parts) {
    if (part.name == name) return &part;
  }
  return nullptr;
}

}  // namespace switchyard::http
