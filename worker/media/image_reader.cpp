#include "worker/media/image_reader.hpp"

#include <mutex>

#include "common/openai_error.hpp"

namespace switchyard::worker::media {
namespace {

void quiet_leptonica() {
  static std::once_flag once;
  std::call_once(once, [] { setMsgSeverity(L_SEVERITY_NONE); });  // errors become 400s instead
}

[[noreturn]] void refuse(const std::string& param, const std::string& why) {
  throw ApiError(ErrorKind::invalid_request, "'" + param + "' " + why, param);
}

}  // namespace

PixPtr read_image(std::string_view bytes, const std::string& param) {
  quiet_leptonica();
  const auto* data = reinterpret_cast<const l_uint8*>(bytes.data());
  l_int32 format = IFF_UNKNOWN;
  l_int32 w = 0;
  l_int32 h = 0;
  l_int32 bps = 0;
  l_int32 spp = 0;
  l_int32 cmap = 0;
  if (bytes.size() < 12 ||
      pixReadHeaderMem(data, bytes.size(), &format, &w, &h, &bps, &spp, &cmap) != 0 ||
      format == IFF_UNKNOWN) {
    refuse(param, "is not an image this server can read (PNG, JPEG, GIF, WebP, TIFF, BMP)");
  }
  if (w <= 0 || h <= 0 || static_cast<long>(w) * h > kMaxImagePixels) {
    refuse(param, "is " + std::to_string(w) + "x" + std::to_string(h) +
                      " pixels; at most 64 megapixels are accepted");
  }
  PixPtr pix(pixReadMem(data, bytes.size()));
  if (!pix) refuse(param, "could not be decoded (a damaged or unsupported image)");
  return pix;
}

RgbImage read_rgb(std::string_view bytes, const std::string& param) {
  PixPtr pix = read_image(bytes, param);
  PixPtr rgb(pixConvertTo32(pix.get()));
  if (!rgb) refuse(param, "could not be converted to RGB");
  RgbImage image;
  image.width = static_cast<std::uint32_t>(pixGetWidth(rgb.get()));
  image.height = static_cast<std::uint32_t>(pixGetHeight(rgb.get()));
  image.rgb.resize(static_cast<std::size_t>(image.width) * image.height * 3);
  const l_uint32* row = pixGetData(rgb.get());
  const l_int32 wpl = pixGetWpl(rgb.get());
  std::size_t out = 0;
  for (std::uint32_t y = 0; y < image.height; ++y, row += wpl) {
    for (std::uint32_t x = 0; x < image.width; ++x) {
      l_int32 r = 0;
      l_int32 g = 0;
      l_int32 b = 0;
      extractRGBValues(row[x], &r, &g, &b);
      image.rgb[out++] = static_cast<unsigned char>(r);
      image.rgb[out++] = static_cast<unsigned char>(g);
      image.rgb[out++] = static_cast<unsigned char>(b);
    }
  }
  return image;
}

}  // namespace switchyard::worker::media
