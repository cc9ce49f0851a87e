// Label overlays as RGB PNGs through libpng.
//
// libpng reports errors by longjmp: the functions that call setjmp hold only plain data, RAII
// owners live in their callers, and a failure comes back as `false` with libpng's message,
// thrown by the caller as an xct::Error (as io/png.cpp does for greyscale previews).
#include "segment/overlay.hpp"

#include <png.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace fs = std::filesystem;

namespace xct::seg {

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

struct FileCloser {
  void operator()(std::FILE* f) const {
    if (f) std::fclose(f);
  }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

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

bool encode_rgb8(PngWriter* w, std::FILE* fp, const std::uint8_t* pixels, png_uint_32 rows,
                 png_uint_32 cols, const char* text) {
  if (setjmp(png_jmpbuf(w->png))) return false;
  png_init_io(w->png, fp);
  png_set_IHDR(w->png, w->info, cols, rows, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_text chunk{};
  if (text != nullptr && *text != '\0') {
    chunk.compression = PNG_TEXT_COMPRESSION_NONE;
    chunk.key = const_cast<char*>("xct:overlay");
    chunk.text = const_cast<char*>(text);
    png_set_text(w->png, w->info, &chunk, 1);
  }
  png_write_info(w->png, w->info);
  for (png_uint_32 r = 0; r < rows; ++r)
    png_write_row(w->png, pixels + std::size_t{r} * cols * 3);
  png_write_end(w->png, w->info);
  return true;
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

double percentile_of(std::vector<float>& v, double p) {
  const double pos = p / 100.0 * static_cast<double>(v.size() - 1);
  const auto k = static_cast<std::size_t>(pos);
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  const double a = v[k];
  if (k + 1 >= v.size()) return a;
  const double b = *std::min_element(v.begin() + static_cast<std::ptrdiff_t>(k) + 1, v.end());
  return a + (pos - static_cast<double>(k)) * (b - a);
}

double grey_level(float v, const GreyWindow& w) {
  if (!std::isfinite(v)) return 0.0;
  if (!(w.high > w.low)) return v > w.low ? 255.0 : 0.0;
  return std::clamp((v - w.low) / (w.high - w.low) * 255.0, 0.0, 255.0);
}

}  // namespace

GreyWindow grey_window(HostView<const float, 3> grey, double low_percentile,
                       double high_percentile) {
  XCT_CHECK(0.0 <= low_percentile && low_percentile < high_percentile && high_percentile <= 100.0,
            ErrorKind::Usage, "overlay percentiles must satisfy 0 <= low < high <= 100, not ",
            low_percentile, " and ", high_percentile);
  constexpr std::size_t kMaxSamples = std::size_t{1} << 24;
  const std::size_t n = grey.size();
  const std::size_t step = std::max<std::size_t>(1, (n + kMaxSamples - 1) / kMaxSamples);
  std::vector<float> v;
  v.reserve(n / step + 1);
  const std::size_t ny = grey.extent(1), nx = grey.extent(2);
  for (std::size_t i = 0; i < n; i += step) {
    const float f = grey(i / (ny * nx), (i / nx) % ny, i % nx);
    if (std::isfinite(f)) v.push_back(f);
  }
  GreyWindow w;
  if (v.empty()) return w;
  w.low = percentile_of(v, low_percentile);
  w.high = percentile_of(v, high_percentile);
  return w;
}

int overlay_scale(std::size_t rows, std::size_t cols) {
  const std::size_t longest = std::max<std::size_t>(1, std::max(rows, cols));
  return static_cast<int>(std::clamp<std::size_t>(512 / longest, 1, 4));
}

HostArray<std::uint8_t, 3> render_overlay(HostView<const float, 2> grey,
                                          HostView<const std::uint8_t, 2> labels,
                                          const GreyWindow& window, int scale, bool outlines) {
  const std::size_t rows = grey.extent(0), cols = grey.extent(1);
  XCT_CHECK(labels.extent(0) == rows && labels.extent(1) == cols && scale >= 1, ErrorKind::Internal,
            "overlay of ", rows, " x ", cols, " grey pixels with ", labels.extent(0), " x ",
            labels.extent(1), " labels");
  const auto s = static_cast<std::size_t>(scale);
  const std::size_t out_rows = rows * s, out_cols = cols * s;
  HostArray<std::uint8_t, 3> rgb({out_rows, out_cols, 3});
  auto label_at = [&](std::size_t r, std::size_t c) { return labels(r / s, c / s); };
  for (std::size_t r = 0; r < out_rows; ++r) {
    for (std::size_t c = 0; c < out_cols; ++c) {
      const double g = grey_level(grey(r / s, c / s), window);
      const std::uint8_t l = label_at(r, c);
      double px[3] = {g, g, g};
      if (l > 0 && l < kLabelCount) {
        const auto& colour = kLabelColours[l];
        bool edge = false;
        if (outlines) {
          edge =
              (r > 0 && label_at(r - 1, c) != l) || (r + 1 < out_rows && label_at(r + 1, c) != l) ||
              (c > 0 && label_at(r, c - 1) != l) || (c + 1 < out_cols && label_at(r, c + 1) != l);
        }
        const double a = edge ? 1.0 : kLabelOpacity[l];
        for (int k = 0; k < 3; ++k)
          px[k] = (1.0 - a) * g + a * colour[static_cast<std::size_t>(k)];
      }
      for (std::size_t k = 0; k < 3; ++k)
        rgb(r, c, k) = static_cast<std::uint8_t>(std::lround(std::clamp(px[k], 0.0, 255.0)));
    }
  }
  return rgb;
}

std::vector<fs::path> write_overlays(const fs::path& folder, const std::string& prefix,
                                     HostView<const float, 3> grey,
                                     HostView<const std::uint8_t, 3> labels,
                                     const std::array<std::size_t, 3>& point,
                                     const GreyWindow& window, bool outlines) {
  const std::size_t nz = grey.extent(0), ny = grey.extent(1), nx = grey.extent(2);
  XCT_CHECK(labels.shape() == grey.shape(), ErrorKind::Internal,
            "labels and grey volume differ in shape");
  XCT_CHECK(point[0] < nz && point[1] < ny && point[2] < nx, ErrorKind::Internal, "overlay point (",
            point[0], ", ", point[1], ", ", point[2], ") outside the volume");
  const std::size_t z = point[0], y = point[1], x = point[2];
  // Copies of the planes (the vertical ones are strided in the volume).
  HostArray<float, 2> g_xy({ny, nx}), g_xz({nz, nx}), g_yz({nz, ny});
  HostArray<std::uint8_t, 2> l_xy({ny, nx}), l_xz({nz, nx}), l_yz({nz, ny});
  for (std::size_t j = 0; j < ny; ++j)
    for (std::size_t i = 0; i < nx; ++i)
      g_xy(j, i) = grey(z, j, i), l_xy(j, i) = labels(z, j, i);
  for (std::size_t k = 0; k < nz; ++k) {
    for (std::size_t i = 0; i < nx; ++i)
      g_xz(k, i) = grey(k, y, i), l_xz(k, i) = labels(k, y, i);
    for (std::size_t j = 0; j < ny; ++j)
      g_yz(k, j) = grey(k, j, x), l_yz(k, j) = labels(k, j, x);
  }
  char text[256];
  std::snprintf(text, sizeof text, "window %.9g..%.9g; point z=%zu y=%zu x=%zu", window.low,
                window.high, z, y, x);
  struct Plane {
    const char* suffix;
    const HostArray<float, 2>* g;
    const HostArray<std::uint8_t, 2>* l;
  };
  const Plane planes[] = {
      {"_xy.png", &g_xy, &l_xy}, {"_xz.png", &g_xz, &l_xz}, {"_yz.png", &g_yz, &l_yz}};
  std::vector<fs::path> files;
  for (const Plane& p : planes) {
    const int scale = overlay_scale(p.g->extent(0), p.g->extent(1));
    const auto rgb = render_overlay(p.g->cview(), p.l->cview(), window, scale, outlines);
    files.push_back(folder / (prefix + p.suffix));
    write_png_rgb(files.back(), rgb.cview(), text);
  }
  return files;
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
  AtomicFile out(file);
  FilePtr fp(std::fopen(out.temp_path().c_str(), "wb"));
  XCT_CHECK(fp != nullptr, ErrorKind::OutputIO, "cannot open ", out.temp_path().string(),
            " for writing: ", std::strerror(errno));
  PngWriter writer;
  XCT_CHECK(writer.info != nullptr, ErrorKind::OutputIO, "libpng cannot start writing ",
            file.string());
  const bool encoded = encode_rgb8(&writer, fp.get(), pixels.data(), static_cast<png_uint_32>(rows),
                                   static_cast<png_uint_32>(cols), text.c_str());
  XCT_CHECK(encoded, ErrorKind::OutputIO, "cannot write PNG ", file.string(), ": ",
            writer.message.text);
  const bool flushed = std::fflush(fp.get()) == 0;
  XCT_CHECK(flushed && std::fclose(fp.release()) == 0, ErrorKind::OutputIO, "cannot write PNG ",
            file.string(), ": ", std::strerror(errno));
  out.commit();
}

HostArray<std::uint8_t, 3> read_png_rgb(const fs::path& file) {
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
  XCT_CHECK(depth == 8 && colour == PNG_COLOR_TYPE_RGB, ErrorKind::BadData, file.string(),
            " is not an 8-bit RGB PNG (bit depth ", depth, ", colour type ", colour, ")");
  HostArray<std::uint8_t, 3> image({rows, cols, 3});
  std::vector<png_bytep> row_ptrs(rows);
  for (png_uint_32 r = 0; r < rows; ++r)
    row_ptrs[r] = image.data() + std::size_t{r} * cols * 3;
  XCT_CHECK(decode_rows(&reader, row_ptrs.data()), ErrorKind::BadData, "cannot read PNG ",
            file.string(), ": ", reader.message.text);
  return image;
}

}  // namespace xct::seg
