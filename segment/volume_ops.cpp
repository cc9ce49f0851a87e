#include "segment/volume_ops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace xct::seg {

namespace {

// The lines of a contiguous (nz, ny, nx) volume along `axis` (0 z, 1 y, 2 x): how many, their
// length and stride, and where line `line` starts.
struct Lines {
  std::size_t count = 0, stride = 0;
  std::ptrdiff_t length = 0;
  std::size_t nx = 0, ny = 0;
  int axis = 0;
  Lines(std::size_t nz, std::size_t ny_, std::size_t nx_, int axis_)
      : nx(nx_), ny(ny_), axis(axis_) {
    const std::size_t n[3] = {nz, ny_, nx_};
    const std::size_t strides[3] = {ny_ * nx_, nx_, 1};
    count = nz * ny_ * nx_ / n[axis_];
    stride = strides[axis_];
    length = static_cast<std::ptrdiff_t>(n[axis_]);
  }
  std::size_t start(std::size_t line) const {
    if (axis == 2) return line * nx;
    if (axis == 1) return (line / nx) * ny * nx + line % nx;
    return line;
  }
};

std::vector<float> gaussian_kernel(double sigma) {
  const int r = std::max(1, static_cast<int>(std::ceil(3.0 * sigma)));
  std::vector<float> k(static_cast<std::size_t>(2 * r + 1));
  double sum = 0;
  for (int i = -r; i <= r; ++i) {
    const double v = std::exp(-0.5 * i * i / (sigma * sigma));
    k[static_cast<std::size_t>(i + r)] = static_cast<float>(v);
    sum += v;
  }
  for (auto& v : k)
    v = static_cast<float>(v / sum);
  return k;
}

// One 1-D pass along `axis` (0 z, 1 y, 2 x) of a contiguous (nz, ny, nx) volume, edges
// replicated.
void smooth_axis(const float* in, float* out, std::size_t nz, std::size_t ny, std::size_t nx,
                 int axis, const std::vector<float>& k) {
  const int r = static_cast<int>(k.size() / 2);
  const Lines lines(nz, ny, nx, axis);
  const std::ptrdiff_t len = lines.length;
  const std::size_t s = lines.stride;
#pragma omp parallel
  {
    std::vector<float> buf(static_cast<std::size_t>(len + 2 * r));
#pragma omp for schedule(static)
    for (std::size_t line = 0; line < lines.count; ++line) {
      const std::size_t base = lines.start(line);
      for (std::ptrdiff_t i = -r; i < len + r; ++i) {
        const std::ptrdiff_t c = std::clamp<std::ptrdiff_t>(i, 0, len - 1);
        buf[static_cast<std::size_t>(i + r)] = in[base + static_cast<std::size_t>(c) * s];
      }
      for (std::ptrdiff_t i = 0; i < len; ++i) {
        float acc = 0;
        const float* b = &buf[static_cast<std::size_t>(i)];
        for (std::size_t j = 0; j < k.size(); ++j)
          acc += k[j] * b[j];
        out[base + static_cast<std::size_t>(i) * s] = acc;
      }
    }
  }
}

HostArray<float, 3> gaussian_raw(const float* data, std::size_t nz, std::size_t ny, std::size_t nx,
                                 double sigma) {
  const auto k = gaussian_kernel(sigma);
  HostArray<float, 3> a({nz, ny, nx}), b({nz, ny, nx});
  smooth_axis(data, a.data(), nz, ny, nx, 2, k);
  smooth_axis(a.data(), b.data(), nz, ny, nx, 1, k);
  if (nz > 1) {
    smooth_axis(b.data(), a.data(), nz, ny, nx, 0, k);
    return a;
  }
  return b;
}

}  // namespace

