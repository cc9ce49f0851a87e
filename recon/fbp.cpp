// Filtered back-projection for parallel beams: rows padded and ramp-filtered
// (recon/fbp_filter.cpp), then pixel-driven back-projection with linear interpolation, as
// Algotom's fbp_reconstruction (algorithms.md section 6.1) but with per-angle weights that are
// right for any grid covering 180 degrees.
//
// The back-projector works on groups of up to 8 sinograms that share a centre: their filtered
// rows are interleaved as [angle][column][lane], so that the detector position, index and
// interpolation fraction of a (pixel, angle) pair are computed once and applied to every lane
// with one short fixed-length vector update. Output tiles run in parallel; every pixel's sum
// runs over the angles in a fixed order, four at a time, so the result is the same for any
// thread count, tile size and number of lanes.
#include "recon/fbp.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <numeric>

#include "core/error.hpp"
#include "recon/fft.hpp"

namespace xct::recon {

namespace {

constexpr double kPi = std::numbers::pi;

// Angles summed together before they are added to a pixel; the angle list is padded with
// zero rows to a multiple of it.
constexpr std::size_t kAngleBlock = 4;
constexpr std::size_t kMaxLanes = 8;

// ---------------------------------------------------------------------------------------------
// Filtering.

// The padded transform of one row: FFT plans, the filter with the 1/width of the inverse
// transform folded in, and where the row sits in its padded row.
struct RowFilter {
  std::size_t n_cols = 0, left = 0, width = 0, half = 0;
  bool zero_pad = false;
  std::vector<float> response;
  const FftPlan* forward = nullptr;
  const FftPlan* backward = nullptr;
};

RowFilter make_row_filter(std::size_t n_cols, const FbpParams& params) {
  RowFilter f;
  const FbpPadding pad = fbp_padding(n_cols, params);
  f.n_cols = n_cols;
  f.left = pad.left;
  f.width = pad.width;
  f.half = f.width / 2 + 1;
  f.zero_pad = params.padding == "zero";
  const std::vector<double> r = fbp_filter_response(f.width, params);
  f.response.resize(f.half);
  for (std::size_t k = 0; k < f.half; ++k)
    f.response[k] = static_cast<float>(r[k] / static_cast<double>(f.width));
  f.forward = &FftPlan::r2c_1d(f.width, 1);
  f.backward = &FftPlan::c2r_1d(f.width, 1);
  return f;
}

// Per-thread buffers of a RowFilter.
struct RowBuffers {
  FftBuffer<float> row;
  FftBuffer<cfloat> spectrum;
  explicit RowBuffers(const RowFilter& f)
      : row(fft_alloc<float>(f.width)), spectrum(fft_alloc<cfloat>(f.half)) {}
};

// Filters the n_cols samples src[j * src_stride] into dst[j * dst_stride], times `scale`.
void filter_row(const RowFilter& f, const float* src, std::ptrdiff_t src_stride, RowBuffers& b,
                float* dst, std::size_t dst_stride, float scale) {
  float* row = b.row.get();
  cfloat* spectrum = b.spectrum.get();
  const float first = f.zero_pad ? 0.0f : src[0];
  const float last =
      f.zero_pad ? 0.0f : src[static_cast<std::ptrdiff_t>(f.n_cols - 1) * src_stride];
  for (std::size_t j = 0; j < f.left; ++j)
    row[j] = first;
  for (std::size_t j = 0; j < f.n_cols; ++j)
    row[f.left + j] = src[static_cast<std::ptrdiff_t>(j) * src_stride];
  for (std::size_t j = f.left + f.n_cols; j < f.width; ++j)
    row[j] = last;
  f.forward->execute(row, spectrum);
  for (std::size_t k = 0; k < f.half; ++k)
    spectrum[k] *= f.response[k];
  f.backward->execute(spectrum, row);
  for (std::size_t j = 0; j < f.n_cols; ++j)
    dst[j * dst_stride] = row[f.left + j] * scale;
}

// The first non-finite sample of a sinogram, checked in parallel; throws BadData.
void check_finite(ConstImage s, const char* what) {
  const long n_angles = static_cast<long>(s.extent(0));
  const std::size_t n_cols = s.extent(1);
  long bad = n_angles;
#pragma omp parallel for schedule(static) reduction(min : bad)
  for (long a = 0; a < n_angles; ++a) {
    float sum = 0.0f;  // a non-finite sample makes the sum NaN or infinite
    for (std::size_t j = 0; j < n_cols; ++j)
      sum += 0.0f * s(static_cast<std::size_t>(a), j);
    if (!std::isfinite(sum)) bad = std::min(bad, a);
  }
  if (bad == n_angles) return;
  for (std::size_t j = 0; j < n_cols; ++j)
    XCT_CHECK(std::isfinite(s(static_cast<std::size_t>(bad), j)), ErrorKind::BadData, what,
              " holds a non-finite value at (", bad, ", ", j, ")");
}

// ---------------------------------------------------------------------------------------------
// Back-projection.

// Angles padded to a multiple of kAngleBlock; a padding angle has cos = sin = 0 and weight 0:
// it samples its all-zero row at the centre and adds +0 everywhere.
struct AngleTable {
  std::size_t n = 0, n_padded = 0;
  std::vector<double> cos_a, sin_a, weight;
  std::vector<float> cos_f;
};

AngleTable make_angle_table(std::span<const double> angles) {
  AngleTable t;
  t.n = angles.size();
  t.n_padded = (t.n + kAngleBlock - 1) / kAngleBlock * kAngleBlock;
  t.weight = fbp_angle_weights(angles);
  t.weight.resize(t.n_padded, 0.0);
  t.cos_a.assign(t.n_padded, 0.0);
  t.sin_a.assign(t.n_padded, 0.0);
  t.cos_f.assign(t.n_padded, 0.0f);
  for (std::size_t a = 0; a < t.n; ++a) {
    t.cos_a[a] = std::cos(angles[a]);
    t.sin_a[a] = std::sin(angles[a]);
    t.cos_f[a] = static_cast<float>(t.cos_a[a]);
  }
  return t;
}

// Weighted filtered rows of up to `lanes` sinograms, [angle][column][lane], with one zero
// column past the last so that interpolation at the last column needs no test; lanes past the
// group's rows and the padding angles are zero.
struct Interleaved {
  std::size_t lanes = 0, n_cols = 0, n_angles = 0, stride = 0;  // stride: floats per angle
  FftBuffer<float> data;
  float* row(std::size_t a) { return data.get() + a * stride; }
  const float* row(std::size_t a) const { return data.get() + a * stride; }
};

std::size_t interleaved_stride(std::size_t n_cols, std::size_t lanes) {
  return ((n_cols + 1) * lanes + 15) / 16 * 16;  // whole 64-byte lines
}

Interleaved make_interleaved(std::size_t lanes, std::size_t n_cols, std::size_t n_angles_padded) {
  Interleaved g;
  g.lanes = lanes;
  g.n_cols = n_cols;
  g.n_angles = n_angles_padded;
  g.stride = interleaved_stride(n_cols, lanes);
  g.data = fft_alloc<float>(g.n_angles * g.stride);
  return g;
}

// Zeroes what no row is filtered into: the pad column, the spare lanes, the padding angles.
void clear_unfilled(Interleaved& g, std::size_t rows, std::size_t n_angles) {
  for (std::size_t a = 0; a < g.n_angles; ++a) {
    float* r = g.row(a);
    if (a >= n_angles) {
      std::fill(r, r + g.stride, 0.0f);
      continue;
    }
    for (std::size_t j = 0; j < g.n_cols; ++j)
      for (std::size_t l = rows; l < g.lanes; ++l)
        r[j * g.lanes + l] = 0.0f;
    std::fill(r + g.n_cols * g.lanes, r + g.stride, 0.0f);
  }
}

// Filters `rows` sinograms into the lanes of g, each row weighted by its angle's weight.
void filter_into(const RowFilter& f, std::span<const ConstImage> sinos, const AngleTable& t,
                 Interleaved& g) {
  const std::size_t rows = sinos.size();
  clear_unfilled(g, rows, t.n);
  const long jobs = static_cast<long>(rows * t.n);
#pragma omp parallel
  {
    RowBuffers b(f);
#pragma omp for schedule(static)
    for (long job = 0; job < jobs; ++job) {
      const std::size_t l = static_cast<std::size_t>(job) / t.n;
      const std::size_t a = static_cast<std::size_t>(job) % t.n;
      const ConstImage s = sinos[l];
      filter_row(f, &s(a, 0), s.stride(1), b, g.row(a) + l, g.lanes,
                 static_cast<float>(t.weight[a]));
    }
  }
}

// Output columns q in [0, n-1] whose detector position b + (q - half) c lies in [0, last]:
// [lo, hi], empty when lo > hi. Computed per whole slice row, so it does not depend on tiles.
void valid_columns(double b, double c, double half, double last, long n, long& lo, long& hi) {
  lo = 0;
  hi = n - 1;
  if (std::abs(c) < 1e-12) {
    if (b < 0 || b > last) hi = -1;
    return;
  }
  const double q1 = half - b / c, q2 = half + (last - b) / c;
  lo = std::max(lo, static_cast<long>(std::ceil(std::min(q1, q2))));
  hi = std::min(hi, static_cast<long>(std::floor(std::max(q1, q2))));
}

// Four floats or ints as one value (GCC/Clang vector extensions): the four angles of a block.
typedef float Float4 __attribute__((vector_size(4 * sizeof(float))));
typedef int Int4 __attribute__((vector_size(4 * sizeof(int))));

// The four angles of a block along one output row of a tile: angle k's detector position at
// slice x is b[k] + x c[k], valid for the tile's columns [lo[k], hi[k]]. Where valid the
// position lies within [0, last] up to float rounding, so truncation is the floor (a hair
// below 0 gives index 0 and fraction ~ -1e-4) and index last + 1 is the zero column.
struct RayBlock {
  Float4 b, c;
  const float* row[kAngleBlock];
  long lo[kAngleBlock], hi[kAngleBlock];
};

// W floats as parts of at most 4 lanes, each part a vector extension value: the lanes'
// arithmetic compiles to packed SSE instructions on the x86-64 baseline (W = 8 as two
// registers). Each lane computes exactly what a scalar W = 1 would. Memory is read and written
// through the unaligned, may-alias twin of the part type.
template <std::size_t W>
struct Lanes {
  static constexpr std::size_t width = W < 4 ? W : 4, parts = W / width;
  typedef float Part __attribute__((vector_size(width * sizeof(float))));
  typedef float Memory __attribute__((vector_size(width * sizeof(float)), aligned(4), may_alias));
  Part part[parts];

