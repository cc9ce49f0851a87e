// The per-element arithmetic of the device ring removal (cuda/stripe.hpp), as __host__
// __device__ functions: the kernels of stripe_kernels.cuh are thin loops around these, and
// tests/recon/stripe_device_test.cpp runs the same functions on the CPU against recon/'s
// reference. No CUDA header is needed to include this file.
//
// Each function names the CPU code it reproduces. Their results are bit for bit the CPU's:
// the sort keys, the sliding median, the running mean and deviation sums (the same operations
// in the same order and precision) and the column fill; stripe.cu is built with --fmad=false,
// so no multiply-add is fused on the device, and g++ does not contract in ISO C++ mode.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/array.hpp"  // XCT_HD

namespace xct::cuda::stripe_math {

// ---------------------------------------------------------------------------------------------
// Sorting along the angles (recon/stripe_util.cpp: order_key, from_key).

XCT_HD inline std::uint32_t float_bits(float v) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(v);
#else
  std::uint32_t u;
  std::memcpy(&u, &v, sizeof(u));
  return u;
#endif
}
XCT_HD inline float bits_float(std::uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float v;
  std::memcpy(&v, &u, sizeof(v));
  return v;
#endif
}

// An unsigned key with the order of the (finite) floats; -0 is made +0 first, so that the two
// zeros tie, as v + 0.0f does on the CPU.
XCT_HD inline std::uint32_t order_key(float v) {
  std::uint32_t u = float_bits(v);
  if (u == 0x80000000u) u = 0u;
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
XCT_HD inline float from_key(std::uint32_t k) {
  return bits_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k);
}

// The number of low bits in which keys can differ when `varying` is the OR of every key XOR
// the first: a stable radix sort on bits [0, sort_end_bit) orders them as a sort on all 32
// (the high bits are equal). Padding keys of all ones still sort last.
XCT_HD inline int sort_end_bit(std::uint32_t varying) {
#if defined(__CUDA_ARCH__)
  return 32 - __clz(static_cast<int>(varying));
#else
  int n = 0;
  for (; varying != 0; varying >>= 1)
    ++n;
  return n;
#endif
}

// ---------------------------------------------------------------------------------------------
// Boundary index maps (recon/ndimage.hpp: reflect_index, SciPy's "reflect"; mirror_index,
// numpy's "reflect").

XCT_HD inline long long reflect_index(long long i, long long n) {
  if (i >= 0 && i < n) return i;
  if (n == 1) return 0;
  const long long period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}