namespace {

// Comparators (i, j) of Batcher's odd-even merge sort of 32 wires that the 16th output (index
// 15) depends on: with wires 27, 28 at -infinity and 29-31 at +infinity, it is the median of
// wires 0-26.
struct MedianNetwork {
  std::vector<std::pair<int, int>> pairs;
  MedianNetwork() {
    constexpr int n = 32;
    std::vector<std::pair<int, int>> all;
    for (int p = 1; p < n; p <<= 1)
      for (int k = p; k >= 1; k >>= 1)
        for (int j = k % p; j + k < n; j += 2 * k)
          for (int i = 0; i < std::min(k, n - j - k); ++i)
            if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) all.emplace_back(i + j, i + j + k);
    std::vector<char> live(n, 0);
    live[15] = 1;
    for (auto it = all.rbegin(); it != all.rend(); ++it)
      if (live[static_cast<std::size_t>(it->first)] || live[static_cast<std::size_t>(it->second)]) {
        live[static_cast<std::size_t>(it->first)] = live[static_cast<std::size_t>(it->second)] = 1;
        pairs.push_back(*it);
      }
    std::reverse(pairs.begin(), pairs.end());
  }
};

}  // namespace

HostArray<float, 3> median3(HostView<const float, 3> image) {
  static const MedianNetwork network;
  const std::size_t nz = image.extent(0), ny = image.extent(1), nx = image.extent(2);
  HostArray<float, 3> out({nz, ny, nx});
  const float* in = image.data();
  auto clampi = [](std::ptrdiff_t i, std::size_t n) {
    return static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(i, 0, static_cast<std::ptrdiff_t>(n) - 1));
  };
  constexpr float inf = std::numeric_limits<float>::infinity();
#pragma omp parallel
  {
    // Wire w holds, for every x of the row, one of the 27 neighbours (or a padding value):
    // the network runs on whole rows at once, min and max over arrays.
    std::vector<float> wires(32 * nx);
#pragma omp for schedule(static) collapse(2)
    for (std::size_t z = 0; z < nz; ++z)
      for (std::size_t y = 0; y < ny; ++y) {
        // The padding wires take part in the exchanges: set them for every row.
        for (std::size_t p = 27; p < 32; ++p)
          std::fill(wires.begin() + static_cast<long>(p * nx),
                    wires.begin() + static_cast<long>((p + 1) * nx), p < 29 ? -inf : inf);
        std::size_t w = 0;
        for (int dz = -1; dz <= 1; ++dz)
          for (int dy = -1; dy <= 1; ++dy) {
            const float* row = in + (clampi(static_cast<std::ptrdiff_t>(z) + dz, nz) * ny +
                                     clampi(static_cast<std::ptrdiff_t>(y) + dy, ny)) *
                                        nx;
            for (int dx = -1; dx <= 1; ++dx, ++w) {
              float* dst = wires.data() + w * nx;
              for (std::size_t x = 0; x < nx; ++x)
                dst[x] = row[clampi(static_cast<std::ptrdiff_t>(x) + dx, nx)];
            }
          }
        for (const auto& [i, j] : network.pairs) {
          float* a = wires.data() + static_cast<std::size_t>(i) * nx;
          float* b = wires.data() + static_cast<std::size_t>(j) * nx;
          for (std::size_t x = 0; x < nx; ++x) {
            const float lo = std::min(a[x], b[x]), hi = std::max(a[x], b[x]);
            a[x] = lo;
            b[x] = hi;
          }
        }
        std::copy(wires.begin() + 15 * static_cast<long>(nx),
                  wires.begin() + 16 * static_cast<long>(nx), out.data() + (z * ny + y) * nx);
      }
  }
  return out;
}

HostArray<float, 3> gaussian(HostView<const float, 3> image, double sigma) {
  return gaussian_raw(image.data(), image.extent(0), image.extent(1), image.extent(2), sigma);
}

