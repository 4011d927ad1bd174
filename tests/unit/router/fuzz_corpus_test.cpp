// Replays the fuzz corpus (tests/fuzz/corpus: the seeds, and any input that once broke
// something) through the fuzz target's function, so that the normal test run covers them.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

TEST(FuzzCorpus, EveryInputRunsThroughTheRequestPath) {
  const std::filesystem::path corpus =
      std::filesystem::path(SWITCHYARD_SOURCE_DIR) / "tests" / "fuzz" / "corpus";
  int inputs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    SCOPED_TRACE(entry.path().filename().string());
    EXPECT_EQ(
        LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()),
        0);
    ++inputs;
  }
  EXPECT_GE(inputs, 5);
}

}  // namespace