XCT_HD inline long long mirror_index(long long i, long long n) {
  if (i >= 0 && i < n) return i;
  if (n == 1) return 0;
  const long long period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// ---------------------------------------------------------------------------------------------
// The median across columns (recon/ndimage.cpp: line_median, median_filter with a 1 x size
// window, "reflect" boundary, rank size / 2).

// The sliding window of one line: `size` floats at win[k * stride], kept sorted.
struct Window {
  float* p;
  int stride;
  XCT_HD float& operator[](int k) const { return p[static_cast<std::ptrdiff_t>(k) * stride]; }
};

// Replaces one sample `leaving` of the sorted window by `entering`, as line_median does: the
// places are found by counting, and only the samples between them move. The places are kept
// inside the window whatever the values (a NaN cannot make them run out).
XCT_HD inline void window_replace(Window w, int size, float leaving, float entering) {
  int i = 0, p = 0;
  for (int k = 0; k < size; ++k) {
    const float v = w[k];
    i += v < leaving ? 1 : 0;
    p += v < entering ? 1 : 0;
  }
  if (i > size - 1) i = size - 1;
  if (p <= i) {
    for (int k = i; k > p; --k)
      w[k] = w[k - 1];
    w[p] = entering;
  } else {
    for (int k = i; k < p - 1; ++k)
      w[k] = w[k + 1];
    w[p - 1] = entering;
  }
}

// The median of the line v(c) = line[c * line_stride], c in [0, n), with a window of `size`
// columns starting at c - size / 2 (reflected at both ends), for the outputs c in [c0, c1):
// out[c * out_stride]. The window is built at c0 and then slides, so any split of [0, n) into
// runs gives the same outputs.
XCT_HD inline void median_run(const float* line, std::ptrdiff_t line_stride, int n, int size,
                              int c0, int c1, Window w, float* out, std::ptrdiff_t out_stride) {
  const int left = size / 2;
  auto at = [&](long long k) { return line[reflect_index(k - left, n) * line_stride]; };
  for (int k = 0; k < size; ++k) {  // insertion sort of the first window
    const float v = at(c0 + k);
    int j = k;
    for (; j > 0 && w[j - 1] > v; --j)
      w[j] = w[j - 1];
    w[j] = v;
  }
  out[c0 * out_stride] = w[left];
  for (int c = c0 + 1; c < c1; ++c) {
    const float leaving = at(c - 1), entering = at(c + size - 1);
    if (leaving != entering) window_replace(w, size, leaving, entering);
    out[c * out_stride] = w[left];
  }
}

// The median of a rows x cols window (recon/ndimage.cpp: median_filter with a 2-D window, the
// rank (rows cols) / 2 value) around (a, c) of an image stored with columns contiguous along
// a: element (a, c) at img[c * col_stride + a], n_a x n_c, both axes reflected. Found by
// selecting the rank bit by bit on the order keys (from the highest bit in which the
// window's keys differ), so it needs no storage; only -0 and +0 are not told apart.
XCT_HD inline float window_select(const float* img, std::ptrdiff_t col_stride, int n_a, int n_c,
                                  int a, int c, int rows, int cols) {
  const int left_a = rows / 2, left_c = cols / 2;
  auto key = [&](int i, int j) {
    const long long ra = reflect_index(static_cast<long long>(a) - left_a + i, n_a);
    const long long rc = reflect_index(static_cast<long long>(c) - left_c + j, n_c);
    return order_key(img[rc * col_stride + ra]);
  };
  std::uint32_t lo = 0xffffffffu, hi = 0u;
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) {
      const std::uint32_t k = key(i, j);
      lo = k < lo ? k : lo;
      hi = k > hi ? k : hi;
    }
  if (lo == hi) return from_key(lo);
  const int top = sort_end_bit(lo ^ hi) - 1;  // the highest bit in which keys differ
  std::uint32_t prefix = top == 31 ? 0u : (lo & ~((2u << top) - 1u));
  long long rank = (static_cast<long long>(rows) * cols) / 2;
  for (int b = top; b >= 0; --b) {
    const std::uint32_t first = prefix, last = prefix | ((1u << b) - 1u);
    long long below = 0;  // keys with the prefix and bit b clear
    for (int j = 0; j < cols; ++j)
      for (int i = 0; i < rows; ++i) {
        const std::uint32_t k = key(i, j);
        below += (k >= first && k <= last) ? 1 : 0;
      }
    if (rank >= below) {
      rank -= below;
      prefix |= 1u << b;
    }
  }
  return from_key(prefix);
}

// ---------------------------------------------------------------------------------------------
// Large stripes (recon/stripe_large_dead.cpp: column_means<double>, the norm step).

// The mean of p[first, last), summed in order in double.
XCT_HD inline double segment_mean(const float* p, int first, int last) {
  double sum = 0.0;
  for (int r = first; r < last; ++r)
    sum += static_cast<double>(p[r]);
  return sum / static_cast<double>(last - first);
}

// A sample divided by its column's ratio (1 in place of a ratio of 0).
XCT_HD inline float normalised(float v, double divisor) {
  return static_cast<float>(static_cast<double>(v) / divisor);
}

