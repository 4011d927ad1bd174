#include "worker/engines/tesseract/ocr_options.hpp"

#include <filesystem>
#include <vector>

namespace switchyard::worker::tesseract {
namespace {

const std::vector<std::string> kValidArgs = {"languages", "parallel", "psm", "tessdata"};

bool valid_language(const std::string& name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// "eng+deu", "eng,deu" or ["eng", "deu"] -> "eng+deu".
std::string parse_languages(const std::string& text) {
  std::vector<std::string> names;
  const auto list = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (list.is_array()) {
    for (const auto& item : list) {
      if (!item.is_string()) throw ArgError("arg 'languages' must list language names");
      names.push_back(item.get<std::string>());
    }
  } else {
    std::string current;
    for (const char c : text) {
      if (c == '+' || c == ',' || c == ' ') {
        if (!current.empty()) names.push_back(current);
        current.clear();
      } else {
        current += c;
      }
    }
    if (!current.empty()) names.push_back(current);
  }
  if (names.empty()) throw ArgError("arg 'languages' names no language");
  std::string joined;
  for (const auto& name : names) {
    if (!valid_language(name)) {
      throw ArgError("arg 'languages': '" + name + "' is not a tesseract language name");
    }
    joined += (joined.empty() ? "" : "+") + name;
  }
  return joined;
}

}  // namespace

OcrOptions parse_ocr_options(EngineArgs args, const std::string& model_path) {
  OcrOptions o;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path model(model_path);
  if (!model_path.empty() && model.extension() == ".traineddata" &&
      fs::is_regular_file(model, ec)) {
    o.languages = model.stem().string();
    o.tessdata = model.parent_path().string();
  } else if (!model_path.empty() && fs::is_directory(model, ec)) {
    o.tessdata = model_path;
  }
  if (auto v = args.get_string("languages")) o.languages = parse_languages(*v);
  if (auto v = args.get_string("tessdata")) o.tessdata = *v;
  o.psm = static_cast<int>(args.get_int("psm", 0, 13).value_or(3));
  o.parallel = static_cast<int>(args.get_int("parallel", 1, 64).value_or(1));
  args.reject_unknown("tesseract", kValidArgs);
  return o;
}

}  // namespace switchyard::worker::tesseract
