#include "common/http/request.hpp"

namespace switchyard::http {

using namespace std::literals;

Request::Request(boost::beast::http::verb method, std::string_view target, unsigned version) {
  set_start_line(boost::beast::http::to_string(method), target, version);
}

void Request::set_start_line(std::string_view method, std::string_view target, unsigned version) {
  // Room for a usual set of fields, so that the lines seldom move the text.
  text_.reserve(512);
  text_.assign(method).append(target);
  method_ = boost::beast::http::string_to_verb(method);
  method_size_ = static_cast<std::uint32_t>(method.size());
  target_size_ = static_cast<std::uint32_t>(target.size());
  version_ = version;
  fields_.reserve(16);
}

void Request::add_field(FieldName id, std::string_view line, std::string_view name,
                        std::string_view value) {
  fields_.push_back(Span{static_cast<std::uint32_t>(text_.size()),
                         static_cast<std::uint32_t>(line.size()),
                         static_cast<std::uint32_t>(name.size()),
                         static_cast<std::uint32_t>(value.data() - line.data()),
                         static_cast<std::uint32_t>(value.size()), id});
  text_.append(line);
}

void Request::insert(std::string_view name, std::string_view value) {
  std::string line;
  line.append(name).append(": "sv).append(value).append("\r\n"sv);
  const std::string_view view(line);
  add_field(field_name(name), view, name, view.substr(name.size() + 2, value.size()));
}

void Request::clear() {
  // Past this, a body is an upload (audio, an image), not the usual JSON; the connection may
  // then sit idle for a long time.
  constexpr std::size_t kKeptBodyCapacity = 64 * 1024;
  text_.clear();
  fields_.clear();
  if (body_.capacity() > kKeptBodyCapacity) {
    std::string().swap(body_);
  } else {
    body_.clear();
  }
  method_ = boost::beast::http::verb::unknown;
  method_size_ = 0;
  target_size_ = 0;
  version_ = 11;
}

Request::Field Request::field(std::size_t index) const {
  const Span& span = fields_[index];
  const std::string_view line = text(span.line_at, span.line_size);
  return Field{span.id, line.substr(0, span.name_size), line.substr(span.value_at, span.value_size),
               line};
}

std::string_view Request::operator[](FieldName id) const {
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].id == id) return field(i).value;
  }
  return {};
}

std::vector<std::string_view> Request::values(FieldName id) const {
  std::vector<std::string_view> found;
  for (std::size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].id == id) found.push_back(field(i).value);
  }
  return found;
}

}  // namespace switchyard::http
