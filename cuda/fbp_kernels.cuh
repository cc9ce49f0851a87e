// Kernels of the device FBP (launched from fbp.cu): grid-stride loops and the back-projection
// tile around the arithmetic of fbp_math.hpp, which names the CPU code each step reproduces.
#pragma once

#include <cuda_runtime.h>
#include <cufft.h>

#include <cstddef>
#include <cstdint>

#include "cuda/fbp_math.hpp"

namespace xct::cuda::kernels {

// Threads per block of the element-wise kernels.
constexpr int kThreads = 256;

// The number of blocks for a grid-stride loop over `count` elements.
inline unsigned int blocks_for(std::size_t count) {
  const std::size_t b = (count + kThreads - 1) / kThreads;
  return static_cast<unsigned int>(b < 65535 * 16 ? (b > 0 ? b : 1) : 65535 * 16);
}

// Adds one to *counter for every thread of the warp where `hit` holds, with one atomic per
// warp.
__device__ inline void count_hits(bool hit, unsigned long long* counter) {
  const unsigned int active = __activemask();
  const unsigned int hits = __ballot_sync(active, hit);
  const int leader = __ffs(active) - 1;
  if (hits != 0 && static_cast<int>(threadIdx.x % 32) == leader)
    atomicAdd(counter, static_cast<unsigned long long>(__popc(hits)));
}

// The index of the first NaN or infinite sample of data[0, count) into *first (atomicMin;
// *first starts at ~0ull).
__global__ void find_nonfinite(const float* __restrict__ data, std::size_t count,
                               unsigned long long* first) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    if (!isfinite(data[i])) atomicMin(first, static_cast<unsigned long long>(i));
  }
}

// data[i] *= scale (the output units), as the CPU scales its slices.
__global__ void scale_values(float* __restrict__ data, std::size_t count, float scale) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    data[i] = data[i] * scale;
}

// Raw counts [rows][angles][cols] to -log line integrals (math::counts_to_log); counters[0]
// counts the non-positive samples, counters[1] the clamped logarithms.
__global__ void counts_to_log(const std::uint16_t* __restrict__ raw, const float* __restrict__ dark,
                              const float* __restrict__ denom, std::size_t rows,
                              std::size_t n_angles, std::size_t n_cols, bool policy_one,
                              float* __restrict__ out, unsigned long long* counters) {
  const std::size_t count = rows * n_angles * n_cols, per_row = n_angles * n_cols;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t p = (i / per_row) * n_cols + i % n_cols;
    const math::LogResult r = math::counts_to_log(raw[i], dark[p], denom[p], policy_one);
    out[i] = r.value;
    count_hits(r.nonpositive, &counters[0]);
    count_hits(r.clamped, &counters[1]);
  }
}

// Rows of n_cols samples (`lines` of them, contiguous) into padded rows of `width` samples at
// a pitch of `pitch` floats: `left` copies of the first sample (or zeros), the row, then
// copies of the last sample (or zeros) up to `width`, as filter_row.
__global__ void pad_rows(const float* __restrict__ src, std::size_t lines, int n_cols, int left,
                         int width, int pitch, bool zero_pad, float* __restrict__ dst) {
  const std::size_t count = lines * static_cast<std::size_t>(width);
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t line = i / width;
    const int j = static_cast<int>(i % width);
    dst[line * pitch + j] = math::padded_sample(src + line * n_cols, n_cols, left, j, zero_pad);
  }
}

// Every spectrum of `lines` (half complex values each) times the filter response.
__global__ void apply_response(cufftComplex* __restrict__ spectra, std::size_t lines, int half,
                               const float* __restrict__ response) {
  const std::size_t count = lines * static_cast<std::size_t>(half);
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const float g = response[i % half];
    cufftComplex c = spectra[i];
    c.x *= g;
    c.y *= g;
    spectra[i] = c;
  }
}

// Filtered rows back to [rows][angles][n_cols]: the n_cols samples after `left` of each
// padded row (pitch floats apart).
__global__ void crop_rows(const float* __restrict__ padded, std::size_t lines, int n_cols, int left,
                          int pitch, float* __restrict__ dst) {
  const std::size_t count = lines * static_cast<std::size_t>(n_cols);
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const std::size_t line = i / n_cols;
    dst[i] = padded[line * pitch + left + i % n_cols];
  }
}

