#include "router/http/json_scan.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace switchyard::http {
namespace {

// Writes the token stream as text, strings decoded, so that two scanners can be compared.
class Recorder : public JsonEvents {
 public:
  std::string out;
  void start_object() override { out += '{'; }
  void end_object() override { out += '}'; }
  void start_array() override { out += '['; }
  void end_array() override { out += ']'; }
  void key(const JsonString& name) override { out += "k(" + name.decode() + ")"; }
  void string(const JsonString& value) override { out += "s(" + value.decode() + ")"; }
  void scalar() override { out += '#'; }
};

// The same record from nlohmann's SAX parser, the reference.
class ReferenceRecorder : public nlohmann::json_sax<nlohmann::json> {
 public:
  std::string out;
  bool null() override { return scalar(); }
  bool boolean(bool) override { return scalar(); }
  bool number_integer(number_integer_t) override { return scalar(); }
  bool number_unsigned(number_unsigned_t) override { return scalar(); }
  bool number_float(number_float_t, const string_t&) override { return scalar(); }
  bool string(string_t& value) override { return append("s(" + value + ")"); }
  bool binary(binary_t&) override { return false; }
  bool start_object(std::size_t) override { return append("{"); }
  bool key(string_t& name) override { return append("k(" + name + ")"); }
  bool end_object() override { return append("}"); }
  bool start_array(std::size_t) override { return append("["); }
  bool end_array() override { return append("]"); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    return false;
  }

 private:
  bool scalar() { return append("#"); }
  bool append(const std::string& text) {
    out += text;
    return true;
  }
};

std::optional<std::string> scanned(std::string_view text) {
  Recorder recorder;
  if (scan_json(text, recorder) != JsonScanError::none) return std::nullopt;
  return recorder.out;
}

std::optional<std::string> reference(std::string_view text) {
  ReferenceRecorder recorder;
  if (!nlohmann::json::sax_parse(text, &recorder)) return std::nullopt;
  return recorder.out;
}

TEST(JsonScan, ReportsTokensInOrderWithStringsDecoded) {
  EXPECT_EQ(scanned(R"({"model":"a\"b\\c\/d","n":[1,-2.5e+3,true,false,null],"o":{}})"),
            R"({k(model)s(a"b\c/d)k(n)[#####]k(o){}})");
  EXPECT_EQ(scanned(R"(["\u00e9\u20ac\ud83d\ude00", "é€😀", "\b\f\n\r\t"])"),
            "[s(é€😀)s(é€😀)s(\b\f\n\r\t)]");
  EXPECT_EQ(scanned(" \t\r\n[ ] "), "[]");
  EXPECT_EQ(scanned("\xEF\xBB\xBF{}"), "{}");  // a UTF-8 byte order mark is skipped
  EXPECT_EQ(scanned("0"), "#");
  EXPECT_EQ(scanned(R"("top")"), "s(top)");
}

TEST(JsonScan, RefusesWhatIsNotJson) {
  for (const std::string text : {
           "", " ", "{", "}", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
           "{\"a\" 1}", "[1 2]", "[1]]", "[1]x", "01", "-", "1.", ".5", "1e", "1e+", "+1",
           "tru", "nul", "True", "[\"a]", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
           "\"a\nb\"", "\"\x1f\"", "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"",
           "\"\xC0\x80\"",
           "\"\xED\xA0\x80\"", "\"\xF4\x90\x80\x80\"", "\"\xE2\x82\"", "\"\x80\"", "\"\xFF\"",
           "[1,2", "{\"a\":[}", "[}", "{]", "\xEF\xBB{}", "NaN", "[Infinity]"}) {
    EXPECT_EQ(scanned(text), std::nullopt) << text;
  }
}

TEST(JsonScan, RefusesNestingDeeperThanTheLimit) {
  Recorder recorder;
  const std::string at_limit = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  EXPECT_EQ(scan_json(at_limit, recorder), JsonScanError::none);
  const std::string deeper = "[" + at_limit + "]";
  EXPECT_EQ(scan_json(deeper, recorder), JsonScanError::too_deep);
}

TEST(JsonScan, ComparesStringsWithAndWithoutEscapes) {
  struct Keys : JsonEvents {
    std::vector<JsonString> keys;
    void start_object() override {}
    void end_object() override {}
    void start_array() override {}
    void end_array() override {}
    void key(const JsonString& name) override { keys.push_back(name); }
    void string(const JsonString&) override {}
    void scalar() override {}
  } keys;
  ASSERT_EQ(scan_json(R"({"model":1,"mod\u0065l":2,"models":3})", keys), JsonScanError::none);
  ASSERT_EQ(keys.keys.size(), 3u);
  EXPECT_TRUE(keys.keys[0].equals("model"));
  EXPECT_TRUE(keys.keys[1].equals("model"));
  EXPECT_FALSE(keys.keys[2].equals("model"));
}

// Mutations of request-like bodies must be accepted or refused exactly as nlohmann's parser
// does, with the same tokens when accepted.
TEST(JsonScan, AgreesWithNlohmannOnMutatedBodies) {
  const std::vector<std::string> seeds = {
      R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"max_tokens":16})",
      R"({"model":"v","messages":[{"role":"user","content":[{"type":"text","text":"a\u00e9"},)"
      R"({"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]})",
      R"({"a":[1,2.5,-3e2,0.1E-2,true,false,null],"b":{"c":"\"\\\/\b\f\n\r\t\ud83d\ude00"}})",
      "[\"é€😀\", {\"k\": [[], {}]}, \"x\"]",
  };
  const std::string alphabet =
      "{}[],:\"\\/ \t\n\x1f\x7f" "0123456789.-+eEtrufalsnbu\x80\xBF\xC3\xA9\xED\xF0\xF4";
  std::mt19937 rng(20261206);
  int accepted = 0;
  int refused = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[rng() % seeds.size()];
    for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0; --edits) {
      const std::size_t at = rng() % (text.size() + 1);
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0: text.insert(text.begin() + static_cast<std::ptrdiff_t>(at), c); break;
        case 1: if (at < text.size()) text.erase(at, 1); break;
        default: if (at < text.size()) text[at] = c; break;
      }
    }
    const auto expected = reference(text);
    ASSERT_EQ(scanned(text), expected) << text;
    (expected ? accepted : refused)++;
  }
  // Both outcomes must be exercised for the comparison to mean anything.
  EXPECT_GT(accepted, 1000);
  EXPECT_GT(refused, 1000);
}

}  // namespace
}  // namespace switchyard::http
