// The `--arg key=value` options of an engine (from the model's `args:` in models.yaml). Values
// arrive as text: scalars as written, lists and maps as compact JSON. Each engine reads the keys
// it knows with typed getters and then calls reject_unknown(), so a typo stops the worker at
// start with the list of valid keys.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace switchyard::worker {

// Thrown for a bad engine argument; main() prints it and exits with status 2.
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class EngineArgs {
 public:
  EngineArgs() = default;
  explicit EngineArgs(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  std::optional<std::int64_t> get_int(const std::string& key, std::int64_t min, std::int64_t max);
  std::optional<bool> get_bool(const std::string& key);
  std::optional<std::string> get_string(const std::string& key);
  std::optional<nlohmann::json> get_json(const std::string& key);

  // Throws ArgError naming the first key no getter asked for and listing `valid`.
  void reject_unknown(std::string_view engine, const std::vector<std::string>& valid) const;

  const std::map<std::string, std::string>& values() const { return values_; }

 private:
  const std::string* find(const std::string& key);
  std::map<std::string, std::string> values_;
  std::set<std::string> read_;
};

}  // namespace switchyard::worker
