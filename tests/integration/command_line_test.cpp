// The command line outside of running: --version and --help answer and exit 0, a bad argument
// exits 2 with the usage.
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/router_harness.hpp"

namespace switchyard::test {
namespace {

TEST(CommandLineTest, VersionPrintsNameAndVersionAndExitsZero) {
  const auto [code, output] = run_router_to_exit({"--version"});
  EXPECT_EQ(code, 0) << output;
  EXPECT_TRUE(std::regex_search(output, std::regex(R"(^switchyard [0-9]+\.[0-9]+)"))) << output;
}

TEST(CommandLineTest, HelpPrintsEveryOptionAndExitsZero) {
  for (const char* flag : {"--help", "-h"}) {
    SCOPED_TRACE(flag);
    const auto [code, output] = run_router_to_exit({flag});
    EXPECT_EQ(code, 0) << output;
    for (const char* option :
         {"--config FILE", "--check-config FILE", "--log-level", "--version", "--help"}) {
      EXPECT_NE(output.find(option), std::string::npos) << option << " missing in:\n" << output;
    }
  }
}

TEST(CommandLineTest, UnknownArgumentExitsTwoWithTheUsage) {
  const auto [code, output] = run_router_to_exit({"--no-such-flag"});
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("--no-such-flag"), std::string::npos) << output;
  EXPECT_NE(output.find("usage:"), std::string::npos) << output;
}

}  // namespace
}  // namespace switchyard::test
