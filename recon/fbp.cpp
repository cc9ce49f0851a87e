// Filtered back-projection for parallel beams: the ramp (Ram-Lak) filter of Kak and Slaney,
// "Principles of Computerized Tomographic Imaging" (IEEE Press, 1988), ch. 3, eq. 61 (the
// band-limited spatial kernel), smoothed by a window, then pixel-driven back-projection with
// linear interpolation, as Algotom's fbp_reconstruction (algorithms.md section 6.1) but with
// per-angle weights that are right for any grid covering 180 degrees.
#include "recon/fbp.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/error.hpp"
#include "recon/fft.hpp"
#include "recon/windows.hpp"

namespace xct::recon {

namespace {

constexpr double kPi = std::numbers::pi;

std::size_t resolve_pad(const FbpParams& p, std::size_t n_cols) {
  if (p.pad_cols >= 0) return static_cast<std::size_t>(p.pad_cols);
  return std::min<std::size_t>(static_cast<std::size_t>(0.15 * static_cast<double>(n_cols)), 150);
}

// The filter's real response on the half spectrum of a padded row of `width` samples, with
// the 1/width of the inverse transform folded in. The ramp is the DFT of the spatial kernel
// h(0) = 1/4, h(odd n) = -1/(pi n)^2, h(even n) = 0 over n in [-ceil((w-1)/2), w-1-ceil(..)],
// which is real because the kernel is even about 0. Algotom multiplies the spectrum by the
// window centred on DC and keeps the real part of the inverse transform; for an even width the
// centred window is not symmetric, and keeping the real part applies its symmetric half-sum.
std::vector<float> ramp_response(std::size_t width, const std::string& window) {
  const std::size_t half = width / 2 + 1;
  std::vector<double> cos_table(width);
  for (std::size_t i = 0; i < width; ++i)
    cos_table[i] = std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(width));
  // Kernel offsets run over [-width/2, width - 1 - width/2]: odd n > 0 appears once or twice.
  const std::size_t most_negative = width / 2, most_positive = width - 1 - width / 2;
  const std::vector<double> win = named_window(window, width);
  std::vector<float> response(half);
  for (std::size_t k = 0; k < half; ++k) {
    double h = 0.25;
    for (std::size_t n = 1; n <= most_negative; n += 2) {
      const double nd = static_cast<double>(n);
      const double copies = (n <= most_positive ? 1.0 : 0.0) + 1.0;
      h -= copies / (kPi * kPi * nd * nd) * cos_table[(k * n) % width];
    }
    // The window in DC-first order: g[i] = win[(i + width/2) mod width].
    const double g_pos = win[(k + width / 2) % width];
    const double g_neg = win[(width - k % width + width / 2) % width];
    response[k] = static_cast<float>(h * 0.5 * (g_pos + g_neg) / static_cast<double>(width));
  }
  return response;
}

void check_finite(ConstImage a, const char* what) {
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t j = 0; j < a.extent(1); ++j)
      XCT_CHECK(std::isfinite(a(i, j)), ErrorKind::BadData, what, " holds a non-finite value at (",
                i, ", ", j, ")");
}

// A filtered sinogram ready for back-projection: rows weighted by their angle's weight, one
// zero sample past the end of each row so that interpolation at the last column needs no test.
struct Prepared {
  std::size_t n_angles = 0, n_cols = 0, stride = 0;
  std::vector<float> rows;
  std::vector<double> cos_a, sin_a;
};

Prepared prepare(ConstImage filtered, std::span<const double> angles) {
  Prepared p;
  p.n_angles = filtered.extent(0);
  p.n_cols = filtered.extent(1);
  p.stride = (p.n_cols + 1 + 15) / 16 * 16;
  const std::vector<double> w = fbp_angle_weights(angles);
  p.rows.assign(p.n_angles * p.stride, 0.0f);
  p.cos_a.resize(p.n_angles);
  p.sin_a.resize(p.n_angles);
  for (std::size_t a = 0; a < p.n_angles; ++a) {
    const auto wa = static_cast<float>(w[a]);
    float* row = p.rows.data() + a * p.stride;
    for (std::size_t j = 0; j < p.n_cols; ++j)
      row[j] = wa * filtered(a, j);
    p.cos_a[a] = std::cos(angles[a]);
    p.sin_a[a] = std::sin(angles[a]);
  }
  return p;
}

// Columns q in [lo, hi] of an output row whose detector position s0 + q c lies in [0, last].
void valid_range(double s0, double c, double last, long n, long& lo, long& hi) {
  lo = 0;
  hi = n - 1;
  if (std::abs(c) < 1e-12) {
    if (s0 < 0 || s0 > last) hi = -1;
    return;
  }
  const double q1 = (0.0 - s0) / c, q2 = (last - s0) / c;
  lo = std::max(lo, static_cast<long>(std::ceil(std::min(q1, q2))));
  hi = std::min(hi, static_cast<long>(std::floor(std::max(q1, q2))));
}

constexpr std::size_t kTileRows = 16, kTileCols = 128;

