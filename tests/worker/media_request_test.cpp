// Media parts in chat requests (worker/openai/media, chat_request), and the OCR engine's pure
// parts: its args and how recognised text becomes words and tokens.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "worker/engines/tesseract/ocr_options.hpp"
#include "worker/engines/tesseract/ocr_reply.hpp"
#include "worker/openai/chat_request.hpp"
#include "worker/openai/media.hpp"

namespace switchyard::worker::openai {
namespace {

using ::testing::HasSubstr;

ApiError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ApiError& error) {
    return error;
  }
  ADD_FAILURE() << "no ApiError";
  return ApiError(ErrorKind::internal, "none");
}

TEST(Base64, DecodesWithAndWithoutPadding) {
  EXPECT_EQ(decode_base64("aGVsbG8="), "hello");
  EXPECT_EQ(decode_base64("aGVsbG8"), "hello");
  EXPECT_EQ(decode_base64("aGVs\nbG8h"), "hell\x6f!");
  EXPECT_EQ(decode_base64("aA=="), "h");
  EXPECT_EQ(decode_base64(""), "");
}

TEST(Base64, RefusesCorruptInput) {
  EXPECT_FALSE(decode_base64("aGVsbG8*"));
  EXPECT_FALSE(decode_base64("a"));         // a truncated group
  EXPECT_FALSE(decode_base64("aGVs=bG8"));  // data after padding
  EXPECT_FALSE(decode_base64("aA==="));     // too much padding
}

TEST(DataUrl, ParsesBase64DataUrls) {
  const DataUrl url = parse_data_url("data:image/png;base64,aGVsbG8=", "p");
  EXPECT_EQ(url.media_type, "image/png");
  EXPECT_EQ(url.bytes, "hello");
  EXPECT_EQ(parse_data_url("DATA:;charset=x;base64,aGk=", "p").bytes, "hi");
}

TEST(DataUrl, RefusesOtherUrlsWithReasons) {
  const ApiError http = error_of([] { parse_data_url("https://example.com/cat.png", "u"); });
  EXPECT_EQ(http.status(), 400);
  EXPECT_EQ(http.param, "u");
  EXPECT_THAT(http.what(), HasSubstr("does not fetch URLs"));
  EXPECT_THAT(error_of([] { parse_data_url("HTTP://x/y", "u"); }).what(),
              HasSubstr("does not fetch URLs"));
  EXPECT_THAT(error_of([] { parse_data_url("file:///etc/passwd", "u"); }).what(),
              HasSubstr("must be a data: URL"));
  EXPECT_THAT(error_of([] { parse_data_url("data:image/png,rawbytes", "u"); }).what(),
              HasSubstr("base64"));
  EXPECT_THAT(error_of([] { parse_data_url("data:image/png;base64,@@@", "u"); }).what(),
              HasSubstr("invalid base64"));
  EXPECT_THAT(error_of([] { parse_data_url("data:image/png;base64,", "u"); }).what(),
              HasSubstr("no data"));
}

TEST(ChatMedia, KeepsPartsInPlaceWithMarkers) {
  const auto request = parse_chat_request(parse_body(R"({"messages": [
    {"role": "user", "content": [
      {"type": "text", "text": "compare"},
      {"type": "image_url", "image_url": {"url": "data:image/png;base64,aGVsbG8="}},
      {"type": "text", "text": "and"},
      {"type": "image_url", "image_url": "data:image/jpeg;base64,aGk="},
      {"type": "input_audio", "input_audio": {"data": "aGV5", "format": "wav"}}]}]})"));
  const ChatMessage& m = request.messages[0];
  EXPECT_EQ(m.content, "compare\n<__media__>\nand\n<__media__>\n<__media__>");
  ASSERT_EQ(m.media.size(), 3u);
  EXPECT_EQ(m.media[0].kind, MediaKind::image);
  EXPECT_EQ(m.media[0].bytes, "hello");
  EXPECT_EQ(m.media[0].declared, "image/png");
  EXPECT_EQ(m.media[0].param, "messages[0].content[1]");
  EXPECT_EQ(m.media[1].bytes, "hi");
  EXPECT_EQ(m.media[2].kind, MediaKind::audio);
  EXPECT_EQ(m.media[2].bytes, "hey");
  EXPECT_EQ(m.media[2].declared, "wav");
  EXPECT_EQ(request.media_count(MediaKind::image), 2u);
  EXPECT_EQ(request.media_count(MediaKind::audio), 1u);
}

