// Label overlays, written as RGB PNGs by io/png.hpp.
#include "segment/overlay.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/error.hpp"
#include "io/png.hpp"

namespace fs = std::filesystem;

namespace xct::seg {

namespace {

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
  // The same percentiles as the greyscale previews (io/png.hpp), over the sampled values.
  const auto p = percentile_window(HostView<const float, 2>(v.data(), {1, v.size()}),
                                   low_percentile, high_percentile);
  w.low = p.low_value;
  w.high = p.high_value;
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

}  // namespace xct::seg