// One filtered row sampled along an output row: detector position s0 + q c for columns
// [lo, hi], where it lies within [0, last] up to rounding, so truncation is the floor (a
// position a hair below 0 gives 0 and f ~ -1e-7) and row[last + 1] is the zero pad.
struct RowRay {
  const float* row;
  float s0, c;
  long lo, hi;
  float at(long q) const {
    const float pos = s0 + static_cast<float>(q) * c;
    const int i0 = static_cast<int>(pos);
    const float f = pos - static_cast<float>(i0);
    return row[i0] + f * (row[i0 + 1] - row[i0]);
  }
};

void add_ray(const RowRay& a, long lo, long hi, float* out) {
  for (long q = lo; q <= hi; ++q)
    out[q] += a.at(q);
}

// Two angles at once where both are valid: half the traffic to the accumulator.
void add_ray_pair(const RowRay& a, const RowRay& b, float* out) {
  const long lo = std::max(a.lo, b.lo), hi = std::min(a.hi, b.hi);
  if (lo > hi) {
    add_ray(a, a.lo, a.hi, out);
    add_ray(b, b.lo, b.hi, out);
    return;
  }
  add_ray(a, a.lo, lo - 1, out);
  add_ray(b, b.lo, lo - 1, out);
  for (long q = lo; q <= hi; ++q)
    out[q] += a.at(q) + b.at(q);
  add_ray(a, hi + 1, a.hi, out);
  add_ray(b, hi + 1, b.hi, out);
}

// Back-projects every angle into the output tile at (r0, q0): the tile's footprint on each
// filtered row is small, so the rows stay in cache while all angles are added.
void back_project_tile(const Prepared& p, double centre, Image slice, std::size_t r0,
                       std::size_t q0, float* acc) {
  const std::size_t n = slice.extent(0);
  const std::size_t rows = std::min(kTileRows, n - r0), cols = std::min(kTileCols, n - q0);
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const double last = static_cast<double>(p.n_cols) - 1.0;
  std::fill(acc, acc + kTileRows * kTileCols, 0.0f);
  auto ray = [&](std::size_t a, std::size_t r) {
    const double c = p.cos_a[a], y = static_cast<double>(r0 + r) - half;
    // Detector position of tile column 0 of this row; each column adds cos(theta).
    const double s0 = (static_cast<double>(q0) - half) * c - y * p.sin_a[a] + centre;
    RowRay rr{p.rows.data() + a * p.stride, static_cast<float>(s0), static_cast<float>(c), 0, 0};
    valid_range(s0, c, last, static_cast<long>(cols), rr.lo, rr.hi);
    return rr;
  };
  for (std::size_t a = 0; a < p.n_angles; a += 2) {
    for (std::size_t r = 0; r < rows; ++r) {
      if (a + 1 < p.n_angles) {
        add_ray_pair(ray(a, r), ray(a + 1, r), acc + r * kTileCols);
      } else {
        const RowRay rr = ray(a, r);
        add_ray(rr, rr.lo, rr.hi, acc + r * kTileCols);
      }
    }
  }
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t q = 0; q < cols; ++q)
      slice(r0 + r, q0 + q) = acc[r * kTileCols + q];
}

void apply_mask(Image slice, double ratio) {
  if (ratio < 0) return;
  const std::size_t n = slice.extent(0);
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const double radius = ratio * 0.5 * static_cast<double>(n);
  for (std::size_t r = 0; r < n; ++r) {
    for (std::size_t q = 0; q < n; ++q) {
      const double x = static_cast<double>(q) - half, y = static_cast<double>(r) - half;
      if (x * x + y * y > radius * radius) slice(r, q) = 0.0f;
    }
  }
}

void back_project_prepared(const Prepared& p, double centre, Image slice, double mask_ratio) {
  const std::size_t n = slice.extent(0);
  const std::size_t tiles_r = (n + kTileRows - 1) / kTileRows;
  const std::size_t tiles_q = (n + kTileCols - 1) / kTileCols;
  const long n_tiles = static_cast<long>(tiles_r * tiles_q);
#pragma omp parallel
  {
    std::vector<float> acc(kTileRows * kTileCols);
#pragma omp for schedule(dynamic, 1)
    for (long t = 0; t < n_tiles; ++t) {
      const auto tu = static_cast<std::size_t>(t);
      back_project_tile(p, centre, slice, (tu / tiles_q) * kTileRows, (tu % tiles_q) * kTileCols,
                        acc.data());
    }
  }
  apply_mask(slice, mask_ratio);
}

void check_geometry(ConstImage filtered, std::span<const double> angles, double centre,
                    Image slice) {
  XCT_CHECK(!filtered.empty(), ErrorKind::BadData, "the sinogram is empty");
  XCT_CHECK(filtered.extent(0) == angles.size(), ErrorKind::Usage, "the sinogram has ",
            filtered.extent(0), " angles but ", angles.size(), " angles were given");
  XCT_CHECK(slice.extent(0) == slice.extent(1) && slice.extent(0) > 0, ErrorKind::Usage,
            "the slice must be square and not empty");
  XCT_CHECK(slice.is_contiguous(), ErrorKind::Usage, "the slice must be contiguous");
  const double last = static_cast<double>(filtered.extent(1)) - 1.0;
  XCT_CHECK(std::isfinite(centre) && centre >= 0 && centre <= last, ErrorKind::Usage,
            "centre of rotation ", centre, " lies outside the detector [0, ", last, "]");
}

}  // namespace

