#include "test_media.hpp"

#include <ft2build.h>
#include FT_FREETYPE_H
#include <leptonica/allheaders.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <vector>

namespace switchyard::test {
namespace {

void append(png_structp png, png_bytep data, png_size_t size) {
  auto* out = static_cast<std::string*>(png_get_io_ptr(png));
  out->append(reinterpret_cast<const char*>(data), size);
}

std::string write_png(int width, int height, int channels, const std::vector<unsigned char>& px) {
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  std::string out;
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    throw std::runtime_error("libpng failed");
  }
  png_set_write_fn(png, &out, append, nullptr);
  png_set_IHDR(png, info, static_cast<png_uint_32>(width), static_cast<png_uint_32>(height), 8,
               channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  for (int y = 0; y < height; ++y) {
    png_write_row(
        png, const_cast<png_bytep>(px.data() + static_cast<std::size_t>(y) * width * channels));
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace

std::string render_text_png(std::string_view text, int pixel_size) {
  FT_Library library = nullptr;
  FT_Face face = nullptr;
  if (FT_Init_FreeType(&library) != 0) throw std::runtime_error("FT_Init_FreeType failed");
  if (FT_New_Face(library, SWITCHYARD_TEST_FONT, 0, &face) != 0) {
    FT_Done_FreeType(library);
    throw std::runtime_error(std::string("cannot open the font ") + SWITCHYARD_TEST_FONT);
  }
  FT_Set_Pixel_Sizes(face, 0, static_cast<FT_UInt>(pixel_size));
  const int margin = pixel_size;
  int advance = 0;
  for (const char c : text) {
    if (FT_Load_Char(face, static_cast<unsigned char>(c), FT_LOAD_DEFAULT) == 0) {
      advance += static_cast<int>(face->glyph->advance.x >> 6);
    }
  }
  const int ascender = static_cast<int>(face->size->metrics.ascender >> 6);
  const int descender = static_cast<int>(-(face->size->metrics.descender >> 6));
  const int width = advance + 2 * margin;
  const int height = ascender + descender + 2 * margin;
  std::vector<unsigned char> px(static_cast<std::size_t>(width) * height, 255);
  int pen = margin;
  const int baseline = margin + ascender;
  for (const char c : text) {
    if (FT_Load_Char(face, static_cast<unsigned char>(c), FT_LOAD_RENDER) != 0) continue;
    const FT_GlyphSlot g = face->glyph;
    for (unsigned row = 0; row < g->bitmap.rows; ++row) {
      for (unsigned col = 0; col < g->bitmap.width; ++col) {
        const int x = pen + g->bitmap_left + static_cast<int>(col);
        const int y = baseline - g->bitmap_top + static_cast<int>(row);
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const unsigned char ink =
            g->bitmap.buffer[row * static_cast<unsigned>(g->bitmap.pitch) + col];
        unsigned char& p = px[static_cast<std::size_t>(y) * width + x];
        p = static_cast<unsigned char>(std::min<int>(p, 255 - ink));
      }
    }
    pen += static_cast<int>(g->advance.x >> 6);
  }
  FT_Done_Face(face);
  FT_Done_FreeType(library);
  return write_png(width, height, 1, px);
}

std::string pattern_png(int width, int height) {
  std::vector<unsigned char> px(static_cast<std::size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      unsigned char* p = &px[(static_cast<std::size_t>(y) * width + x) * 3];
      p[0] = static_cast<unsigned char>(255 * x / std::max(1, width - 1));
      p[1] = static_cast<unsigned char>(255 * y / std::max(1, height - 1));
      p[2] = static_cast<unsigned char>((x * 7 + y * 13) % 256);
    }
  }
  return write_png(width, height, 3, px);
}

std::string convert_image(std::string_view image, std::string_view format) {
  Pix* pix = pixReadMem(reinterpret_cast<const l_uint8*>(image.data()), image.size());
  if (pix == nullptr) throw std::runtime_error("leptonica cannot read the image");
  l_uint8* data = nullptr;
  size_t size = 0;
  l_ok rc = 1;
  if (format == "jpeg") {
    rc = pixWriteMemJpeg(&data, &size, pix, 95, 0);
  } else if (format == "webp") {
    rc = pixWriteMemWebP(&data, &size, pix, 100, /*lossless=*/1);
  } else if (format == "gif") {
    rc = pixWriteMemGif(&data, &size, pix);
  } else if (format == "tiff") {
    rc = pixWriteMem(&data, &size, pix, IFF_TIFF_ZIP);
  } else if (format == "bmp") {
    rc = pixWriteMem(&data, &size, pix, IFF_BMP);
  }
  pixDestroy(&pix);
  if (rc != 0 || data == nullptr) throw std::runtime_error("cannot encode " + std::string(format));
  std::string out(reinterpret_cast<const char*>(data), size);
  lept_free(data);
  return out;
}

std::string tone_wav(double seconds, int sample_rate) {
  const auto n = static_cast<std::uint32_t>(seconds * sample_rate);
  std::string out;
  auto put = [&out](std::uint32_t value, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
  };
  const std::uint32_t data_bytes = n * 2;
  out += "RIFF";
  put(36 + data_bytes, 4);
  out += "WAVEfmt ";
  put(16, 4);
  put(1, 2);  // PCM
  put(1, 2);  // mono
  put(static_cast<std::uint32_t>(sample_rate), 4);
  put(static_cast<std::uint32_t>(sample_rate) * 2, 4);
  put(2, 2);
  put(16, 2);
  out += "data";
  put(data_bytes, 4);
  for (std::uint32_t i = 0; i < n; ++i) {
    const double v = 8000.0 * std::sin(2.0 * M_PI * 440.0 * i / sample_rate);
    put(static_cast<std::uint16_t>(static_cast<std::int16_t>(v)), 2);
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == bytes.size()) {
    const unsigned v = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    const unsigned v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::string data_url(std::string_view media_type, std::string_view bytes) {
  return "data:" + std::string(media_type) + ";base64," + base64_encode(bytes);
}

}  // namespace switchyard::test