// ---------------------------------------------------------------------------------------------
// Dead stripes (recon/ndimage.cpp: uniform_filter1d_rows; recon/stripe_large_dead.cpp:
// measure_dead's deviation sum).

// The summed |sample - running mean| of one column of `rows` samples at col[r * stride]: the
// running mean of `size` samples along the rows ("reflect"), its sum kept in double as SciPy
// keeps it, each mean rounded to float, the deviations summed in float in row order.
XCT_HD inline float column_deviation(const float* col, std::ptrdiff_t stride, int rows, int size) {
  const int left = size / 2;
  const double inv = 1.0 / static_cast<double>(size);
  auto at = [&](long long r) { return col[reflect_index(r, rows) * stride]; };
  double acc = 0.0;
  for (int t = 0; t < size; ++t)
    acc += at(t - left);
  float dev = 0.0f;
  for (int r = 0; r < rows; ++r) {
    const float mean = static_cast<float>(acc * inv);
    const float d = col[static_cast<std::ptrdiff_t>(r) * stride] - mean;
#if defined(__CUDA_ARCH__)
    dev += fabsf(d);
#else
    dev += std::fabs(d);
#endif
    if (r + 1 == rows) break;
    acc += static_cast<double>(at(r + size - left)) - static_cast<double>(at(r - left));
  }
  return dev;
}

// One flagged column filled by linear interpolation along its row (recon/stripe_util.cpp:
// interpolate_columns): row `row` of the batch, column `col` from columns `left` and `right`.
struct ColumnFill {
  std::uint32_t row, col, left, right;
  float t;  // weight of the right column
};

XCT_HD inline float fill_value(float left, float right, float t) {
  return left + t * (right - left);
}

// The fills of interpolate_columns for one mask (the first and last two columns count as
// unflagged). Host only.
inline std::vector<ColumnFill> column_fills(std::vector<std::uint8_t> mask, std::uint32_t row) {
  const std::size_t cols = mask.size();
  for (std::size_t c = 0; c < (cols < 2 ? cols : 2); ++c) {
    mask[c] = 0;
    mask[cols - 1 - c] = 0;
  }
  std::vector<ColumnFill> fills;
  std::size_t left = 0;
  for (std::size_t c = 0; c < cols; ++c) {
    if (!mask[c]) {
      left = c;
      continue;
    }
    std::size_t right = c + 1;
    while (mask[right])
      ++right;
    fills.push_back(
        {row, static_cast<std::uint32_t>(c), static_cast<std::uint32_t>(left),
         static_cast<std::uint32_t>(right),
         static_cast<float>(static_cast<double>(c - left) / static_cast<double>(right - left))});
  }
  return fills;
}

// ---------------------------------------------------------------------------------------------
// The low-pass along the angles (recon/stripe_fourier.cpp: filter_columns with modulation, in
// double for lowpass_columns).

// The sign (-1)^k of the modulated line.
XCT_HD inline float modulation(long long k, bool modulate) {
  return (modulate && (k & 1)) ? -1.0f : 1.0f;
}

// Sample k of the extended, modulated column in double: the float sample times (-1)^k, exact.
XCT_HD inline double lowpass_input(float v, long long k, bool modulate) {
  return static_cast<double>(modulation(k, modulate)) * static_cast<double>(v);
}

// Sample k of the inverse transform (its real part v) back to the column: times (-1)^k in
// double, then rounded to float once, as filter_columns rounds its double lines.
XCT_HD inline float lowpass_output(double v, long long k, bool modulate) {
  return static_cast<float>(static_cast<double>(modulation(k, modulate)) * v);
}

// The spectrum's gain at bin f of n: gain[f] for f <= n / 2, gain[n - f] above (a real
// filter's gain is symmetric; `gain` holds n / 2 + 1 values).
XCT_HD inline double spectrum_gain(const double* gain, int f, int n) {
  return gain[f <= n / 2 ? f : n - f];
}

}  // namespace xct::cuda::stripe_math