std::vector<double> fbp_angle_weights(std::span<const double> angles_rad) {
  const std::size_t n = angles_rad.size();
  XCT_CHECK(n >= 2, ErrorKind::BadData, "back-projection needs at least 2 angles, got ", n);
  for (double a : angles_rad)
    XCT_CHECK(std::isfinite(a), ErrorKind::BadData, "an angle is not finite");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return angles_rad[a] < angles_rad[b]; });
  const double first = angles_rad[order.front()], last = angles_rad[order.back()];
  // The scan covers `turns` half turns (1 for 180 degrees, 2 for 360): the wrap-around period.
  const double turns = std::max(1.0, std::round((last - first) / kPi));
  const double period = turns * kPi;
  std::vector<double> w(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double prev = k > 0 ? angles_rad[order[k - 1]] : last - period;
    const double next = k + 1 < n ? angles_rad[order[k + 1]] : first + period;
    // Each line is measured `turns` times over the period; weights add up to pi.
    w[order[k]] = 0.5 * (next - prev) / turns;
  }
  return w;
}

void fbp_filter(ConstImage sinogram, Image filtered, const FbpParams& params) {
  const std::size_t n_angles = sinogram.extent(0), n_cols = sinogram.extent(1);
  XCT_CHECK(n_angles > 0 && n_cols > 0, ErrorKind::BadData, "the sinogram is empty");
  XCT_CHECK(filtered.extent(0) == n_angles && filtered.extent(1) == n_cols, ErrorKind::Usage,
            "the filtered sinogram must have the sinogram's shape");
  check_finite(sinogram, "the sinogram");
  const std::size_t pad = resolve_pad(params, n_cols);
  const std::size_t width = n_cols + 2 * pad, half = width / 2 + 1;
  const std::vector<float> response = ramp_response(width, params.filter);
  const FftPlan& forward = FftPlan::r2c_1d(width, 1);
  const FftPlan& backward = FftPlan::c2r_1d(width, 1);
#pragma omp parallel
  {
    auto row = fft_alloc<float>(width);
    auto spectrum = fft_alloc<cfloat>(half);
#pragma omp for schedule(static)
    for (long a = 0; a < static_cast<long>(n_angles); ++a) {
      const auto au = static_cast<std::size_t>(a);
      for (std::size_t j = 0; j < width; ++j) {
        const std::size_t src = j < pad ? 0 : std::min(j - pad, n_cols - 1);  // edge padding
        row[j] = sinogram(au, src);
      }
      forward.execute(row.get(), spectrum.get());
      for (std::size_t k = 0; k < half; ++k)
        spectrum[k] *= response[k];
      backward.execute(spectrum.get(), row.get());
      for (std::size_t j = 0; j < n_cols; ++j)
        filtered(au, j) = row[pad + j];
    }
  }
}

void fbp_back_project(ConstImage filtered, std::span<const double> angles_rad, double centre,
                      Image slice, const FbpParams& params) {
  check_geometry(filtered, angles_rad, centre, slice);
  back_project_prepared(prepare(filtered, angles_rad), centre, slice, params.mask_ratio);
}

HostArray<float, 2> fbp_reconstruct(ConstImage sinogram, std::span<const double> angles_rad,
                                    double centre, const FbpParams& params) {
  const std::size_t n = params.size > 0 ? params.size : sinogram.extent(1);
  HostArray<float, 2> filtered({sinogram.extent(0), sinogram.extent(1)});
  HostArray<float, 2> slice({n, n});
  check_geometry(sinogram, angles_rad, centre, slice.view());
  fbp_filter(sinogram, filtered.view(), params);
  fbp_back_project(filtered.cview(), angles_rad, centre, slice.view(), params);
  return slice;
}

void fbp_reconstruct_centres(ConstImage sinogram, std::span<const double> angles_rad,
                             std::span<const double> centres, const FbpParams& params,
                             const FbpSliceSink& sink) {
  const std::size_t n = params.size > 0 ? params.size : sinogram.extent(1);
  HostArray<float, 2> filtered({sinogram.extent(0), sinogram.extent(1)});
  HostArray<float, 2> slice({n, n});
  for (double c : centres)
    check_geometry(sinogram, angles_rad, c, slice.view());
  fbp_filter(sinogram, filtered.view(), params);
  const Prepared prepared = prepare(filtered.cview(), angles_rad);
  for (std::size_t i = 0; i < centres.size(); ++i) {
    back_project_prepared(prepared, centres[i], slice.view(), params.mask_ratio);
    sink(i, centres[i], slice.cview());
  }
}

}  // namespace xct::recon
