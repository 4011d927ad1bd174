// The body a worker is sent: the client's, with the model's `params` applied and `model` renamed
// where the worker must see another name (upstream_model, or the fallback that took the request).
// Pure functions over bodies parse_model_request() has already accepted. The client's body is
// left as it came, so that a fallback starts again from what the client sent.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/http/request_reader.hpp"
#include "router/config/config.hpp"
#include "router/http/routes.hpp"

namespace switchyard::http {

// What to send `model` for `request`: nothing when the client's body goes as it came, as it does
// on /upstream/ paths. `is_fallback`: the model took the request for another, so the body must
// name it even without upstream_model.
std::optional<std::string> upstream_body(const Request& request, const config::ModelConfig& model,
                                         bool is_fallback);

// A JSON object with `params` applied to its top-level fields and every top-level `model` given
// `model_name` (unless empty). The client's fields keep their bytes and order; fields the router
// adds come after them.
std::string rewrite_json_body(std::string_view body, std::string_view model_name,
                              const config::RequestParams& params);

// The same for a multipart/form-data body: a field set by `params` becomes a text part (an array,
// one part per item), stripped and overridden fields lose every part of their name.
std::string rewrite_multipart_body(std::string_view body, std::string_view content_type,
                                   std::string_view model_name,
                                   const config::RequestParams& params);

}  // namespace switchyard::http
