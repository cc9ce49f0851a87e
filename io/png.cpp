// 8-bit greyscale PNG previews through libpng.
//
// libpng reports errors by longjmp. The functions that call setjmp hold only plain data (no
// destructors for longjmp to skip); RAII owners live in their callers, and a failure comes
// back as `false` with libpng's message, which the caller throws as an xct::Error.
#include "io/png.hpp"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {

struct PngMessage {
  char text[256] = {};
};

void on_png_error(png_structp png, png_const_charp msg) {
  auto* m = static_cast<PngMessage*>(png_get_error_ptr(png));
  std::snprintf(m->text, sizeof m->text, "%s", msg ? msg : "unknown libpng error");
  png_longjmp(png, 1);
}
void on_png_warning(png_structp, png_const_charp) {}  // libpng must not print

// Closes a C stream on scope exit.
struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// libpng state for writing; destroyed by the owner, never inside a setjmp frame.
struct PngWriter {
  PngMessage message;
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngWriter() {
    png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &message, on_png_error, on_png_warning);
    if (png) info = png_create_info_struct(png);
  }
  ~PngWriter() { png_destroy_write_struct(&png, &info); }
  PngWriter(const PngWriter&) = delete;
  PngWriter& operator=(const PngWriter&) = delete;
};

struct PngReader {
  PngMessage message;
  png_structp png = nullptr;
  png_infop info = nullptr;
  PngReader() {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &message, on_png_error, on_png_warning);
    if (png) info = png_create_info_struct(png);
  }
  ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;
};

// Writes `rows` rows of `channels` 8-bit samples per pixel (1: grey, 3: RGB), with one text
// chunk when `text` is not empty.
bool encode8(PngWriter* w, std::FILE* fp, const std::uint8_t* pixels, png_uint_32 rows,
             png_uint_32 cols, int channels, const char* key, const char* text) {
  if (setjmp(png_jmpbuf(w->png))) return false;
  png_init_io(w->png, fp);
  png_set_IHDR(w->png, w->info, cols, rows, 8,
               channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_text chunk{};
  if (text != nullptr && *text != '\0') {
    chunk.compression = PNG_TEXT_COMPRESSION_NONE;
    chunk.key = const_cast<char*>(key);
    chunk.text = const_cast<char*>(text);
    png_set_text(w->png, w->info, &chunk, 1);
  }
  png_write_info(w->png, w->info);
  for (png_uint_32 r = 0; r < rows; ++r)
    png_write_row(w->png, pixels + std::size_t{r} * cols * static_cast<std::size_t>(channels));
  png_write_end(w->png, w->info);
  return true;
}

// Writes `rows` x `cols` pixels of `channels` 8-bit samples as a PNG, atomically.
void write_png8(const fs::path& file, const std::uint8_t* pixels, std::size_t rows,
                std::size_t cols, int channels, const char* key, const char* text) {
  AtomicFile out(file);
  FilePtr fp(std::fopen(out.temp_path().c_str(), "wb"));
  XCT_CHECK(fp != nullptr, ErrorKind::OutputIO, "cannot open ", out.temp_path().string(),
            " for writing: ", std::strerror(errno));
  PngWriter writer;
  XCT_CHECK(writer.info != nullptr, ErrorKind::OutputIO, "libpng cannot start writing ",
            file.string());
  const bool encoded = encode8(&writer, fp.get(), pixels, static_cast<png_uint_32>(rows),
                               static_cast<png_uint_32>(cols), channels, key, text);
  XCT_CHECK(encoded, ErrorKind::OutputIO, "cannot write PNG ", file.string(), ": ",
            writer.message.text);
  const bool flushed = std::fflush(fp.get()) == 0;
  XCT_CHECK(flushed && std::fclose(fp.release()) == 0, ErrorKind::OutputIO, "cannot write PNG ",
            file.string(), ": ", std::strerror(errno));
  out.commit();
}

bool decode_header(PngReader* r, std::FILE* fp) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_init_io(r->png, fp);
  png_set_sig_bytes(r->png, 8);
  png_read_info(r->png, r->info);
  return true;
}

bool decode_rows(PngReader* r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r->png))) return false;
  png_set_interlace_handling(r->png);
  png_read_update_info(r->png, r->info);
  png_read_image(r->png, rows);
  png_read_end(r->png, nullptr);
  return true;
}

// numpy's default ("linear") percentile of v, which it reorders.
double percentile_of(std::vector<float>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto k = static_cast<std::size_t>(pos);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (k + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + (pos - static_cast<double>(k)) * (b - a);
}

std::uint8_t to_gray(float v, const PreviewWindow& w) {
  if (!std::isfinite(v)) return 0;
  if (!(w.high_value > w.low_value)) return v > w.low_value ? 255 : 0;  // a flat image
  const double t = (v - w.low_value) / (w.high_value - w.low_value) * 255.0;
  return static_cast<std::uint8_t>(std::lround(std::clamp(t, 0.0, 255.0)));
}

}  // namespace

