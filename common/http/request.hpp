// A client's request as the daemon reads it: the start line, the fields as the client wrote
// them, and the body. Beast's request keeps each field in an allocation of its own, in a
// multiset; here the lines sit in one string and each field is found again by its offsets, so a
// request costs the same three allocations however many fields it has.
#pragma once

#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <ostream>  // verb.hpp's operator<< needs it, and does not include it
#include <string>
#include <string_view>
#include <vector>

#include "common/http/field_name.hpp"

namespace switchyard::http {

class Request {
 public:
  struct Field {
    FieldName id;
    std::string_view name;
    std::string_view value;  // without the spaces around it
    std::string_view line;   // as the client wrote it, CRLF included
  };

  Request() = default;
  // A request made in code rather than read; its fields go in with insert.
  Request(boost::beast::http::verb method, std::string_view target, unsigned version = 11);

  boost::beast::http::verb method() const { return method_; }
  std::string_view method_string() const { return text(0, method_size_); }
  std::string_view target() const { return text(method_size_, target_size_); }
  unsigned version() const { return version_; }
  std::string& body() { return body_; }
  const std::string& body() const { return body_; }

  std::size_t field_count() const { return fields_.size(); }
  Field field(std::size_t index) const;
  // The fields in order, for a range-for. Hand-written rather than a views::transform over an
  // iota: clang 14, which builds the fuzz targets, cannot compile that with libstdc++ 12.
  class FieldIterator {
   public:
    FieldIterator(const Request& request, std::size_t index) : request_(&request), index_(index) {}
    Field operator*() const { return request_->field(index_); }
    FieldIterator& operator++() {
      ++index_;
      return *this;
    }
    bool operator==(const FieldIterator& other) const { return index_ == other.index_; }

   private:
    const Request* request_;
    std::size_t index_;
  };
  struct FieldRange {
    FieldIterator first;
    FieldIterator last;
    FieldIterator begin() const { return first; }
    FieldIterator end() const { return last; }
  };
  FieldRange fields() const { return {{*this, 0}, {*this, fields_.size()}}; }
  // The first value of the field, or empty.
  std::string_view operator[](FieldName id) const;
  // Every value of the field, in order: Authorization, for one, may come more than once.
  std::vector<std::string_view> values(FieldName id) const;

  // Adds a field after the others.
  void insert(std::string_view name, std::string_view value);

  // Empties it for the next request of the connection, keeping the capacity a usual request
  // needs, so that the next one allocates nothing; a large body's is given back.
  void clear();

 private:
  friend class RequestParser;

  struct Span {
    std::uint32_t line_at;
    std::uint32_t line_size;
    std::uint32_t name_size;
    std::uint32_t value_at;  // from line_at
    std::uint32_t value_size;
    FieldName id;
  };

  std::string_view text(std::size_t at, std::size_t size) const {
    return std::string_view(text_).substr(at, size);
  }
  void set_start_line(std::string_view method, std::string_view target, unsigned version);
  // `value` lies inside `line`.
  void add_field(FieldName id, std::string_view line, std::string_view name,
                 std::string_view value);

  std::string text_;  // the method, the target, then each field's line
  std::vector<Span> fields_;
  std::string body_;
  boost::beast::http::verb method_ = boost::beast::http::verb::unknown;
  std::uint32_t method_size_ = 0;
  std::uint32_t target_size_ = 0;
  unsigned version_ = 11;
};

}  // namespace switchyard::http