HostArray<float, 3> masked_gaussian(HostView<const float, 3> image,
                                    HostView<const std::uint8_t, 3> weight, double sigma,
                                    double min_weight, float fallback) {
  const std::size_t nz = image.extent(0), ny = image.extent(1), nx = image.extent(2);
  const std::size_t n = image.size();
  HostArray<float, 3> wv({nz, ny, nx}), w({nz, ny, nx});
  const float* im = image.data();
  const std::uint8_t* m = weight.data();
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    w.data()[i] = m[i] ? 1.0f : 0.0f;
    wv.data()[i] = m[i] ? im[i] : 0.0f;
  }
  auto num = gaussian_raw(wv.data(), nz, ny, nx, sigma);
  wv = HostArray<float, 3>();
  auto den = gaussian_raw(w.data(), nz, ny, nx, sigma);
  float* out = num.data();
  const float* d = den.data();
  const float mw = static_cast<float>(min_weight);
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i)
    out[i] = d[i] >= mw ? out[i] / d[i] : fallback;
  return num;
}

HostArray<std::uint8_t, 3> dilate_box(HostView<const std::uint8_t, 3> mask, int radius) {
  const std::size_t nz = mask.extent(0), ny = mask.extent(1), nx = mask.extent(2);
  HostArray<std::uint8_t, 3> a({nz, ny, nx}), b({nz, ny, nx});
  const std::uint8_t* in = mask.data();
  const std::ptrdiff_t r = radius;
  // Separable: a box is the product of three lines. Running counts keep it O(1) per voxel.
  auto pass = [&](const std::uint8_t* src, std::uint8_t* dst, int axis) {
    const Lines lines(nz, ny, nx, axis);
    const std::ptrdiff_t len = lines.length;
    const std::size_t s = lines.stride;
#pragma omp parallel for schedule(static)
    for (std::size_t line = 0; line < lines.count; ++line) {
      const std::size_t base = lines.start(line);
      int count = 0;
      for (std::ptrdiff_t i = 0; i < std::min(r, len); ++i)
        count += src[base + static_cast<std::size_t>(i) * s] != 0;
      for (std::ptrdiff_t i = 0; i < len; ++i) {
        if (i + r < len) count += src[base + static_cast<std::size_t>(i + r) * s] != 0;
        if (i - r - 1 >= 0) count -= src[base + static_cast<std::size_t>(i - r - 1) * s] != 0;
        dst[base + static_cast<std::size_t>(i) * s] = count > 0;
      }
    }
  };
  pass(in, a.data(), 2);
  pass(a.data(), b.data(), 1);
  pass(b.data(), a.data(), 0);
  return a;
}

namespace {

HostArray<std::uint8_t, 3> step6(HostView<const std::uint8_t, 3> in, bool dilate) {
  const std::size_t nz = in.extent(0), ny = in.extent(1), nx = in.extent(2);
  HostArray<std::uint8_t, 3> out({nz, ny, nx});
  const std::uint8_t* m = in.data();
  const std::size_t sz = ny * nx;
#pragma omp parallel for schedule(static) collapse(2)
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        const std::size_t i = (z * ny + y) * nx + x;
        const bool c = m[i] != 0;
        const bool n[6] = {z > 0 && m[i - sz], z + 1 < nz && m[i + sz],
                           y > 0 && m[i - nx], y + 1 < ny && m[i + nx],
                           x > 0 && m[i - 1],  x + 1 < nx && m[i + 1]};
        bool any = c, all = c;
        for (bool b : n) {
          any |= b;
          all &= b;
        }
        out.data()[i] = dilate ? any : all;
      }
  return out;
}

}  // namespace

HostArray<std::uint8_t, 3> dilate6(HostView<const std::uint8_t, 3> mask, int iterations) {
  HostArray<std::uint8_t, 3> a = step6(mask, true);
  for (int i = 1; i < iterations; ++i)
    a = step6(a.cview(), true);
  return a;
}

