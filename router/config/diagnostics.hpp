// Collects the errors and warnings of one load, each tied to a place in the file, so that a
// single run reports every problem instead of stopping at the first.
#pragma once

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "router/config/loader.hpp"

namespace switchyard::config {

struct Place {
  int line = 0;  // 1-based; 0 when not tied to a place (a default value, the file as a whole)
  int column = 0;
};

class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}

  void error(Place place, std::string message) { add(errors_, place, std::move(message)); }
  void warning(Place place, std::string message) { add(warnings_, place, std::move(message)); }

  std::vector<Diagnostic> take_errors() { return std::exchange(errors_, {}); }
  std::vector<Diagnostic> take_warnings() { return std::exchange(warnings_, {}); }

 private:
  // An identical report is kept once: a value inherited from `defaults` is checked once per
  // model but written in one place.
  void add(std::vector<Diagnostic>& list, Place place, std::string message) {
    Diagnostic diagnostic{file_, place.line, place.column, std::move(message)};
    const bool seen = std::any_of(list.begin(), list.end(), [&](const Diagnostic& d) {
      return d.line == diagnostic.line && d.column == diagnostic.column &&
             d.message == diagnostic.message;
    });
    if (!seen) list.push_back(std::move(diagnostic));
  }

  std::string file_;
  std::vector<Diagnostic> errors_;
  std::vector<Diagnostic> warnings_;
};

}  // namespace switchyard::config
