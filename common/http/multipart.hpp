// multipart/form-data (RFC 7578) as a pure function: the parts of a body, each a view into it.
// Shared by the worker (audio uploads) and the router (which reads only `model`).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::http {

struct MultipartPart {
  std::string name;          // Content-Disposition's name
  std::string filename;      // its filename, empty when absent
  std::string content_type;  // the part's Content-Type, empty when absent
  std::string_view headers;  // the part's header lines without the blank line, a view
  std::string_view data;     // the part's bytes, a view into the body
};

// The `boundary` parameter of a multipart/form-data Content-Type, or nothing when the type is
// not multipart/form-data or names no usable boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// Splits `body` into its parts. Returns nothing, with a reason in `*error` (when not null), for a
// content type that is not multipart/form-data with a boundary, a missing closing boundary, or a
// part whose headers are malformed or lack a Content-Disposition name.
std::optional<std::vector<MultipartPart>> parse_multipart(std::string_view body,
                                                          std::string_view content_type,
                                                          std::string* error);

// The first part called `name`, or null.
const MultipartPart* find_part(const std::vector<MultipartPart>& parts, std::string_view name);

}  // namespace switchyard::http
