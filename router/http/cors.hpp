// CORS: what lets a page of another origin read the answers once its origin is accepted
// (request_origin.hpp decides that). A browser front end on chat.lan:3000 talking to the router
// on router.lan:8080 sends a preflight before each request that carries a key or JSON, and reads
// an answer only when it names the page's origin. Both listeners answer alike.
#pragma once

#include <string>
#include <string_view>

#include "router/http/response.hpp"

namespace switchyard::http {

class Request;

// An Access-Control-* field: the router alone says which pages may read its answers.
bool is_cors_field(std::string_view name);

// OPTIONS with an Origin and an Access-Control-Request-Method: the browser asking whether the
// request it is about to send may be sent. Browsers send no credentials with it.
bool is_preflight(const Request& request);

// Adds what every answer to `request` carries once its Origin is accepted; nothing when it has
// none (it came from no browser page). The origin is named, never "*", even when
// allowed_origins holds "*": the answer differs by origin, which Vary tells caches.
void add_cors_fields(HeaderList& fields, const Request& request);
// The same fields as header lines ("Name: value\r\n"), for a head written as text.
void append_cors_lines(std::string& head, const Request& request);

// The fields of the 204 answer to a preflight whose origin is accepted: the methods this
// router serves and the fields the page asked to send (the SDKs add their own, so they are
// echoed rather than listed here). Throws a 400 ApiError naming Access-Control-Request-Headers
// when it is not a list of field names.
HeaderList preflight_fields(const Request& request);

}  // namespace switchyard::http
