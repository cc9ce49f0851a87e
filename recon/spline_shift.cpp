// Cubic B-spline interpolation: M. Unser, "Splines: a perfect fit for signal and image
// processing", IEEE Signal Processing Magazine 16(6), 22-38 (1999); the recursive prefilter
// with the mirror-boundary initialisation SciPy's ndimage uses.
#include "recon/spline_shift.hpp"

#include <cmath>

#include "core/error.hpp"
#include "recon/ndimage.hpp"

namespace xct::recon {

void spline_prefilter_mirror(double* c, std::size_t n) {
  if (n < 2) return;
  const double z = std::sqrt(3.0) - 2.0;  // the pole of the cubic B-spline
  const double gain = (1.0 - z) * (1.0 - 1.0 / z);
  for (std::size_t i = 0; i < n; ++i)
    c[i] *= gain;
  // Causal initialisation: the mirrored signal summed over one period.
  const double zn1 = std::pow(z, static_cast<double>(n - 1));
  double c0 = c[0] + zn1 * c[n - 1];
  double zi = z;
  for (std::size_t i = 1; i + 1 < n; ++i) {
    c0 += zi * (c[i] + zn1 * c[n - 1 - i]);
    zi *= z;
  }
  c[0] = c0 / (1.0 - zn1 * zn1);
  for (std::size_t i = 1; i < n; ++i)
    c[i] += z * c[i - 1];
  // Anti-causal initialisation, then the backward pass.
  c[n - 1] = (z * c[n - 2] + c[n - 1]) * z / (z * z - 1.0);
  for (std::size_t i = n - 1; i-- > 0;)
    c[i] = z * (c[i + 1] - c[i]);
}

CubicTaps cubic_shift_taps(double shift) {
  // Source position of output j is j - shift = j + floor(-shift) + t, t in [0, 1).
  const double fl = std::floor(-shift);
  const double t = -shift - fl;
  CubicTaps taps;
  taps.offset = static_cast<long>(fl) - 1;
  const double u = 1.0 - t;
  taps.weight[0] = u * u * u / 6.0;
  taps.weight[1] = (4.0 - 6.0 * t * t + 3.0 * t * t * t) / 6.0;
  taps.weight[2] = (1.0 + 3.0 * t + 3.0 * t * t - 3.0 * t * t * t) / 6.0;
  taps.weight[3] = t * t * t / 6.0;
  return taps;
}

void shift_valid_range(std::size_t n, double shift, std::size_t& begin, std::size_t& end) {
  // j - shift >= 0 and j - shift <= n - 1.
  const double lo = std::max(0.0, std::ceil(shift));
  const double hi =
      std::min(static_cast<double>(n) - 1.0, std::floor(static_cast<double>(n) - 1.0 + shift));
  begin = static_cast<std::size_t>(lo);
  end = hi >= lo ? static_cast<std::size_t>(hi) + 1 : begin;
}

void spline_shift_row(const float* in, float* out, std::size_t n, double shift, double* work) {
  XCT_CHECK(std::isfinite(shift), ErrorKind::Usage, "the shift is not finite");
  for (std::size_t i = 0; i < n; ++i)
    work[i] = in[i];
  spline_prefilter_mirror(work, n);
  const CubicTaps taps = cubic_shift_taps(shift);
  std::size_t begin, end;
  shift_valid_range(n, shift, begin, end);
  const long nl = static_cast<long>(n);
  for (std::size_t j = 0; j < n; ++j) {
    if (j < begin || j >= end) {
      out[j] = 0.0f;
      continue;
    }
    const long first = static_cast<long>(j) + taps.offset;
    double v = 0.0;
    for (int h = 0; h < 4; ++h)
      v += taps.weight[h] * work[mirror_index(first + h, nl)];
    out[j] = static_cast<float>(v);
  }
}

}  // namespace xct::recon
