// The tesseract engine's `args:` (see docs/worker-engines.md):
//   languages  tesseract languages, "eng", "eng+deu" or a list (default: the model file's
//              language, else eng; any installed tesseract-ocr-<lang> package)
//   tessdata   directory of the .traineddata files (default: the model file's directory, else
//              tesseract's own)
//   psm        page segmentation mode 0-13 (default 3, fully automatic)
//   parallel   images recognised at once, one tesseract instance each (default 1)
#pragma once

#include <optional>
#include <string>

#include "worker/engine_args.hpp"

namespace switchyard::worker::tesseract {

struct OcrOptions {
  std::string languages = "eng";  // tesseract's form: "eng+deu"
  std::optional<std::string> tessdata;
  int psm = 3;
  int parallel = 1;
};

// `model_path` is a .traineddata file (its language and directory become the defaults), a
// tessdata directory, or anything else (ignored: tesseract's defaults). Throws ArgError for a bad
// value or an unknown key.
OcrOptions parse_ocr_options(EngineArgs args, const std::string& model_path = {});

}  // namespace switchyard::worker::tesseract
