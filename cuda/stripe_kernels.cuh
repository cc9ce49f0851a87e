// Kernels of the device ring removal (launched from stripe.cu): transposes between the
// sinograms [rows][angles][cols] and per-column lines [rows][cols][angles], the block-wide
// stable sort of each line, the median across columns, the column statistics of the stripe
// detectors and the fills, around the arithmetic of stripe_math.hpp.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <cstdint>
#include <cub/block/block_radix_sort.cuh>

#include "cuda/stripe_math.hpp"

namespace xct::cuda::stripe_kernels {

namespace sm = stripe_math;

// Threads per block of the element-wise kernels.
constexpr int kThreads = 256;
// Transposes move tiles of 32 x 32 samples with blocks of 32 x 8 threads.
constexpr int kTile = 32, kTileRows = 8;

// The number of blocks for a grid-stride loop over `count` elements.
inline unsigned int blocks_for(std::size_t count) {
  const std::size_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

__device__ inline std::size_t thread_index() {
  return blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x;
}
__device__ inline std::size_t grid_stride() {
  return static_cast<std::size_t>(gridDim.x) * blockDim.x;
}

// The index of the first NaN or infinite sample of data[0, count) into *first (atomicMin;
// *first starts at ~0ull).
__global__ void find_nonfinite(const float* __restrict__ data, std::size_t count,
                               unsigned long long* first) {
  for (std::size_t i = thread_index(); i < count; i += grid_stride())
    if (!isfinite(data[i])) atomicMin(first, static_cast<unsigned long long>(i));
}

__device__ inline void put(float* p, float v) {
  *p = v;
}
__device__ inline void put(cufftDoubleComplex* p, float v) {
  *p = make_cuDoubleComplex(static_cast<double>(v), 0.0);
}

// Sinograms [rows][n_angles][n_cols] into lines [rows][n_cols][pitch] (of floats, or of double
// complex samples with a zero imaginary part): sample k of the line of (row, c) is (-1)^k (when
// modulated) times the sinogram at angle mirror(k - shift), column c, for k < n_ext, and 0 for
// n_ext <= k < n_out (filter_columns' extended, zero-filled column; the sign and the widening
// to double are exact, as stripe_math::lowpass_input). Grid: (column tiles, sample tiles,
// rows).
template <typename Out>
__global__ void columns_to_lines(const float* __restrict__ sino, int n_angles, int n_cols,
                                 Out* __restrict__ lines, std::size_t pitch, int n_out, int shift,
                                 int n_ext, bool modulate) {
  __shared__ float tile[kTile][kTile + 1];
  const int c0 = static_cast<int>(blockIdx.x) * kTile, k0 = static_cast<int>(blockIdx.y) * kTile;
  const std::size_t row = blockIdx.z;
  const float* s = sino + row * n_angles * static_cast<std::size_t>(n_cols);
  for (int dy = static_cast<int>(threadIdx.y); dy < kTile; dy += kTileRows) {
    const int k = k0 + dy, c = c0 + static_cast<int>(threadIdx.x);
    float v = 0.0f;
    if (k < n_ext && c < n_cols) {
      const long long a = sm::mirror_index(static_cast<long long>(k) - shift, n_angles);
      v = sm::modulation(k, modulate) * s[a * n_cols + c];
    }
    tile[dy][threadIdx.x] = v;
  }
  __syncthreads();
  for (int dy = static_cast<int>(threadIdx.y); dy < kTile; dy += kTileRows) {
    const int c = c0 + dy, k = k0 + static_cast<int>(threadIdx.x);
    if (c < n_cols && k < n_out) put(lines + (row * n_cols + c) * pitch + k, tile[threadIdx.x][dy]);
  }
}

// How lines_to_columns combines a line sample v with the sinogram sample s it lands on.
enum Combine : int {
  kCopy,   // v
  kAdd,    // v + s
  kSub,    // s - v
  kLarge,  // v in flagged columns; elsewhere s divided by its column's ratio (or s)
};

// Lines [rows][n_cols][pitch] (the first n_angles samples of each) back into sinograms
// [rows][n_angles][n_cols]. `mask` and `divisor` ([rows][n_cols]) serve kLarge; a null
// divisor leaves unflagged columns as they are. Grid: (column tiles, angle tiles, rows).
template <int Mode>
__global__ void lines_to_columns(const float* __restrict__ lines, std::size_t pitch, int n_angles,
                                 int n_cols, float* __restrict__ sino,
                                 const std::uint8_t* __restrict__ mask,
                                 const double* __restrict__ divisor) {
  __shared__ float tile[kTile][kTile + 1];
  const int c0 = static_cast<int>(blockIdx.x) * kTile, a0 = static_cast<int>(blockIdx.y) * kTile;
  const std::size_t row = blockIdx.z;
  for (int dy = static_cast<int>(threadIdx.y); dy < kTile; dy += kTileRows) {
    const int c = c0 + dy, a = a0 + static_cast<int>(threadIdx.x);
    if (c < n_cols && a < n_angles) tile[dy][threadIdx.x] = lines[(row * n_cols + c) * pitch + a];
  }
  __syncthreads();
  for (int dy = static_cast<int>(threadIdx.y); dy < kTile; dy += kTileRows) {
    const int a = a0 + dy, c = c0 + static_cast<int>(threadIdx.x);
    if (a >= n_angles || c >= n_cols) continue;
    const std::size_t i = (row * n_angles + a) * n_cols + c;
    const float v = tile[threadIdx.x][dy];
    if constexpr (Mode == kCopy) {
      sino[i] = v;
    } else if constexpr (Mode == kAdd) {
      sino[i] = v + sino[i];
    } else if constexpr (Mode == kSub) {
      sino[i] = sino[i] - v;
    } else {
      const std::size_t p = row * n_cols + c;
      if (mask[p])
        sino[i] = v;
      else if (divisor != nullptr)
        sino[i] = sm::normalised(sino[i], divisor[p]);
    }
  }
}

// The real parts of samples shift ... shift + n_angles - 1 of each double complex line
// [n_lines][pitch] (times (-1)^k when modulated), rounded to float, into compact lines
// [n_lines][n_angles]: filter_columns' crop.
__global__ void extract_lines(const cufftDoubleComplex* __restrict__ lines, std::size_t pitch,
                              int shift, bool modulate, int n_angles, std::size_t n_lines,
                              float* __restrict__ out) {
  const std::size_t count = n_lines * n_angles;
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const std::size_t line = i / n_angles;
    const long long k = static_cast<long long>(i % n_angles) + shift;
    out[i] = sm::lowpass_output(lines[line * pitch + k].x, k, modulate);
  }
}

// Full double spectra [n_lines][n] times the real gain of their frequency
// (stripe_math::spectrum_gain), in double.
__global__ void apply_gain(cufftDoubleComplex* __restrict__ spectra, std::size_t n_lines, int n,
                           const double* __restrict__ gain) {
  const std::size_t count = n_lines * n;
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const double g = sm::spectrum_gain(gain, static_cast<int>(i % n), n);
    spectra[i].x *= g;
    spectra[i].y *= g;
  }
}