TEST(ChatMedia, RefusesBadParts) {
  auto param_of = [](const std::string& part) {
    return error_of([&] {
             parse_chat_request(
                 parse_body(R"({"messages": [{"role": "user", "content": [)" + part + "]}]}"));
           })
        .param.value_or("<none>");
  };
  EXPECT_EQ(param_of(R"({"type": "image_url", "image_url": {"url": "http://x/a.png"}})"),
            "messages[0].content[0].image_url.url");
  EXPECT_EQ(param_of(R"({"type": "image_url"})"), "messages[0].content[0].image_url");
  EXPECT_EQ(
      param_of(R"({"type": "input_audio", "input_audio": {"data": "aGk=", "format": "ogg"}})"),
      "messages[0].content[0].input_audio.format");
  EXPECT_EQ(param_of(R"({"type": "input_audio", "input_audio": {"data": "%%", "format": "wav"}})"),
            "messages[0].content[0].input_audio.data");
  EXPECT_EQ(param_of(R"({"type": "video_url", "video_url": {"url": "data:,x"}})"),
            "messages[0].content[0].type");
}

TEST(ChatMedia, RejectMediaNamesThePart) {
  const auto request = parse_chat_request(parse_body(R"({"messages": [
    {"role": "user", "content": "hi"},
    {"role": "user", "content": [{"type": "image_url",
                                  "image_url": {"url": "data:image/png;base64,aGk="}}]}]})"));
  EXPECT_NO_THROW(reject_media(request, MediaKind::audio, "no audio"));
  const ApiError error =
      error_of([&] { reject_media(request, MediaKind::image, "model 'm' has no projector"); });
  EXPECT_EQ(error.param, "messages[1].content[0]");
  EXPECT_THAT(error.what(), HasSubstr("is an image part, but model 'm' has no projector"));
}

}  // namespace
}  // namespace switchyard::worker::openai

namespace switchyard::worker::tesseract {
namespace {

EngineArgs args_of(std::map<std::string, std::string> values) {
  return EngineArgs(std::move(values));
}

TEST(OcrText, SplitsWordsWithTheirWhitespace) {
  EXPECT_EQ(split_words("The quick\nbrown  fox"),
            (std::vector<std::string>{"The ", "quick\n", "brown  ", "fox"}));
  EXPECT_EQ(split_words("  lead"), (std::vector<std::string>{"  lead"}));
  EXPECT_TRUE(split_words("").empty());
  EXPECT_EQ(tidy_text("Hello world\n\n\f"), "Hello world");
  EXPECT_EQ(count_words(" a bb\n<__media__>\tc "), 4);
}

TEST(OcrOptions, ParsesArgs) {
  const OcrOptions defaults = parse_ocr_options(EngineArgs{});
  EXPECT_EQ(defaults.languages, "eng");
  EXPECT_EQ(defaults.psm, 3);
  EXPECT_EQ(parse_ocr_options(args_of({{"languages", "eng+deu"}})).languages, "eng+deu");
  EXPECT_EQ(parse_ocr_options(args_of({{"languages", R"(["eng","fra"])"}})).languages, "eng+fra");
  EXPECT_EQ(parse_ocr_options(args_of({{"psm", "6"}, {"parallel", "2"}})).parallel, 2);
  EXPECT_THROW(parse_ocr_options(args_of({{"languages", "../etc"}})), ArgError);
  EXPECT_THROW(parse_ocr_options(args_of({{"psm", "14"}})), ArgError);
  EXPECT_THROW(parse_ocr_options(args_of({{"language", "eng"}})), ArgError);
}

TEST(OcrOptions, TakesLanguageAndDirectoryFromATraineddataModel) {
  const auto dir = std::filesystem::temp_directory_path() / "switchyard-ocr-options-test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "deu.traineddata") << "x";
  const OcrOptions o = parse_ocr_options(EngineArgs{}, (dir / "deu.traineddata").string());
  EXPECT_EQ(o.languages, "deu");
  EXPECT_EQ(o.tessdata, dir.string());
  EXPECT_EQ(parse_ocr_options(args_of({{"languages", "eng"}}), dir.string()).languages, "eng");
  EXPECT_EQ(parse_ocr_options(EngineArgs{}, dir.string()).tessdata, dir.string());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace switchyard::worker::tesseract
