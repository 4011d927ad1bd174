// Image bytes from a chat request to pixels, with Debian's leptonica (built with libpng, libjpeg,
// giflib, libwebp, libtiff and openjpeg): PNG, JPEG, GIF (first frame), WebP, TIFF, BMP, PNM and
// JPEG 2000. The header is read first, so a huge image is refused before it is decoded. Shared by
// the tesseract engine (a Pix) and the llama engine's projector input (RGB bytes for mtmd).
#pragma once

#include <leptonica/allheaders.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace switchyard::worker::media {

struct PixDeleter {
  void operator()(Pix* pix) const { pixDestroy(&pix); }
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

inline constexpr long kMaxImagePixels = 64L << 20;  // 64 megapixels

// Throws ApiError(invalid_request) naming `param` when the bytes are no image leptonica can read
// or the image is larger than kMaxImagePixels.
PixPtr read_image(std::string_view bytes, const std::string& param);

struct RgbImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<unsigned char> rgb;  // width * height * 3, rows top to bottom
};
// read_image(), then packed 8-bit RGB (any depth, colormap or alpha converted; alpha dropped).
RgbImage read_rgb(std::string_view bytes, const std::string& param);

}  // namespace switchyard::worker::media