HostArray<std::uint8_t, 3> erode6(HostView<const std::uint8_t, 3> mask, int iterations) {
  HostArray<std::uint8_t, 3> a = step6(mask, false);
  for (int i = 1; i < iterations; ++i)
    a = step6(a.cview(), false);
  return a;
}

double Axis::radius(std::size_t yi, std::size_t xi) const {
  return std::hypot(static_cast<double>(xi) - x, static_cast<double>(yi) - y);
}

double Axis::angle(std::size_t yi, std::size_t xi) const {
  return std::atan2(static_cast<double>(yi) - y, static_cast<double>(xi) - x);
}

std::size_t fill_convex_hull(HostView<const std::uint8_t, 2> slice, HostView<std::uint8_t, 2> out) {
  const std::size_t ny = slice.extent(0), nx = slice.extent(1);
  // Boundary candidates: per row, the first and last set pixel are enough for the hull.
  struct P {
    long x, y;
  };
  std::vector<P> pts;
  for (std::size_t y = 0; y < ny; ++y) {
    long first = -1, last = -1;
    for (std::size_t x = 0; x < nx; ++x) {
      if (slice(y, x)) {
        if (first < 0) first = static_cast<long>(x);
        last = static_cast<long>(x);
      }
    }
    if (first >= 0) {
      pts.push_back({first, static_cast<long>(y)});
      if (last != first) pts.push_back({last, static_cast<long>(y)});
    }
  }
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x)
      out(y, x) = 0;
  if (pts.empty()) return 0;
  // Andrew's monotone chain.
  std::sort(pts.begin(), pts.end(),
            [](const P& a, const P& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  auto cross = [](const P& o, const P& a, const P& b) {
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
  };
  std::vector<P> hull(2 * pts.size());
  std::size_t k = 0;
  for (std::size_t i = 0; i < pts.size(); ++i) {
    while (k >= 2 && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0)
      --k;
    hull[k++] = pts[i];
  }
  for (std::size_t i = pts.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && cross(hull[k - 2], hull[k - 1], pts[i]) <= 0)
      --k;
    hull[k++] = pts[i];
  }
  hull.resize(k > 1 ? k - 1 : k);
  std::size_t count = 0;
  if (hull.size() < 3) {
    // Degenerate (a point or a segment): the set pixels themselves.
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x)
        if (slice(y, x)) {
          out(y, x) = 1;
          ++count;
        }
    return count;
  }
  // Rasterise per row: the hull's x extent at each row from its edges (counter-clockwise).
  long ymin = hull[0].y, ymax = hull[0].y;
  for (const auto& p : hull) {
    ymin = std::min(ymin, p.y);
    ymax = std::max(ymax, p.y);
  }
  for (long y = ymin; y <= ymax; ++y) {
    double lo = 1e300, hi = -1e300;
    for (std::size_t i = 0; i < hull.size(); ++i) {
      const P& a = hull[i];
      const P& b = hull[(i + 1) % hull.size()];
      if ((a.y <= y && b.y >= y) || (b.y <= y && a.y >= y)) {
        if (a.y == b.y) {
          lo = std::min(lo, static_cast<double>(std::min(a.x, b.x)));
          hi = std::max(hi, static_cast<double>(std::max(a.x, b.x)));
        } else {
          const double x = a.x + static_cast<double>(y - a.y) * (b.x - a.x) / (b.y - a.y);
          lo = std::min(lo, x);
          hi = std::max(hi, x);
        }
      }
    }
    if (lo > hi) continue;
    const long x0 = std::max(0L, static_cast<long>(std::ceil(lo - 1e-9)));
    const long x1 = std::min(static_cast<long>(nx) - 1, static_cast<long>(std::floor(hi + 1e-9)));
    for (long x = x0; x <= x1; ++x) {
      out(static_cast<std::size_t>(y), static_cast<std::size_t>(x)) = 1;
      ++count;
    }
  }
  return count;
}

}  // namespace xct::seg
