// ${VAR} and ${VAR:-default} in models.yaml values, filled from the environment at load time.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "router/config/loader.hpp"

namespace switchyard::config {

// Inside `command:` these are left as written: the supervisor fills them in for each spawn.
inline constexpr std::array<std::string_view, 4> kSpawnPlaceholders{"PORT", "HOST", "MODEL_NAME",
                                                                    "MODEL_PATH"};

enum class Placeholders { expand, keep };

// [A-Za-z_][A-Za-z0-9_]*: what may appear in ${NAME}, and what `env:` may set.
bool is_variable_name(std::string_view name);

struct Expansion {
  std::string text;   // the expanded value; meaningful only when error is empty
  std::string error;  // why the value cannot be expanded, naming the variable
  bool ok() const { return error.empty(); }
};

// Shell rules for the two supported forms: ${VAR:-default} uses the default when VAR is unset or
// empty; ${VAR} with VAR unset is an error (a typo would otherwise become an empty API key).
// Defaults are literal text: nesting ${...} inside one is refused rather than half-supported.
// A lone `$` and `$$` are ordinary characters.
Expansion expand_env(std::string_view text, const EnvLookup& env, Placeholders placeholders);

}  // namespace switchyard::config