  static Part load(const float* p) { return *reinterpret_cast<const Memory*>(p); }
  void add_to(float* p) const {
    for (std::size_t j = 0; j < parts; ++j)
      *reinterpret_cast<Memory*>(p + j * width) += part[j];
  }
};

// Linear interpolation between the samples at index i and i + 1 of a row, every lane.
template <std::size_t W>
inline void interpolate(const float* row, int i, float f, Lanes<W>& v) {
  using L = Lanes<W>;
  const float* p = row + static_cast<std::ptrdiff_t>(i) * static_cast<std::ptrdiff_t>(W);
  for (std::size_t j = 0; j < L::parts; ++j) {
    const typename L::Part a = L::load(p + j * L::width), b = L::load(p + W + j * L::width);
    v.part[j] = a + f * (b - a);
  }
}

// The four positions at slice x: index (truncated) and fraction, the same arithmetic for
// every angle as scalar code would do.
inline void positions(const RayBlock& rays, float x, Int4& i, Float4& f) {
  const Float4 pos = rays.b + x * rays.c;
  i = __builtin_convertvector(pos, Int4);
  f = pos - __builtin_convertvector(i, Float4);
}

// out += (v0 + v1) + (v2 + v3), lane by lane.
template <std::size_t W>
inline void add_four(const Lanes<W>* v, float* out) {
  Lanes<W> s;
  for (std::size_t j = 0; j < Lanes<W>::parts; ++j)
    s.part[j] = (v[0].part[j] + v[1].part[j]) + (v[2].part[j] + v[3].part[j]);
  s.add_to(out);
}

// Adds the four angles to out[q * W + lane] for columns [lo, hi], where all four are valid.
template <std::size_t W>
void add_span(const RayBlock& rays, float x0, long lo, long hi, float* out) {
  for (long q = lo; q <= hi; ++q) {
    Int4 i;
    Float4 f;
    positions(rays, x0 + static_cast<float>(q), i, f);
    Lanes<W> v[kAngleBlock];
    for (std::size_t k = 0; k < kAngleBlock; ++k)
      interpolate<W>(rays.row[k], i[k], f[k], v[k]);
    add_four<W>(v, out + q * static_cast<long>(W));
  }
}

// The same sum where some angles are not valid: those add exact zeros.
template <std::size_t W>
void add_span_masked(const RayBlock& rays, float x0, long lo, long hi, float* out) {
  for (long q = lo; q <= hi; ++q) {
    Int4 i;
    Float4 f;
    positions(rays, x0 + static_cast<float>(q), i, f);
    Lanes<W> v[kAngleBlock];
    for (std::size_t k = 0; k < kAngleBlock; ++k) {
      if (q >= rays.lo[k] && q <= rays.hi[k])
        interpolate<W>(rays.row[k], i[k], f[k], v[k]);
      else
        v[k] = Lanes<W>{};
    }
    add_four<W>(v, out + q * static_cast<long>(W));
  }
}

// Output tile shape per lane count: the accumulator (rows x cols x W floats) and the tile's
// footprint on four filtered rows stay in the L1 cache.
template <std::size_t W>
struct TileShape;
template <>
struct TileShape<1> {
  static constexpr std::size_t rows = 16, cols = 128;
};
template <>
struct TileShape<2> {
  static constexpr std::size_t rows = 16, cols = 64;
};
template <>
struct TileShape<4> {
  static constexpr std::size_t rows = 16, cols = 32;
};
template <>
struct TileShape<8> {
  static constexpr std::size_t rows = 16, cols = 32;
};

// Where a group's slices go: one output view per filled lane, n x n each.
struct GroupOutput {
  std::array<Image, kMaxLanes> slices{};
  std::size_t count = 0, n = 0;
  double mask_ratio = -1.0;
};

// Sums every angle into the tile at (r0, q0) of every lane, then writes it out, masked.
template <std::size_t W>
void back_project_tile(const Interleaved& g, const AngleTable& t, double centre,
                       const GroupOutput& out, std::size_t r0, std::size_t q0, float* acc) {
  using Shape = TileShape<W>;
  const std::size_t n = out.n;
  const std::size_t rows = std::min(Shape::rows, n - r0), cols = std::min(Shape::cols, n - q0);
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const double last = static_cast<double>(g.n_cols) - 1.0;
  const long tile_cols = static_cast<long>(cols), q0l = static_cast<long>(q0);
  // Slice x of tile column 0; x0 + q is exact in float (half-integers far below 2^23).
  const auto x0 = static_cast<float>(static_cast<double>(q0) - half);
  std::fill(acc, acc + Shape::rows * Shape::cols * W, 0.0f);
  for (std::size_t a0 = 0; a0 < t.n_padded; a0 += kAngleBlock) {
    for (std::size_t r = 0; r < rows; ++r) {
      const double y = static_cast<double>(r0 + r) - half;
      RayBlock rays;
      long common_lo = 0, common_hi = tile_cols - 1, any_lo = tile_cols, any_hi = -1;
      for (std::size_t k = 0; k < kAngleBlock; ++k) {
        const std::size_t a = a0 + k;
        const double b = centre - y * t.sin_a[a];
        long lo, hi;
        valid_columns(b, t.cos_a[a], half, last, static_cast<long>(n), lo, hi);
        lo = std::max(lo - q0l, 0L);
        hi = std::min(hi - q0l, tile_cols - 1);
        rays.b[k] = static_cast<float>(b);
        rays.c[k] = t.cos_f[a];
        rays.row[k] = g.row(a);
        rays.lo[k] = lo;
        rays.hi[k] = hi;
        common_lo = std::max(common_lo, lo);
        common_hi = std::min(common_hi, hi);
        if (lo <= hi) {
          any_lo = std::min(any_lo, lo);
          any_hi = std::max(any_hi, hi);
        }
      }
      float* o = acc + r * Shape::cols * W;
      if (common_lo > common_hi) {
        add_span_masked<W>(rays, x0, any_lo, any_hi, o);
        continue;
      }
      add_span_masked<W>(rays, x0, any_lo, common_lo - 1, o);
      add_span<W>(rays, x0, common_lo, common_hi, o);
      add_span_masked<W>(rays, x0, common_hi + 1, any_hi, o);
    }
  }
  const double radius = out.mask_ratio * 0.5 * static_cast<double>(n);
  for (std::size_t r = 0; r < rows; ++r) {
    const double y = static_cast<double>(r0 + r) - half;
    for (std::size_t q = 0; q < cols; ++q) {
      const double x = static_cast<double>(q0 + q) - half;
      const bool masked = out.mask_ratio >= 0 && x * x + y * y > radius * radius;
      const float* v = acc + (r * Shape::cols + q) * W;
      for (std::size_t l = 0; l < out.count; ++l)
        out.slices[l](r0 + r, q0 + q) = masked ? 0.0f : v[l];
    }
  }
}

template <std::size_t W>
void back_project_group(const Interleaved& g, const AngleTable& t, double centre,
                        const GroupOutput& out) {
  using Shape = TileShape<W>;
  const std::size_t n = out.n;
  const std::size_t tiles_r = (n + Shape::rows - 1) / Shape::rows;
  const std::size_t tiles_q = (n + Shape::cols - 1) / Shape::cols;
  const long n_tiles = static_cast<long>(tiles_r * tiles_q);
#pragma omp parallel
  {
    auto acc = fft_alloc<float>(Shape::rows * Shape::cols * W);
#pragma omp for schedule(dynamic, 1)
    for (long i = 0; i < n_tiles; ++i) {
      const auto tu = static_cast<std::size_t>(i);
      back_project_tile<W>(g, t, centre, out, (tu / tiles_q) * Shape::rows,
                           (tu % tiles_q) * Shape::cols, acc.get());
    }
  }
}

void back_project(const Interleaved& g, const AngleTable& t, double centre,
                  const GroupOutput& out) {
  switch (g.lanes) {
    case 1:
      return back_project_group<1>(g, t, centre, out);
    case 2:
      return back_project_group<2>(g, t, centre, out);
    case 4:
      return back_project_group<4>(g, t, centre, out);
    default:
      return back_project_group<8>(g, t, centre, out);
  }
}

// Lanes of the kernel that runs a group of `rows` sinograms: 1, 2, 4 or 8.
std::size_t lanes_for(std::size_t rows) {
  return rows >= 5 ? 8 : rows >= 3 ? 4 : std::max<std::size_t>(rows, 1);
}

std::size_t tile_floats(std::size_t lanes) {
  switch (lanes) {
    case 1:
      return TileShape<1>::rows * TileShape<1>::cols;
    case 2:
      return TileShape<2>::rows * TileShape<2>::cols * 2;
    case 4:
      return TileShape<4>::rows * TileShape<4>::cols * 4;
    default:
      return TileShape<8>::rows * TileShape<8>::cols * 8;
  }
}

void check_centre(double centre, std::size_t n_cols) {
  const double last = static_cast<double>(n_cols) - 1.0;
  XCT_CHECK(std::isfinite(centre) && centre >= 0 && centre <= last, ErrorKind::Usage,
            "centre of rotation ", centre, " lies outside the detector [0, ", last, "]");
}

void check_geometry(ConstImage sino, std::span<const double> angles, double centre, Image slice) {
  XCT_CHECK(!sino.empty(), ErrorKind::BadData, "the sinogram is empty");
  XCT_CHECK(sino.extent(0) == angles.size(), ErrorKind::Usage, "the sinogram has ", sino.extent(0),
            " angles but ", angles.size(), " angles were given");
  XCT_CHECK(slice.extent(0) == slice.extent(1) && slice.extent(0) > 0, ErrorKind::Usage,
            "the slice must be square and not empty");
  check_centre(centre, sino.extent(1));
}

GroupOutput single_output(Image slice, double mask_ratio) {
  GroupOutput out;
  out.slices[0] = slice;
  out.count = 1;
  out.n = slice.extent(0);
  out.mask_ratio = mask_ratio;
  return out;
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
  const RowFilter f = make_row_filter(n_cols, params);
  check_finite(sinogram, "the sinogram");
#pragma omp parallel
  {
    RowBuffers b(f);
#pragma omp for schedule(static)
    for (long a = 0; a < static_cast<long>(n_angles); ++a) {
      const auto au = static_cast<std::size_t>(a);
      filter_row(f, &sinogram(au, 0), sinogram.stride(1), b, &filtered(au, 0),
                 static_cast<std::size_t>(filtered.stride(1)), 1.0f);
    }
  }
}

void fbp_back_project(ConstImage filtered, std::span<const double> angles_rad, double centre,
                      Image slice, const FbpParams& params) {
  check_geometry(filtered, angles_rad, centre, slice);
  const AngleTable t = make_angle_table(angles_rad);
  const std::size_t n_cols = filtered.extent(1);
  Interleaved g = make_interleaved(1, n_cols, t.n_padded);
  clear_unfilled(g, 1, t.n);
  for (std::size_t a = 0; a < t.n; ++a) {
    const auto wa = static_cast<float>(t.weight[a]);
    float* row = g.row(a);
    for (std::size_t j = 0; j < n_cols; ++j)
      row[j] = filtered(a, j) * wa;
  }
  back_project(g, t, centre, single_output(slice, params.mask_ratio));
}

HostArray<float, 2> fbp_reconstruct(ConstImage sinogram, std::span<const double> angles_rad,
                                    double centre, const FbpParams& params) {
  const std::size_t n = params.size > 0 ? params.size : sinogram.extent(1);
  HostArray<float, 3> slice({1, n, n});
  const HostView<const float, 3> sinos(sinogram.data(), {1, sinogram.extent(0), sinogram.extent(1)},
                                       {0, sinogram.stride(0), sinogram.stride(1)});
  FbpParams p = params;
  p.size = n;
  fbp_reconstruct_slab(sinos, angles_rad, std::span<const double>(&centre, 1), p, slice.view());
  HostArray<float, 2> out({n, n});
  std::copy(slice.begin(), slice.end(), out.begin());
  return out;
}

void fbp_reconstruct_slab(HostView<const float, 3> sinograms, std::span<const double> angles_rad,
                          std::span<const double> centres, const FbpParams& params,
                          HostView<float, 3> slices) {
  const std::size_t n_rows = sinograms.extent(0), n_angles = sinograms.extent(1),
                    n_cols = sinograms.extent(2), n = slices.extent(1);
  XCT_CHECK(n_rows > 0 && n_angles > 0 && n_cols > 0, ErrorKind::BadData, "the sinogram is empty");
  XCT_CHECK(slices.extent(0) == n_rows, ErrorKind::Usage, "the slab has ", n_rows,
            " sinograms but room for ", slices.extent(0), " slices");
  XCT_CHECK(n > 0 && slices.extent(2) == n, ErrorKind::Usage,
            "the slices must be square and not empty");
  XCT_CHECK(params.size == 0 || params.size == n, ErrorKind::Usage, "the slices are ", n, " x ", n,
            " but params.size is ", params.size);
  XCT_CHECK(n_angles == angles_rad.size(), ErrorKind::Usage, "the sinograms have ", n_angles,
            " angles but ", angles_rad.size(), " angles were given");
  XCT_CHECK(centres.size() == 1 || centres.size() == n_rows, ErrorKind::Usage, "got ",
            centres.size(), " centres for ", n_rows, " rows (1 or one per row)");
  for (double c : centres)
    check_centre(c, n_cols);
  const RowFilter f = make_row_filter(n_cols, params);
  const AngleTable t = make_angle_table(angles_rad);
  for (std::size_t i = 0; i < n_rows; ++i)
    check_finite(sinograms[i], "the sinogram");
  auto centre_of = [&](std::size_t row) { return centres[centres.size() == 1 ? 0 : row]; };

  Interleaved g;
  for (std::size_t begin = 0; begin < n_rows;) {
    // A run of up to 8 consecutive rows with the same centre.
    std::size_t end = begin + 1;
    while (end < n_rows && end - begin < kMaxLanes && centre_of(end) == centre_of(begin))
      ++end;
    const std::size_t rows = end - begin, lanes = lanes_for(rows);
    if (g.lanes != lanes) g = make_interleaved(lanes, n_cols, t.n_padded);
    std::array<ConstImage, kMaxLanes> sinos{};
    GroupOutput out;
    out.count = rows;
    out.n = n;
    out.mask_ratio = params.mask_ratio;
    for (std::size_t l = 0; l < rows; ++l) {
      sinos[l] = sinograms[begin + l];
      out.slices[l] = slices[begin + l];
    }
    filter_into(f, std::span<const ConstImage>(sinos.data(), rows), t, g);
    back_project(g, t, centre_of(begin), out);
    begin = end;
  }
}

std::size_t fbp_slab_work_bytes(std::size_t n_rows, std::size_t n_angles, std::size_t n_cols,
                                std::size_t n, int n_threads) {
  (void)n;  // the output tiles do not depend on the slice size
  const std::size_t lanes = lanes_for(std::min(std::max<std::size_t>(n_rows, 1), kMaxLanes));
  const std::size_t angles_padded = (n_angles + kAngleBlock - 1) / kAngleBlock * kAngleBlock;
  const std::size_t threads = static_cast<std::size_t>(std::max(n_threads, 1));
  // The widest padded row for pad_cols <= n_cols.
  const std::size_t width = fft_friendly_length(3 * n_cols), half = width / 2 + 1;
  std::size_t bytes = angles_padded * interleaved_stride(n_cols, lanes) * sizeof(float);
  bytes += angles_padded * (3 * sizeof(double) + sizeof(float));              // the angle table
  bytes += half * (sizeof(float) + sizeof(double)) + width * sizeof(double);  // the filter
  const std::size_t per_thread =
      width * sizeof(float) + half * sizeof(cfloat) + tile_floats(lanes) * sizeof(float);
  return bytes + threads * (per_thread + 3 * 64);  // each buffer aligned to 64 bytes
}

void fbp_reconstruct_centres(ConstImage sinogram, std::span<const double> angles_rad,
                             std::span<const double> centres, const FbpParams& params,
                             const FbpSliceSink& sink) {
  const std::size_t n = params.size > 0 ? params.size : sinogram.extent(1);
  HostArray<float, 2> slice({n, n});
  for (double c : centres)
    check_geometry(sinogram, angles_rad, c, slice.view());
  const RowFilter f = make_row_filter(sinogram.extent(1), params);
  const AngleTable t = make_angle_table(angles_rad);
  check_finite(sinogram, "the sinogram");
  Interleaved g = make_interleaved(1, sinogram.extent(1), t.n_padded);
  filter_into(f, std::span<const ConstImage>(&sinogram, 1), t, g);
  for (std::size_t i = 0; i < centres.size(); ++i) {
    back_project(g, t, centres[i], single_output(slice.view(), params.mask_ratio));
    sink(i, centres[i], slice.cview());
  }
}

}  // namespace xct::recon