PreviewWindow percentile_window(HostView<const float, 2> image, double low_percentile,
                                double high_percentile) {
  XCT_CHECK(0.0 <= low_percentile && low_percentile < high_percentile && high_percentile <= 100.0,
            ErrorKind::Usage, "preview percentiles must satisfy 0 <= low < high <= 100, not ",
            low_percentile, " and ", high_percentile);
  PreviewWindow w;
  w.low_percentile = low_percentile;
  w.high_percentile = high_percentile;
  std::vector<float> finite;
  finite.reserve(image.size());
  for (std::size_t r = 0; r < image.extent(0); ++r) {
    for (std::size_t c = 0; c < image.extent(1); ++c) {
      const float v = image(r, c);
      if (std::isfinite(v)) {
        finite.push_back(v);
      } else {
        ++w.non_finite;
      }
    }
  }
  if (finite.empty()) return w;  // nothing to show: the window stays 0..0
  w.low_value = percentile_of(finite, low_percentile);
  w.high_value = percentile_of(finite, high_percentile);
  return w;
}

PreviewWindow write_png_preview(const fs::path& file, HostView<const float, 2> image,
                                double low_percentile, double high_percentile) {
  const std::size_t rows = image.extent(0), cols = image.extent(1);
  constexpr std::size_t kMaxSide = 0x7fffffff;  // the PNG limit
  XCT_CHECK(rows > 0 && cols > 0 && rows <= kMaxSide && cols <= kMaxSide, ErrorKind::Internal,
            "cannot write a PNG preview of ", rows, " x ", cols, " pixels: ", file.string());
  const PreviewWindow w = percentile_window(image, low_percentile, high_percentile);
  std::vector<std::uint8_t> pixels(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c)
      pixels[r * cols + c] = to_gray(image(r, c), w);
  }
  char text[160];
  std::snprintf(text, sizeof text, "p%g=%.9g p%g=%.9g", w.low_percentile, w.low_value,
                w.high_percentile, w.high_value);

  write_png8(file, pixels.data(), rows, cols, 1, "xct:window", text);
  return w;
}

void write_png_rgb(const fs::path& file, HostView<const std::uint8_t, 3> rgb,
                   const std::string& text) {
  const std::size_t rows = rgb.extent(0), cols = rgb.extent(1);
  constexpr std::size_t kMaxSide = 0x7fffffff;  // the PNG limit
  XCT_CHECK(rows > 0 && cols > 0 && rows <= kMaxSide && cols <= kMaxSide && rgb.extent(2) == 3,
            ErrorKind::Internal, "cannot write an RGB PNG of ", rows, " x ", cols, " x ",
            rgb.extent(2), ": ", file.string());
  std::vector<std::uint8_t> pixels(rows * cols * 3);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      for (std::size_t k = 0; k < 3; ++k)
        pixels[(r * cols + c) * 3 + k] = rgb(r, c, k);
  write_png8(file, pixels.data(), rows, cols, 3, "xct:overlay", text.c_str());
}

namespace {

// Reads an 8-bit PNG of `channels` samples per pixel (1: grey, 3: RGB) into `out`, sized by
// `make(rows, cols)`.
template <typename Make>
void read_png8(const fs::path& file, int channels, Make make) {
  std::error_code ec;
  XCT_CHECK(fs::exists(file, ec), ErrorKind::InputMissing, "PNG file not found: ", file.string());
  FilePtr fp(std::fopen(file.c_str(), "rb"));
  XCT_CHECK(fp != nullptr, ErrorKind::InputMissing, "cannot open ", file.string(), ": ",
            std::strerror(errno));
  png_byte signature[8] = {};
  const bool is_png =
      std::fread(signature, 1, 8, fp.get()) == 8 && png_sig_cmp(signature, 0, 8) == 0;
  XCT_CHECK(is_png, ErrorKind::BadData, file.string(), " is not a PNG file");
  PngReader reader;
  XCT_CHECK(reader.info != nullptr, ErrorKind::Internal, "libpng cannot start reading ",
            file.string());
  XCT_CHECK(decode_header(&reader, fp.get()), ErrorKind::BadData, "cannot read PNG ", file.string(),
            ": ", reader.message.text);
  const png_uint_32 cols = png_get_image_width(reader.png, reader.info);
  const png_uint_32 rows = png_get_image_height(reader.png, reader.info);
  const int depth = png_get_bit_depth(reader.png, reader.info);
  const int colour = png_get_color_type(reader.png, reader.info);
  const int want = channels == 3 ? PNG_COLOR_TYPE_RGB : PNG_COLOR_TYPE_GRAY;
  XCT_CHECK(depth == 8 && colour == want, ErrorKind::BadData, file.string(), " is not an 8-bit ",
            channels == 3 ? "RGB" : "greyscale", " PNG (bit depth ", depth, ", colour type ",
            colour, ")");
  std::uint8_t* data = make(std::size_t{rows}, std::size_t{cols});
  std::vector<png_bytep> row_ptrs(rows);
  for (png_uint_32 r = 0; r < rows; ++r)
    row_ptrs[r] = data + std::size_t{r} * cols * static_cast<std::size_t>(channels);
  XCT_CHECK(decode_rows(&reader, row_ptrs.data()), ErrorKind::BadData, "cannot read PNG ",
            file.string(), ": ", reader.message.text);
}

}  // namespace

HostArray<std::uint8_t, 2> read_png_gray8(const fs::path& file) {
  HostArray<std::uint8_t, 2> image;
  read_png8(file, 1, [&](std::size_t rows, std::size_t cols) {
    image = HostArray<std::uint8_t, 2>({rows, cols});
    return image.data();
  });
  return image;
}

HostArray<std::uint8_t, 3> read_png_rgb(const fs::path& file) {
  HostArray<std::uint8_t, 3> image;
  read_png8(file, 3, [&](std::size_t rows, std::size_t cols) {
    image = HostArray<std::uint8_t, 3>({rows, cols, 3});
    return image.data();
  });
  return image;
}

}  // namespace xct
