// Finds one form field in a multipart/form-data body without copying the file parts: the router
// only needs `model` to route an upload.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace switchyard::http {

struct MultipartField {
  std::optional<std::string> value;  // nullopt: the body is well formed but has no such field
  std::optional<std::string> error;  // set when the body or Content-Type is malformed
};

// `content_type` is the request's Content-Type header value.
MultipartField find_multipart_field(std::string_view body, std::string_view content_type,
                                    std::string_view field_name);

// The boundary parameter of a multipart Content-Type, unquoted; nullopt when absent or invalid.
std::optional<std::string> multipart_boundary(std::string_view content_type);

}  // namespace switchyard::http