// Rows [count][angles] of n_cols samples (row (l, a) starts at src + (l * n_angles + a) *
// pitch + left), weighted, into the interleaved layout of a group of `lanes`
// (math::interleave_sample); the lanes past `count` are left as they are (cleared before).
__global__ void interleave(const float* __restrict__ src, int count, std::size_t n_angles,
                           int n_cols, int left, int pitch, const float* __restrict__ weight,
                           int lanes, float* __restrict__ dst) {
  const std::size_t total = static_cast<std::size_t>(count) * n_angles * n_cols;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const int j = static_cast<int>(i % n_cols);
    const std::size_t line = i / n_cols;
    const std::size_t a = line % n_angles;
    const int l = static_cast<int>(line / n_angles);
    math::interleave_sample(src + line * pitch + left, n_cols, j, weight[a], lanes, a, l, dst);
  }
}

// Sums every angle of a group's interleaved filtered rows into `count` slices (n x n each,
// slice l at slices + l n^2) at one centre, as back_project_tile: one block per tile of
// math::kTileX x kTileY pixels, one pixel and every lane per thread. The rays of kAngleChunk
// angles for the block's rows are computed once into shared memory; each thread then adds,
// per angle where its column is valid, s[i] + f d[i] to each lane. Every pixel of the grid is
// written, masked pixels with zero.
template <int Lanes>
__global__ void __launch_bounds__(math::kTileX* math::kTileY)
    back_project(const float* __restrict__ group, int n_angles, int n_cols, int n,
                 const double* __restrict__ cos_a, const double* __restrict__ sin_a, double centre,
                 int count, double mask_ratio, float* __restrict__ slices) {
  using math::kAngleChunk;
  using math::kTileX;
  using math::kTileY;
  __shared__ math::Ray rays[kAngleChunk][kTileY];
  // Per row of the tile, the columns where every angle of the chunk is valid: there the
  // angles run without a test per angle, so that loads of several angles can be in flight.
  __shared__ int common_lo[kTileY], common_hi[kTileY];
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  const int tid = ty * kTileX + tx;
  const int q = static_cast<int>(blockIdx.x) * kTileX + tx;
  const int r0 = static_cast<int>(blockIdx.y) * kTileY, r = r0 + ty;
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const float x = math::slice_x(q, n);

  float acc[Lanes];
#pragma unroll
  for (int l = 0; l < Lanes; ++l)
    acc[l] = 0.0f;

  for (int a0 = 0; a0 < n_angles; a0 += kAngleChunk) {
    const int chunk = min(kAngleChunk, n_angles - a0);
    __syncthreads();  // the previous chunk's rays are no longer read
    if (tid < kTileY) {
      common_lo[tid] = 0;
      common_hi[tid] = n - 1;
    }
    __syncthreads();
    for (int i = tid; i < chunk * kTileY; i += kTileX * kTileY) {
      const int k = i / kTileY, rr = i % kTileY;
      const math::Ray ray = math::make_ray(centre, static_cast<double>(r0 + rr) - half,
                                           cos_a[a0 + k], sin_a[a0 + k], n, n_cols);
      rays[k][rr] = ray;
      atomicMax(&common_lo[rr], ray.lo);
      atomicMin(&common_hi[rr], ray.hi);
    }
    __syncthreads();
    int i;
    float f;
    if (q >= common_lo[ty] && q <= common_hi[ty]) {
      // Two angles at a time: both positions, then all their loads, then the sums (in angle
      // order, as everywhere else).
      int k = 0;
      for (; k + 1 < chunk; k += 2) {
        int i1;
        float f1;
        math::position(rays[k][ty], x, i, f);
        math::position(rays[k + 1][ty], x, i1, f1);
        const auto t0 = math::load_taps<Lanes>(group, static_cast<std::size_t>(a0 + k), n_cols, i);
        const auto t1 =
            math::load_taps<Lanes>(group, static_cast<std::size_t>(a0 + k + 1), n_cols, i1);
        math::add_taps<Lanes>(t0, f, acc);
        math::add_taps<Lanes>(t1, f1, acc);
      }
      if (k < chunk) {
        math::position(rays[k][ty], x, i, f);
        math::add_angle<Lanes>(group, static_cast<std::size_t>(a0 + k), n_cols, i, f, acc);
      }
    } else {
      for (int k = 0; k < chunk; ++k) {
        const math::Ray ray = rays[k][ty];
        if (q < ray.lo || q > ray.hi) continue;
        math::position(ray, x, i, f);
        math::add_angle<Lanes>(group, static_cast<std::size_t>(a0 + k), n_cols, i, f, acc);
      }
    }
  }
  if (q >= n || r >= n) return;
  const bool masked = math::masked(q, r, n, mask_ratio);
  const std::size_t pixel = static_cast<std::size_t>(r) * n + q;
  const std::size_t slice = static_cast<std::size_t>(n) * n;
#pragma unroll
  for (int l = 0; l < Lanes; ++l)
    if (l < count) slices[l * slice + pixel] = masked ? 0.0f : acc[l];
}

}  // namespace xct::cuda::kernels
