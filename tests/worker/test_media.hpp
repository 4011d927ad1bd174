// Media for the multimodal and OCR tests, made in memory: a sentence rendered with FreeType
// (DejaVu Sans from fonts-dejavu-core) and written as PNG with libpng, a small colour pattern, a
// WAV tone, and base64 / data: URLs for request bodies.
#pragma once

#include <string>
#include <string_view>

namespace switchyard::test {

// One line of black text on a white canvas with a margin, as PNG bytes (8-bit grey).
std::string render_text_png(std::string_view text, int pixel_size = 32);
// A width x height RGB gradient, as PNG bytes.
std::string pattern_png(int width, int height);
// The same image in another format, re-encoded with leptonica: "jpeg", "webp", "gif", "tiff",
// "bmp" (lossless where the format allows).
std::string convert_image(std::string_view image, std::string_view format);
// A 440 Hz tone as a 16-bit mono PCM WAV file.
std::string tone_wav(double seconds, int sample_rate = 16000);

std::string base64_encode(std::string_view bytes);
// "data:<media_type>;base64,<bytes in base64>"
std::string data_url(std::string_view media_type, std::string_view bytes);

}  // namespace switchyard::test
