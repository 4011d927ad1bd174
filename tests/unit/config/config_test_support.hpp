// Shared fixture for the config tests: a private temp dir holding a fake switchyard-worker, a
// fake model file and a bin/ dir that is the whole PATH, and an environment given as a map, so
// that no test depends on the machine it runs on.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "router/config/address.hpp"
#include "router/config/loader.hpp"

namespace switchyard::config {

inline void PrintTo(const Endpoint& endpoint, std::ostream* out) {
  *out << format_endpoint(endpoint);
}

inline void PrintTo(const Diagnostic& diagnostic, std::ostream* out) {
  *out << diagnostic.to_string();
}

}  // namespace switchyard::config

namespace switchyard::config::testing {

namespace fs = std::filesystem;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "switchyard-config-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }

  fs::path write(const std::string& name, std::string_view content, bool executable = false) const {
    const fs::path file = path_ / name;
    fs::create_directories(file.parent_path());
    std::ofstream(file) << content;
    chmod(file.c_str(), executable ? 0755 : 0644);
    return file;
  }

 private:
  fs::path path_;
};

inline EnvLookup map_environment(const std::map<std::string, std::string>& vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    const auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

// Matches a Diagnostic at line:column (0 = any) whose message contains `text`.
inline ::testing::Matcher<const Diagnostic&> diagnostic(int line, int column,
                                                        const std::string& text) {
  const auto position = [](int expected) {
    return expected == 0 ? ::testing::Matcher<int>(::testing::_)
                         : ::testing::Matcher<int>(::testing::Eq(expected));
  };
  return ::testing::AllOf(::testing::Field(&Diagnostic::line, position(line)),
                          ::testing::Field(&Diagnostic::column, position(column)),
                          ::testing::Field(&Diagnostic::message, ::testing::HasSubstr(text)));
}

inline std::string describe(const std::vector<Diagnostic>& diagnostics) {
  std::string text;
  for (const Diagnostic& d : diagnostics) text += d.to_string() + "\n";
  return text;
}

class ConfigTest : public ::testing::Test {
 protected:
  ConfigTest() {
    worker_ = dir_.write("switchyard-worker", "#!/bin/sh\nexit 0\n", true);
    model_file_ = dir_.write("models/llm.gguf", "not really a model");
    server_ = dir_.write("bin/fake-server", "#!/bin/sh\nexit 0\n", true);
    vars_["PATH"] = (dir_.path() / "bin").string();
  }

  // Loads `yaml` as if from <dir>/models.yaml; "@DIR@" in it stands for the temp dir.
  LoadResult load(std::string yaml) {
    const std::string token = "@DIR@";
    for (std::size_t at = yaml.find(token); at != std::string::npos; at = yaml.find(token, at)) {
      yaml.replace(at, token.size(), dir_.path().string());
    }
    return load_config_string(yaml, (dir_.path() / "models.yaml").string(), map_environment(vars_),
                              dir_.path().string());
  }

  // Loads `yaml` and expects it to be accepted.
  Config load_ok(const std::string& yaml) {
    LoadResult result = load(yaml);
    EXPECT_TRUE(result.errors.empty()) << describe(result.errors);
    EXPECT_TRUE(result.config.has_value());
    return result.config.value_or(Config{});
  }

  TempDir dir_;
  std::map<std::string, std::string> vars_;
  fs::path worker_;
  fs::path model_file_;
  fs::path server_;
};

}  // namespace switchyard::config::testing
