#include "tests/support/word_error_rate.hpp"

#include <algorithm>
#include <cctype>

namespace switchyard::test {

const std::vector<std::string>& round_trip_sentences() {
  static const std::vector<std::string> sentences = {
      "The weather is nice today and the sun is shining.",
      "Please call me back when you get home tonight.",
      "I would like to order a large pizza with cheese.",
      "The meeting has been moved to Friday afternoon.",
      "We need to buy milk and bread from the store.",
  };
  return sentences;
}

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text + " ") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '\'') {
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!word.empty()) {
      words.push_back(word);
      word.clear();
    }
  }
  return words;
}

std::size_t WordErrorTally::add(const std::string& said, const std::string& heard) {
  const std::vector<std::string> expected = words_of(said);
  const std::size_t errors = edit_distance(expected, words_of(heard));
  errors_ += errors;
  words_ += expected.size();
  return errors;
}

}  // namespace switchyard::test
