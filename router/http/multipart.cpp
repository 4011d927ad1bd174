#include "router/http/multipart.hpp"

#include <boost/algorithm/string/predicate.hpp>

namespace switchyard::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of `param` (e.g. name=) in a header value such as
// `form-data; name="model"; filename="a.wav"`.
std::optional<std::string> header_param(std::string_view value, std::string_view param) {
  std::size_t pos = 0;
  while (pos < value.size()) {
    std::size_t semi = value.find(';', pos);
    // Quoted values may hold ';', so skip over a quoted string when looking for the separator.
    std::size_t quote = value.find('"', pos);
    if (quote != std::string_view::npos && quote < semi) {
      const std::size_t close = value.find('"', quote + 1);
      if (close == std::string_view::npos) return std::nullopt;
      semi = value.find(';', close);
    }
    const std::string_view item =
        trim(value.substr(pos, semi == std::string_view::npos ? value.npos : semi - pos));
    const std::size_t eq = item.find('=');
    if (eq != std::string_view::npos && boost::algorithm::iequals(trim(item.substr(0, eq)), param)) {
      std::string_view v = trim(item.substr(eq + 1));
      if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
      return std::string(v);
    }
    if (semi == std::string_view::npos) break;
    pos = semi + 1;
  }
  return std::nullopt;
}

MultipartField malformed(std::string why) { return MultipartField{std::nullopt, std::move(why)}; }

}  // namespace

std::optional<std::string> multipart_boundary(std::string_view content_type) {
  const std::size_t semi = content_type.find(';');
  if (!boost::algorithm::iequals(trim(content_type.substr(0, semi)), "multipart/form-data")) {
    return std::nullopt;
  }
  if (semi == std::string_view::npos) return std::nullopt;
  auto boundary = header_param(content_type.substr(semi + 1), "boundary");
  // RFC 2046: 1 to 70 characters.
  if (!boundary || boundary->empty() || boundary->size() > 70) return std::nullopt;
  return boundary;
}

MultipartField find_multipart_field(std::string_view body, std::string_view content_type,
                                    std::string_view field_name) {
  const auto boundary = multipart_boundary(content_type);
  if (!boundary) {
    return malformed("expected Content-Type multipart/form-data with a boundary");
  }
  const std::string delimiter = "--" + *boundary;
  const std::string separator = "\r\n" + delimiter;

  if (!body.starts_with(delimiter)) return malformed("multipart body does not start with its boundary");
  std::size_t pos = delimiter.size();
  for (;;) {
    if (body.substr(pos, 2) == "--") return MultipartField{};  // closing delimiter
    if (body.substr(pos, 2) != "\r\n") return malformed("malformed multipart boundary line");
    pos += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return malformed("multipart part without headers end");
    const std::string_view headers = body.substr(pos, headers_end - pos);
    const std::size_t content_begin = headers_end + 4;
    const std::size_t content_end = body.find(separator, content_begin);
    if (content_end == std::string_view::npos) {
      return malformed("multipart body is truncated (no closing boundary)");
    }

    std::optional<std::string> name;
    std::size_t line_start = 0;
    while (line_start <= headers.size()) {
      const std::size_t line_end = headers.find("\r\n", line_start);
      const std::string_view line = headers.substr(
          line_start, line_end == std::string_view::npos ? headers.npos : line_end - line_start);
      const std::size_t colon = line.find(':');
      if (colon != std::string_view::npos &&
          boost::algorithm::iequals(trim(line.substr(0, colon)), "content-disposition")) {
        name = header_param(line.substr(colon + 1), "name");
      }
      if (line_end == std::string_view::npos) break;
      line_start = line_end + 2;
    }
    if (!name) return malformed("multipart part without a Content-Disposition name");
    if (*name == field_name) {
      return MultipartField{std::string(body.substr(content_begin, content_end - content_begin)),
                            std::nullopt};
    }
    pos = content_end + separator.size();
  }
}

}  // namespace switchyard::http
