// Sorting, detection and column filling for the stripe removal steps of Vo, Atwood and
// Drakopoulos, Opt. Express 26, 28396 (2018).
#include "recon/stripe_util.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "cuda/stripe_math.hpp"

namespace xct::recon::stripe {

namespace {

// Columns are sorted in blocks, so that reads and writes of the row-major image touch whole
// cache lines: one block is 16 floats of every row.
constexpr std::size_t kBlock = 16;

// A float's bits turned into an unsigned key with the same order (finite values; -0 is
// made +0 first, so that the two zeros tie as they do in NumPy).
std::uint32_t order_key(float v) {
  const auto u = std::bit_cast<std::uint32_t>(v + 0.0f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
float from_key(std::uint32_t k) {
  return std::bit_cast<float>((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

// Sorts words by their high 32 bits, stably, by least-significant-digit radix passes of
// 8 bits; a pass whose digit is the same for every word is skipped. `tmp` holds n words.
void radix_sort_high(std::uint64_t* a, std::uint64_t* tmp, std::size_t n) {
  std::size_t hist[4][256] = {};
  for (std::size_t i = 0; i < n; ++i)
    for (int d = 0; d < 4; ++d)
      ++hist[d][(a[i] >> (32 + 8 * d)) & 0xffu];
  std::uint64_t* src = a;
  std::uint64_t* dst = tmp;
  for (int d = 0; d < 4; ++d) {
    const unsigned shift = 32 + 8 * static_cast<unsigned>(d);
    if (hist[d][(src[0] >> shift) & 0xffu] == n) continue;
    std::size_t offset[256];
    std::size_t sum = 0;
    for (int b = 0; b < 256; ++b) {
      offset[b] = sum;
      sum += hist[d][b];
    }
    for (std::size_t i = 0; i < n; ++i)
      dst[offset[(src[i] >> shift) & 0xffu]++] = src[i];
    std::swap(src, dst);
  }
  if (src != a) std::memcpy(a, src, n * sizeof(std::uint64_t));
}

}  // namespace

void check_output(ConstImage sino, Image out, const char* what) {
  XCT_CHECK(out.is_contiguous() && sino.shape() == out.shape(), ErrorKind::Internal, what,
            ": the output must be contiguous and of the sinogram's shape");
}

void check_sinogram(ConstImage sino, const char* what) {
  XCT_CHECK(sino.is_contiguous(), ErrorKind::Internal, what, ": the sinogram must be contiguous");
  XCT_CHECK(sino.extent(0) >= 1 && sino.extent(1) >= 1, ErrorKind::BadData, what,
            ": the sinogram is empty (", sino.extent(0), " angles x ", sino.extent(1), " columns)");
  XCT_CHECK(sino.extent(0) < (std::size_t{1} << 31), ErrorKind::BadData, what, ": too many angles");
  const float* p = sino.data();
  const auto n = static_cast<std::ptrdiff_t>(sino.size());
  bool finite = true;
#pragma omp parallel for reduction(&& : finite) schedule(static)
  for (std::ptrdiff_t i = 0; i < n; ++i)
    finite = finite && std::isfinite(p[i]);
  XCT_CHECK(finite, ErrorKind::BadData, what, ": the sinogram holds NaN or Inf");
}

void check_dim(int dim) {
  XCT_CHECK(dim == 1 || dim == 2, ErrorKind::Usage, "stripe removal: dim must be 1 or 2, not ",
            dim);
}

void check_size(std::size_t size, const char* what) {
  XCT_CHECK(size >= 1, ErrorKind::Usage, what, " must be at least 1");
}

ColumnSort sort_columns(ConstImage sino) {
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  ColumnSort cs{HostArray<float, 2>({rows, cols}), HostArray<std::uint32_t, 2>({rows, cols})};
  const float* src = sino.data();
  float* dst = cs.sorted.data();
  std::uint32_t* idx = cs.source.data();
  const auto n_blocks = static_cast<std::ptrdiff_t>((cols + kBlock - 1) / kBlock);
#pragma omp parallel
  {
    // Key in the high half, angle in the low half: a stable sort of the keys keeps tied
    // values in angle order.
    std::vector<std::uint64_t> keys(kBlock * rows), tmp(rows);
#pragma omp for schedule(dynamic, 4)
    for (std::ptrdiff_t b = 0; b < n_blocks; ++b) {
      const std::size_t c0 = static_cast<std::size_t>(b) * kBlock;
      const std::size_t w = std::min(kBlock, cols - c0);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < w; ++j)
          keys[j * rows + r] = (std::uint64_t{order_key(src[r * cols + c0 + j])} << 32) | r;
      for (std::size_t j = 0; j < w; ++j)
        radix_sort_high(keys.data() + j * rows, tmp.data(), rows);
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < w; ++j) {
          const std::uint64_t k = keys[j * rows + r];
          dst[r * cols + c0 + j] = from_key(static_cast<std::uint32_t>(k >> 32));
          idx[r * cols + c0 + j] = static_cast<std::uint32_t>(k);
        }
    }
  }
  return cs;
}

void unsort_columns(ConstImage values, const HostArray<std::uint32_t, 2>& source, Image out,
                    const StripeMask* only) {
  const std::size_t rows = values.extent(0), cols = values.extent(1);
  const float* src = values.data();
  const std::uint32_t* idx = source.data();
  float* dst = out.data();
  const auto n_blocks = static_cast<std::ptrdiff_t>((cols + kBlock - 1) / kBlock);
#pragma omp parallel
  {
    std::vector<float> lines(kBlock * rows);
#pragma omp for schedule(dynamic, 4)
    for (std::ptrdiff_t b = 0; b < n_blocks; ++b) {
      const std::size_t c0 = static_cast<std::size_t>(b) * kBlock;
      const std::size_t w = std::min(kBlock, cols - c0);
      bool any = only == nullptr;
      for (std::size_t j = 0; j < w && !any; ++j)
        any = (*only)[c0 + j] != 0;
      if (!any) continue;
      // Scatter into column-major scratch (random access stays in cache), then copy out.
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < w; ++j)
          lines[j * rows + idx[r * cols + c0 + j]] = src[r * cols + c0 + j];
      for (std::size_t r = 0; r < rows; ++r)
        for (std::size_t j = 0; j < w; ++j)
          if (only == nullptr || (*only)[c0 + j]) dst[r * cols + c0 + j] = lines[j * rows + r];
    }
  }
}

void median_across_columns(ConstImage in, Image out, std::size_t size, int dim) {
  check_dim(dim);
  check_size(size, "stripe removal: median window");
  median_filter(in, out, dim == 2 ? size : 1, size);
}

StripeMask detect_stripe(const std::vector<double>& stat, double snr, bool single_precision) {
  const std::size_t n = stat.size();
  // The line is fitted to sorted samples ndrop ... n - ndrop - 2, which must be two or more.
  const std::size_t n_drop = static_cast<std::size_t>(0.25 * static_cast<double>(n));
  XCT_CHECK(n >= 2 * n_drop + 3, ErrorKind::BadData,
            "stripe detection needs 3 or at least 5 detector columns, got ", n);
  std::vector<double> sorted(stat);
  std::sort(sorted.begin(), sorted.end());
  const std::size_t first = n_drop, last = n - n_drop - 1;  // [first, last)
  const double n_fit = static_cast<double>(last - first);
  double x_mean = 0.0, y_mean = 0.0;
  for (std::size_t k = first; k < last; ++k) {
    x_mean += static_cast<double>(k);
    y_mean += sorted[k];
  }
  x_mean /= n_fit;
  y_mean /= n_fit;
  double sxy = 0.0, sxx = 0.0;
  for (std::size_t k = first; k < last; ++k) {
    const double dx = static_cast<double>(k) - x_mean;
    sxy += dx * (sorted[k] - y_mean);
    sxx += dx * dx;
  }
  const double slope = sxy / sxx;
  const double y_start = y_mean - slope * x_mean;
  const double y_end = y_start + slope * static_cast<double>(n - 1);
  double noise = std::abs(y_end - y_start);
  // Algotom refuses noise-free statistics; the paper's code carries on with a floor.
  if (noise < 1e-5) noise = std::max(noise, 1e-6);
  StripeMask mask(n, 0);
  // NumPy compares a float32 array with a float64 threshold in float32.
  auto as_stat = [&](double t) {
    return single_precision ? static_cast<double>(static_cast<float>(t)) : t;
  };
  if (std::abs(sorted[n - 1] - y_end) / noise >= snr) {
    const double upper = as_stat(y_end + noise * snr * 0.5);
    for (std::size_t i = 0; i < n; ++i)
      if (stat[i] > upper) mask[i] = 1;
  }
  if (std::abs(y_start - sorted[0]) / noise >= snr) {
    const double lower = as_stat(y_start - noise * snr * 0.5);
    for (std::size_t i = 0; i < n; ++i)
      if (stat[i] <= lower) mask[i] = 1;
  }
  return mask;
}

StripeMask dilate(const StripeMask& mask) {
  const std::size_t n = mask.size();
  StripeMask out(n, 0);
  for (std::size_t i = 0; i < n; ++i)
    out[i] = mask[i] || (i > 0 && mask[i - 1]) || (i + 1 < n && mask[i + 1]);
  return out;
}

std::size_t count(const StripeMask& mask) {
  return static_cast<std::size_t>(std::count(mask.begin(), mask.end(), std::uint8_t{1}));
}

void interpolate_columns(Image image, StripeMask mask) {
  const std::size_t rows = image.extent(0), cols = image.extent(1);
  // Per flagged column: its unflagged neighbours and the weight of the right one, as the
  // device computes them.
  const std::vector<cuda::stripe_math::ColumnFill> fills =
      cuda::stripe_math::column_fills(std::move(mask), 0);
  if (fills.empty()) return;
  float* data = image.data();
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(rows); ++r) {
    float* row = data + static_cast<std::size_t>(r) * cols;
    for (const auto& f : fills)
      row[f.col] = cuda::stripe_math::fill_value(row[f.left], row[f.right], f.t);
  }
}

}  // namespace xct::recon::stripe
