// The per-element arithmetic of the device preprocessing (prep.cu), as __host__ __device__
// functions that the kernels call and tests run on the CPU against recon/. Every operation
// whose rounding matters uses the *_rn helpers of fbp_math.hpp (never contracted into fused
// multiply-adds), in the order the CPU code evaluates it, so the results are the CPU's bits.
// No CUDA header is needed to include this file.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/array.hpp"  // XCT_HD
#include "cuda/fbp_math.hpp"

namespace xct::cuda::math {

// ---------------------------------------------------------------------------------------------
// Flat-field (recon/flatfield.cpp: flat_field with one flat group, where the denominator is
// flat - dark itself).

struct Transmission {
  float value;
  bool nonpositive;  // raw - dark <= 0: the policy's value
};

XCT_HD inline Transmission counts_to_transmission(std::uint16_t raw, float dark, float denom,
                                                  bool policy_one) {
  const float num = sub_rn(static_cast<float>(raw), dark);
  Transmission t;
  t.value = div_rn(num, denom);
  t.nonpositive = !(num > 0.0f);
  if (t.nonpositive) t.value = policy_one ? 1.0f : div_rn(0.5f, denom);
  return t;
}

// ---------------------------------------------------------------------------------------------
// -log (recon/flatfield.cpp: minus_log).

struct Attenuation {
  float value;
  bool clamped;  // t <= 0 or not finite: zero attenuation
};

XCT_HD inline Attenuation minus_log_value(float t) {
  Attenuation a;
  a.clamped = !(t > 0.0f && t <= 3.4e38f);
  a.value = a.clamped ? 0.0f : -logf(t);
  return a;
}

// ---------------------------------------------------------------------------------------------
// Zingers (recon/zinger.cpp: remove_zinger without check_size).

// One sinogram's geometry and the step's parameters; the distance is taken modulo each size
// once (the CPU's wrap-around with np.roll's semantics, for any size).
struct ZingerGeometry {
  long long rows = 0, cols = 0;      // angles, columns of one sinogram
  long long s_rows = 0, s_cols = 0;  // size % rows, size % cols
  float threshold = 0;               // the CPU's float threshold
  bool frame_check = true;
};

XCT_HD inline ZingerGeometry zinger_geometry(std::size_t rows, std::size_t cols, std::size_t size,
                                             double threshold, bool frame_check) {
  ZingerGeometry g;
  g.rows = static_cast<long long>(rows);
  g.cols = static_cast<long long>(cols);
  g.s_rows = static_cast<long long>(size % rows);
  g.s_cols = static_cast<long long>(size % cols);
  g.threshold = static_cast<float>(threshold);
  g.frame_check = frame_check;
  return g;
}

// i - s and i + s modulo n, for 0 <= i < n and 0 <= s < n.
XCT_HD inline long long wrap_minus(long long i, long long s, long long n) {
  return i >= s ? i - s : i - s + n;
}
XCT_HD inline long long wrap_plus(long long i, long long s, long long n) {
  return i + s < n ? i + s : i + s - n;
}

struct ZingerSample {
  float value;  // the neighbour mean where a zinger was found, else the sample
  bool hit;
};

// Sample (r, c) of the sinogram `src` [rows, cols] after zinger removal: the three-tap column
// sums of rows r - s, r, r + s at columns c - s, c, c + s, less the centre sample, times 1/8
// (0 taken as 1); a zinger exceeds that mean by more than the threshold relative to it and,
// with the frame check, the mean of the two samples s rows away in its column likewise.
XCT_HD inline ZingerSample zinger_sample(const float* src, const ZingerGeometry& g, long long r,
                                         long long c) {
  const float* up = src + wrap_minus(r, g.s_rows, g.rows) * g.cols;
  const float* mid = src + r * g.cols;
  const float* down = src + wrap_plus(r, g.s_rows, g.rows) * g.cols;
  const long long cl = wrap_minus(c, g.s_cols, g.cols), cr = wrap_plus(c, g.s_cols, g.cols);
  const float sum_l = add_rn(add_rn(up[cl], mid[cl]), down[cl]);
  const float sum_c = add_rn(add_rn(up[c], mid[c]), down[c]);
  const float sum_r = add_rn(add_rn(up[cr], mid[cr]), down[cr]);
  const float x = mid[c];
  float mean = mul_rn(sub_rn(add_rn(add_rn(sum_l, sum_c), sum_r), x), 0.125f);
  mean = mean == 0.0f ? 1.0f : mean;
  const float column = g.frame_check ? mul_rn(0.5f, add_rn(up[c], down[c])) : 0.0f;
  ZingerSample out;
  out.hit = sub_rn(div_rn(x, mean), 1.0f) > g.threshold &&
            (!g.frame_check || sub_rn(x, column) > mul_rn(g.threshold, column));
  out.value = out.hit ? mean : x;
  return out;
}

}  // namespace xct::cuda::math
