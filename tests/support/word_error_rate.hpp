// Word error rate, for the speech round trips (flite speech transcribed by pocketsphinx, on the
// workers directly and through the router), and the five sentences issue 4 measures it over.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/edit_distance.hpp"

namespace switchyard::test {

// The round trip's five known English sentences (about 4% word errors measured here).
const std::vector<std::string>& round_trip_sentences();

// Lower-case words: letters, digits and apostrophes; everything else separates them.
std::vector<std::string> words_of(const std::string& text);

// Word errors summed over several utterances.
class WordErrorTally {
 public:
  // Counts `heard` against `said`; returns this utterance's errors.
  std::size_t add(const std::string& said, const std::string& heard);
  std::size_t errors() const { return errors_; }
  std::size_t words() const { return words_; }
  double rate() const { return words_ == 0 ? 0.0 : static_cast<double>(errors_) / words_; }

 private:
  std::size_t errors_ = 0;
  std::size_t words_ = 0;
};

}  // namespace switchyard::test
