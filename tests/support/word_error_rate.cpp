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

std::size_t edit_distance(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

std::size_t WordErrorTally::add(const std::string& said, const std::string& heard) {
  const std::vector<std::string> expected = words_of(said);
  const std::size_t errors = edit_distance(expected, words_of(heard));
  errors_ += errors;
  words_ += expected.size();
  return errors;
}

}  // namespace switchyard::test
