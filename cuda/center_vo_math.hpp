// The per-element arithmetic of Vo's metric on the device (center_vo.cu), as __host__
// __device__ functions: the stacked spectrum rows of recon/center_vo.cpp's stacked_row, with
// the same float operations in the same order (the *_rn helpers are never contracted), and the
// columns whose masked magnitudes are summed. Tests run them on the CPU. No CUDA header is
// needed to include this file.
#pragma once

#include <cmath>
#include <cstddef>

#include "core/array.hpp"  // XCT_HD
#include "cuda/center_vo.hpp"
#include "cuda/fbp_math.hpp"

namespace xct::cuda::math {

// A complex float as two floats (std::complex<float>'s layout), aligned for 8-byte loads.
struct alignas(8) Complex {
  float re, im;
};

XCT_HD inline float sqrt_rn(float v) {
#if defined(__CUDA_ARCH__)
  return __fsqrt_rn(v);
#else
  return std::sqrt(v);
#endif
}

// SciPy's "mirror" index (c b | a b c) of i into [0, n), as recon::mirror_index.
XCT_HD inline long mirror_index(long i, long n) {
  if (n == 1) return 0;
  const long period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

// Column j of the stacked spectrum row v (n columns) of a candidate shifted by `shift`: `a` and
// `coef` are row v of the spectra and of the flipped rows' spline coefficients, `phase` the
// up-down flip's phase of row v (VoShift says which formula applies where).
XCT_HD inline Complex vo_stacked_value(const Complex* a, const Complex* coef, Complex phase,
                                       bool odd_row, const VoShift& shift, long n, long j) {
  const Complex x = a[j];
  Complex out;
  if (j < shift.left || j >= n - shift.right) {
    // x + phase conj(x), the product as (p q) for complex p, q: re pr qr - pi qi, im pr qi + pi qr.
    const float qr = x.re, qi = -x.im;
    out.re = add_rn(x.re, sub_rn(mul_rn(phase.re, qr), mul_rn(phase.im, qi)));
    out.im = add_rn(x.im, add_rn(mul_rn(phase.re, qi), mul_rn(phase.im, qr)));
    return out;
  }
  const float sign = odd_row ? -1.0f : 1.0f;
  if (shift.integer) {
    const Complex y = a[n - 1 - j + shift.rounded];
    out.re = add_rn(x.re, mul_rn(sign, y.re));
    out.im = add_rn(x.im, mul_rn(sign, y.im));
    return out;
  }
  out = x;
  const long first = j + shift.offset;
  for (int h = 0; h < 4; ++h) {
    const Complex c = coef[mirror_index(first + h, n)];
    out.re = add_rn(out.re, mul_rn(shift.weight[h], c.re));
    out.im = add_rn(out.im, mul_rn(shift.weight[h], c.im));
  }
  return out;
}

// The columns of a spectrum row of n columns where the weight may be non-zero (within `reach`
// of DC, either side): [0, k] and [hi, n) with k = min(reach, n - 1), hi = max(k + 1, n - k).
struct RowColumns {
  long k, hi, count;
  // The m-th column of the list, 0 <= m < count.
  XCT_HD long column(long m) const { return m <= k ? m : hi + (m - k - 1); }
};
XCT_HD inline RowColumns row_columns(std::size_t reach, long n) {
  RowColumns r;
  r.k = static_cast<long>(reach) < n - 1 ? static_cast<long>(reach) : n - 1;
  r.hi = r.k + 1 > n - r.k ? r.k + 1 : n - r.k;
  r.count = r.k + 1 + (n - r.hi);
  return r;
}

// One term of a row's metric: weight times |f|, in float (then summed in double).
XCT_HD inline float weighted_magnitude(float weight, Complex f) {
  return mul_rn(weight, sqrt_rn(add_rn(mul_rn(f.re, f.re), mul_rn(f.im, f.im))));
}

}  // namespace xct::cuda::math