// Sorts each line data[seg * n, (seg + 1) * n) in place by its order keys, stably (ties in
// line order), and writes for each sorted sample the position it came from into `source`. One
// block per line, kBlock x kItems >= n; the radix passes cover only the low bits in which the
// line's keys differ.
template <int kBlock, int kItems>
__global__ void __launch_bounds__(kBlock)
    sort_lines(float* __restrict__ data, int n, std::uint32_t* __restrict__ source) {
  using Sort = cub::BlockRadixSort<std::uint32_t, kBlock, kItems, std::uint32_t>;
  __shared__ typename Sort::TempStorage temp;
  __shared__ std::uint32_t varying;
  const std::size_t seg = blockIdx.x;
  float* d = data + seg * n;
  std::uint32_t* src = source + seg * n;
  const std::uint32_t key0 = sm::order_key(d[0]);
  std::uint32_t keys[kItems], vals[kItems], diff = 0;
  for (int i = 0; i < kItems; ++i) {
    const int idx = static_cast<int>(threadIdx.x) * kItems + i;
    keys[i] = idx < n ? sm::order_key(d[idx]) : 0xffffffffu;  // padding sorts last
    vals[i] = static_cast<std::uint32_t>(idx);
    if (idx < n) diff |= keys[i] ^ key0;
  }
  if (threadIdx.x == 0) varying = 0;
  __syncthreads();
  if (diff != 0) atomicOr(&varying, diff);
  __syncthreads();
  const std::uint32_t v = varying;
  if (v == 0) {  // every key equal: the line is sorted as it is (-0 still becomes +0)
    for (int i = 0; i < kItems; ++i) {
      const int idx = static_cast<int>(threadIdx.x) * kItems + i;
      if (idx < n) {
        d[idx] = sm::from_key(keys[i]);
        src[idx] = vals[i];
      }
    }
    return;
  }
  Sort(temp).SortBlockedToStriped(keys, vals, 0, sm::sort_end_bit(v));
  for (int i = 0; i < kItems; ++i) {
    const int idx = i * kBlock + static_cast<int>(threadIdx.x);
    if (idx < n) {
      d[idx] = sm::from_key(keys[i]);
      src[idx] = vals[i];
    }
  }
}

// For lines longer than one block sorts: order keys of data[0, count) into `keys` and each
// sample's position in its line of n into `index`.
__global__ void make_keys(const float* __restrict__ data, std::size_t count, int n,
                          std::uint32_t* __restrict__ keys, std::uint32_t* __restrict__ index) {
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    keys[i] = sm::order_key(data[i]);
    index[i] = static_cast<std::uint32_t>(i % n);
  }
}

// Sorted keys back to floats, in place.
__global__ void keys_to_floats(std::uint32_t* data, std::size_t count) {
  for (std::size_t i = thread_index(); i < count; i += grid_stride())
    reinterpret_cast<float*>(data)[i] = sm::from_key(data[i]);
}

// offsets[i] = i n for i = 0 ... n_segments.
__global__ void line_offsets(long long* offsets, std::size_t n_segments, int n) {
  for (std::size_t i = thread_index(); i <= n_segments; i += grid_stride())
    offsets[i] = static_cast<long long>(i) * n;
}

