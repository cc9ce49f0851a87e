// The per-element arithmetic of the device FBP, as __host__ __device__ functions: the kernels
// in fbp_kernels.cuh are thin loops around these, and tests/cuda/fbp_emulation_test.cpp runs
// the same functions on the CPU, block by block as the kernels would, against the CPU path.
// No CUDA header is needed to include this file.
//
// Rounding: every operation that must match the CPU bit for bit (detector positions, the
// slice geometry) uses the *_rn helpers, which nvcc may not contract into fused multiply-adds;
// on the host they are the plain operations, which g++ does not contract in ISO C++ mode.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/array.hpp"  // XCT_HD

namespace xct::cuda::math {

XCT_HD inline float mul_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
XCT_HD inline float add_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fadd_rn(a, b);
#else
  return a + b;
#endif
}
XCT_HD inline float sub_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fsub_rn(a, b);
#else
  return a - b;
#endif
}
XCT_HD inline float div_rn(float a, float b) {
#if defined(__CUDA_ARCH__)
  return __fdiv_rn(a, b);
#else
  return a / b;
#endif
}
XCT_HD inline double dmul_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}
XCT_HD inline double dsub_rn(double a, double b) {
#if defined(__CUDA_ARCH__)
  return __dsub_rn(a, b);
#else
  return a - b;
#endif
}
XCT_HD inline int trunc_to_int(float v) {
#if defined(__CUDA_ARCH__)
  return __float2int_rz(v);
#else
  return static_cast<int>(v);
#endif
}
XCT_HD inline float fused(float a, float b, float c) {  // a b + c, rounded once
#if defined(__CUDA_ARCH__)
  return fmaf(a, b, c);
#else
  return std::fma(a, b, c);
#endif
}

// ---------------------------------------------------------------------------------------------
// Flat-field and -log (recon/flatfield.cpp: flat_field with one flat group, then minus_log).

struct LogResult {
  float value;
  bool nonpositive;  // raw - dark <= 0, fixed by the policy
  bool clamped;      // transmission not a positive finite number: zero attenuation
};

