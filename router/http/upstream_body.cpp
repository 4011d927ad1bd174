#include "router/http/upstream_body.hpp"

#include <algorithm>
#include <vector>

#include "common/http/multipart.hpp"
#include "router/http/json_scan.hpp"

namespace switchyard::http {
namespace {

using config::RequestParams;

// One top-level member of a JSON object: its key, and its text from the key's opening quote to
// the end of its value.
struct JsonMember {
  JsonString key;
  std::string_view key_text;  // with its quotes
  std::string_view text;
};

// The body was validated by the scanner, so these walks need no error handling; they only
// stay within it.
std::size_t skip_string(std::string_view s, std::size_t i) {
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

std::size_t skip_value(std::string_view s, std::size_t i) {
  if (s[i] == '"') return skip_string(s, i);
  if (s[i] != '{' && s[i] != '[') {
    return std::min(s.find_first_of(",}] \t\r\n", i), s.size());
  }
  std::size_t depth = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '"') {
      i = skip_string(s, i);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') --depth;
    ++i;
    if (depth == 0) break;
  }
  return i;
}

std::size_t skip_blanks(std::string_view s, std::size_t i) {
  return std::min(s.find_first_not_of(" \t\r\n", i), s.size());
}

std::vector<JsonMember> top_level_members(std::string_view object) {
  std::vector<JsonMember> members;
  std::size_t i = object.starts_with("\xEF\xBB\xBF") ? 3 : 0;
  i = skip_blanks(object, i) + 1;  // past '{'
  for (;;) {
    i = skip_blanks(object, i);
    if (i >= object.size() || object[i] != '"') return members;
    const std::size_t key_start = i;
    i = skip_string(object, i);
    JsonMember member;
    member.key_text = object.substr(key_start, i - key_start);
    member.key.raw = member.key_text.substr(1, member.key_text.size() - 2);
    member.key.escaped = member.key.raw.find('\\') != std::string_view::npos;
    i = skip_blanks(object, skip_blanks(object, i) + 1);  // past ':'
    i = skip_value(object, i);
    member.text = object.substr(key_start, i - key_start);
    members.push_back(member);
    i = skip_blanks(object, i) + 1;  // past ',' or '}'
  }
}

bool is_stripped(const RequestParams& params, std::string_view name) {
  return std::find(params.strip.begin(), params.strip.end(), name) != params.strip.end();
}

// The client's value for `name` is dropped: stripped, or replaced by an override.
bool replaces(const RequestParams& params, const std::string& name) {
  return params.overrides.contains(name) || is_stripped(params, name);
}

// The defaults to add: those the client left out (or whose value was stripped) and no override
// sets.
template <class ClientHas>
std::vector<std::pair<std::string, const nlohmann::json*>> missing_defaults(
    const RequestParams& params, const ClientHas& client_has) {
  std::vector<std::pair<std::string, const nlohmann::json*>> missing;
  for (const auto& [name, value] : params.defaults.items()) {
    if (params.overrides.contains(name)) continue;
    if (client_has(name) && !is_stripped(params, name)) continue;
    missing.emplace_back(name, &value);
  }
  return missing;
}

std::string json_string(std::string_view text) { return nlohmann::json(text).dump(); }

// A form field's text: a string as it is, anything else as JSON.
std::string form_text(const nlohmann::json& value) {
  return value.is_string() ? value.get<std::string>() : value.dump();
}

}  // namespace

std::string rewrite_json_body(std::string_view body, std::string_view model_name,
                              const RequestParams& params) {
  const std::vector<JsonMember> members = top_level_members(body);
  std::string out;
  out.reserve(body.size() + 64);
  out += '{';
  const auto separate = [&out] {
    if (out.size() > 1) out += ',';
  };
  const auto add = [&](std::string_view name_text, std::string_view value_text) {
    separate();
    out.append(name_text).append(":").append(value_text);
  };
  std::vector<std::string> client_names;
  client_names.reserve(members.size());
  for (const JsonMember& member : members) {
    std::string name = member.key.decode();
    if (!model_name.empty() && name == "model") {
      add(member.key_text, json_string(model_name));
    } else if (!replaces(params, name)) {
      separate();
      out += member.text;
    }
    client_names.push_back(std::move(name));
  }
  for (const auto& [name, value] : params.overrides.items()) add(json_string(name), value.dump());
  const auto client_has = [&client_names](const std::string& name) {
    return std::find(client_names.begin(), client_names.end(), name) != client_names.end();
  };
  for (const auto& [name, value] : missing_defaults(params, client_has)) {
    add(json_string(name), value->dump());
  }
  out += '}';
  return out;
}

std::string rewrite_multipart_body(std::string_view body, std::string_view content_type,
                                   std::string_view model_name, const RequestParams& params) {
  const auto parts = parse_multipart(body, content_type, nullptr);
  const auto boundary = multipart_boundary(content_type);
  if (!parts || parts->empty() || !boundary) return std::string(body);

  // The client's bytes before the first part's headers (its boundary line) and after the last
  // part's data (the closing boundary) are kept; parts are joined by a plain boundary line.
  const std::string separator = "\r\n--" + *boundary + "\r\n";
  const MultipartPart& last = parts->back();
  std::string out(
      body.substr(0, static_cast<std::size_t>(parts->front().headers.data() - body.data())));
  out.reserve(body.size() + 256);
  bool first = true;
  const auto add = [&](std::string_view headers, std::string_view data) {
    if (!first) out += separator;
    first = false;
    out.append(headers).append("\r\n\r\n").append(data);
  };
  const auto add_field = [&](const std::string& name, const nlohmann::json& value) {
    const std::string headers = "Content-Disposition: form-data; name=\"" + name + "\"";
    if (!value.is_array()) return add(headers, form_text(value));
    for (const nlohmann::json& item : value) add(headers, form_text(item));
  };
  for (const MultipartPart& part : *parts) {
    if (!model_name.empty() && part.name == "model") {
      add(part.headers, model_name);
    } else if (!replaces(params, part.name)) {
      add(part.headers, part.data);
    }
  }
  for (const auto& [name, value] : params.overrides.items()) add_field(name, value);
  const auto client_has = [&parts](const std::string& name) {
    return find_part(*parts, name) != nullptr;
  };
  for (const auto& [name, value] : missing_defaults(params, client_has)) add_field(name, *value);
  const std::size_t tail_at =
      static_cast<std::size_t>(last.data.data() + last.data.size() - body.data());
  out.append(body.substr(tail_at));
  return out;
}

std::optional<std::string> upstream_body(const Request& request, const config::ModelConfig& model,
                                         bool is_fallback) {
  const std::string_view model_name = !model.upstream_model.empty() ? model.upstream_model
                                      : is_fallback                 ? model.name
                                                                    : std::string_view{};
  if (model_name.empty() && model.params.empty()) return std::nullopt;
  const auto route = find_route(path_of(request.target()));
  if (!route) return std::nullopt;
  if (route->body == BodyKind::multipart) {
    return rewrite_multipart_body(request.body(), request[FieldName::content_type], model_name,
                                  model.params);
  }
  return rewrite_json_body(request.body(), model_name, model.params);
}

}  // namespace switchyard::http