// Puts each sorted line back in its original order: out[seg][source[seg][i]] = values[seg][i]
// (recon/stripe_util.cpp: unsort_columns), only for lines with only[seg] != 0 when `only` is
// given. One block per line, the line gathered in shared memory (n floats).
__global__ void unsort_lines(const float* __restrict__ values,
                             const std::uint32_t* __restrict__ source, int n,
                             const std::uint8_t* __restrict__ only, float* __restrict__ out) {
  extern __shared__ float line[];
  const std::size_t seg = blockIdx.x;
  if (only != nullptr && only[seg] == 0) return;  // the whole block leaves
  const std::size_t base = seg * n;
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x))
    line[source[base + i]] = values[base + i];
  __syncthreads();
  for (int i = static_cast<int>(threadIdx.x); i < n; i += static_cast<int>(blockDim.x))
    out[base + i] = line[i];
}

// The same for lines too long for shared memory: scattered writes.
__global__ void unsort_lines_global(const float* __restrict__ values,
                                    const std::uint32_t* __restrict__ source, int n,
                                    std::size_t count, const std::uint8_t* __restrict__ only,
                                    float* __restrict__ out) {
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const std::size_t seg = i / n;
    if (only != nullptr && only[seg] == 0) continue;
    out[seg * n + source[i]] = values[i];
  }
}

// The median across columns of lines [rows][n_cols][n_angles] (1 x size windows along the
// columns at each angle or rank): one thread per (row, angle, run of `chunk` columns), its
// sorted window in shared memory (blockDim.x x size floats). Grid: (angle blocks, column
// runs, rows).
__global__ void median_lines(const float* __restrict__ in, float* __restrict__ out, int n_angles,
                             int n_cols, int size, int chunk) {
  extern __shared__ float windows[];
  const int a = static_cast<int>(blockIdx.x * blockDim.x + threadIdx.x);
  if (a >= n_angles) return;
  const std::size_t base = static_cast<std::size_t>(blockIdx.z) * n_cols * n_angles + a;
  const int c0 = static_cast<int>(blockIdx.y) * chunk;
  const int c1 = c0 + chunk < n_cols ? c0 + chunk : n_cols;
  sm::median_run(in + base, n_angles, n_cols, size, c0, c1,
                 sm::Window{windows + threadIdx.x, static_cast<int>(blockDim.x)}, out + base,
                 n_angles);
}

// The median of size_a x size_c windows (angles x columns) of lines [rows][n_cols][n_angles],
// one thread per output, without storage (stripe_math::window_select).
__global__ void median_select(const float* __restrict__ in, float* __restrict__ out, int n_angles,
                              int n_cols, std::size_t rows, int size_a, int size_c) {
  const std::size_t per_row = static_cast<std::size_t>(n_cols) * n_angles, count = rows * per_row;
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const std::size_t row = i / per_row, rest = i % per_row;
    const int c = static_cast<int>(rest / n_angles), a = static_cast<int>(rest % n_angles);
    out[i] =
        sm::window_select(in + row * per_row, n_angles, n_angles, n_cols, a, c, size_a, size_c);
  }
}

// Per line of n samples: the mean of sorted[first, last) into l1 and of smooth[first, last)
// into l2 (measure_large's trimmed means).
__global__ void line_means(const float* __restrict__ sorted, const float* __restrict__ smooth,
                           int n, std::size_t n_lines, int first, int last, double* __restrict__ l1,
                           double* __restrict__ l2) {
  for (std::size_t i = thread_index(); i < n_lines; i += grid_stride()) {
    l1[i] = sm::segment_mean(sorted + i * n, first, last);
    l2[i] = sm::segment_mean(smooth + i * n, first, last);
  }
}

// Per (row, column) of sinograms [rows][n_angles][n_cols]: the summed deviation from the
// running mean of `size` angles (measure_dead) into dev [rows][n_cols].
__global__ void column_deviations(const float* __restrict__ sino, int n_angles, int n_cols,
                                  std::size_t rows, int size, float* __restrict__ dev) {
  const std::size_t count = rows * n_cols;
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const std::size_t row = i / n_cols, c = i % n_cols;
    dev[i] = sm::column_deviation(sino + row * n_angles * n_cols + c, n_cols, n_angles, size);
  }
}

// The flagged columns of sinograms [rows][n_angles][n_cols] filled along each row from their
// unflagged neighbours (interpolate_columns), one thread per (fill, angle).
__global__ void fill_columns(float* __restrict__ sino, int n_angles, int n_cols,
                             const sm::ColumnFill* __restrict__ fills, std::size_t n_fills) {
  const std::size_t count = n_fills * n_angles;
  for (std::size_t i = thread_index(); i < count; i += grid_stride()) {
    const sm::ColumnFill f = fills[i / n_angles];
    float* r = sino + (static_cast<std::size_t>(f.row) * n_angles + i % n_angles) * n_cols;
    r[f.col] = sm::fill_value(r[f.left], r[f.right], f.t);
  }
}

}  // namespace xct::cuda::stripe_kernels