XCT_HD inline LogResult counts_to_log(std::uint16_t raw, float dark, float denom, bool policy_one) {
  LogResult r;
  const float num = sub_rn(static_cast<float>(raw), dark);
  float t = div_rn(num, denom);
  r.nonpositive = !(num > 0.0f);
  if (r.nonpositive) t = policy_one ? 1.0f : div_rn(0.5f, denom);
  r.clamped = !(t > 0.0f && t <= 3.4e38f);
  r.value = r.clamped ? 0.0f : -logf(t);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Filtering (recon/fbp.cpp: filter_row).

// Sample j (0 .. width-1) of the padded copy of a row of n_cols samples: `left` copies of the
// first sample, the row, then copies of the last (zeros instead with zero padding).
XCT_HD inline float padded_sample(const float* row, int n_cols, int left, int j, bool zero_pad) {
  if (j < left) return zero_pad ? 0.0f : row[0];
  if (j < left + n_cols) return row[j - left];
  return zero_pad ? 0.0f : row[n_cols - 1];
}

// The interleaved layout of a group of `lanes` (1, 4 or 8) weighted filtered sinograms, which
// back_project reads: for angle a and plane p (lanes 4p..4p+3), a row of the lanes' samples
// s[j], then a row of their differences d[j] = s[j+1] - s[j] (s past the last column is zero),
// each column's lanes side by side. Lane l of column j: s at ((a planes + p) 2 n_cols + j) width
// + l % width, d n_cols width floats later, with width = min(lanes, 4), planes = lanes / width.
// A warp's threads, at neighbouring columns, so read neighbouring 16-byte words.
XCT_HD inline int lane_width(int lanes) {
  return lanes < 4 ? lanes : 4;
}
XCT_HD inline std::size_t interleaved_index(int lanes, std::size_t a, int lane, int j, int n_cols) {
  const int width = lane_width(lanes), planes = lanes / width;
  return ((a * planes + static_cast<std::size_t>(lane / width)) * 2 * n_cols + j) * width +
         lane % width;
}
XCT_HD inline std::size_t interleaved_floats(std::size_t n_angles, int n_cols) {
  return n_angles * static_cast<std::size_t>(n_cols) * 2 * 8;  // a group of 8 lanes
}

// Writes sample j of lane `lane` of angle a: `row` is that lane's filtered row, `w` the angle's
// weight (filter_into multiplies by it).
XCT_HD inline void interleave_sample(const float* row, int n_cols, int j, float w, int lanes,
                                     std::size_t a, int lane, float* group) {
  const float here = row[j] * w;
  const float next = j + 1 < n_cols ? row[j + 1] * w : 0.0f;
  const std::size_t at = interleaved_index(lanes, a, lane, j, n_cols);
  group[at] = here;
  group[at + static_cast<std::size_t>(n_cols) * lane_width(lanes)] = next - here;
}

// ---------------------------------------------------------------------------------------------
// Back-projection (recon/fbp.cpp: back_project_tile and valid_columns).

// Output pixels per block of the back-projection kernel, and angles per shared table.
constexpr int kTileX = 32, kTileY = 8, kAngleChunk = 32;

// Where angle a meets output row y (pixels from the slice centre): detector position b + x c
// at slice x, valid for the output columns [lo, hi] (positions within [0, n_cols - 1]).
struct Ray {
  float b, c;
  int lo, hi;
};

XCT_HD inline Ray make_ray(double centre, double y, double cos_a, double sin_a, int n, int n_cols) {
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const double last = static_cast<double>(n_cols) - 1.0;
  const double b = dsub_rn(centre, dmul_rn(y, sin_a));
  long long lo = 0, hi = n - 1;
  if (fabs(cos_a) < 1e-12) {
    if (b < 0 || b > last) hi = -1;
  } else {
    const double q1 = half - b / cos_a, q2 = half + (last - b) / cos_a;
    const double qlo = ceil(fmin(q1, q2)), qhi = floor(fmax(q1, q2));
    // Far outside the slice (a nearly vertical ray): clamp before converting.
    lo = qlo > lo ? (qlo > n ? static_cast<long long>(n) : static_cast<long long>(qlo)) : lo;
    hi = qhi < hi ? (qhi < -1 ? -1LL : static_cast<long long>(qhi)) : hi;
  }
  Ray r;
  r.b = static_cast<float>(b);
  r.c = static_cast<float>(cos_a);
  r.lo = static_cast<int>(lo);
  r.hi = static_cast<int>(hi);
  return r;
}

// The slice coordinate of output column q: q - (n-1)/2, exact in float.
XCT_HD inline float slice_x(int q, int n) {
  return static_cast<float>(static_cast<double>(q) - 0.5 * (static_cast<double>(n) - 1.0));
}

// Detector index (truncated) and interpolation fraction of a valid position.
XCT_HD inline void position(const Ray& ray, float x, int& i, float& f) {
  const float pos = add_rn(ray.b, mul_rn(x, ray.c));
  i = trunc_to_int(pos);
  f = sub_rn(pos, static_cast<float>(i));
}

// The samples s[i] and differences d[i] of every lane at angle a, detector index i, read from
// the interleaved layout (16-byte loads on the device).
template <int Lanes>
struct Taps {
  float s[Lanes], d[Lanes];
};

template <int Lanes>
XCT_HD inline Taps<Lanes> load_taps(const float* group, std::size_t a, int n_cols, int i) {
  constexpr int width = Lanes < 4 ? Lanes : 4, planes = Lanes / width;
  const std::size_t nc = static_cast<std::size_t>(n_cols);
  Taps<Lanes> t;
#if defined(__CUDA_ARCH__)
  if constexpr (Lanes == 1) {
    const float* p = group + a * 2 * nc + i;
    t.s[0] = __ldg(p);
    t.d[0] = __ldg(p + nc);
  } else {
    const float4* p = reinterpret_cast<const float4*>(group) + a * planes * 2 * nc + i;
#pragma unroll
    for (int pl = 0; pl < planes; ++pl) {
      const float4 s = __ldg(p + pl * 2 * nc);
      const float4 d = __ldg(p + pl * 2 * nc + nc);
      t.s[4 * pl + 0] = s.x;
      t.s[4 * pl + 1] = s.y;
      t.s[4 * pl + 2] = s.z;
      t.s[4 * pl + 3] = s.w;
      t.d[4 * pl + 0] = d.x;
      t.d[4 * pl + 1] = d.y;
      t.d[4 * pl + 2] = d.z;
      t.d[4 * pl + 3] = d.w;
    }
  }
#else
  for (int pl = 0; pl < planes; ++pl) {
    const float* p = group + ((a * planes + static_cast<std::size_t>(pl)) * 2 * nc + i) * width;
    for (int l = 0; l < width; ++l) {
      t.s[pl * width + l] = p[l];
      t.d[pl * width + l] = p[nc * width + l];
    }
  }
#endif
  return t;
}

// Each lane adds s + f d, rounded once (s[i] + f (s[i+1] - s[i]) with the difference
// precomputed).
template <int Lanes>
XCT_HD inline void add_taps(const Taps<Lanes>& t, float f, float* acc) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int l = 0; l < Lanes; ++l)
    acc[l] += fused(f, t.d[l], t.s[l]);
}

// Adds angle a's contribution at index i, fraction f to the lanes' accumulators.
template <int Lanes>
XCT_HD inline void add_angle(const float* group, std::size_t a, int n_cols, int i, float f,
                             float* acc) {
  add_taps<Lanes>(load_taps<Lanes>(group, a, n_cols, i), f, acc);
}

// Whether output pixel (r, q) lies outside the circle mask (mask_ratio < 0: no mask).
XCT_HD inline bool masked(int q, int r, int n, double mask_ratio) {
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  const double x = static_cast<double>(q) - half, y = static_cast<double>(r) - half;
  const double radius = mask_ratio * 0.5 * static_cast<double>(n);
  return mask_ratio >= 0 && x * x + y * y > radius * radius;
}

// ---------------------------------------------------------------------------------------------
// Groups (host side): runs of up to 8 consecutive rows with the same centre share the
// back-projector's detector positions, as in fbp_reconstruct_slab; a group of 1 row runs the
// 1-lane kernel, of 2 to 4 rows the 4-lane one, of 5 to 8 the 8-lane one.

struct RowGroup {
  std::size_t first = 0, count = 0;  // rows [first, first + count) of the batch
  double centre = 0;
  int lanes() const { return count >= 5 ? 8 : count >= 2 ? 4 : 1; }
};

// The groups of rows [begin, end) of `centres` (one per row), `first` counted from begin.
inline std::vector<RowGroup> group_rows(std::size_t begin, std::size_t end,
                                        const std::vector<double>& centres) {
  std::vector<RowGroup> out;
  for (std::size_t r = begin; r < end;) {
    RowGroup g{r - begin, 1, centres[r]};
    while (r + g.count < end && g.count < 8 && centres[r + g.count] == g.centre)
      ++g.count;
    out.push_back(g);
    r += g.count;
  }
  return out;
}

}  // namespace xct::cuda::math
