// Sub-pixel shift of rows by cubic B-spline interpolation with SciPy's semantics
// (scipy.ndimage.shift(order=3, prefilter=True, mode="constant") along the last axis), as
// Vo's centre metric uses it. SciPy prefilters with the mirror boundary (c b | a b c), takes
// the interpolation taps past either end from the same mirror, and sets every output whose
// source position j - shift lies outside [0, n - 1] to 0.
#pragma once

#include <cstddef>

namespace xct::recon {

// The cubic B-spline coefficients of n samples, in place (SciPy's spline_filter1d, order 3,
// mode "mirror": the exact infinite-sum initialisation, in double precision).
void spline_prefilter_mirror(double* c, std::size_t n);

// Output j of a shift takes coefficients first(j) .. first(j) + 3 (mirrored into [0, n)) with
// these 4 weights; the weights are the same for every j because the shift is.
struct CubicTaps {
  long offset = 0;  // first(j) = j + offset
  double weight[4] = {0, 0, 0, 0};
};
CubicTaps cubic_shift_taps(double shift);

// Outputs j in [begin, end) have a source position within [0, n - 1]; the others are 0.
void shift_valid_range(std::size_t n, double shift, std::size_t& begin, std::size_t& end);

// The whole shift of one row: out[j] = spline(in)(j - shift), 0 outside. in and out may not
// alias; `work` holds n doubles.
void spline_shift_row(const float* in, float* out, std::size_t n, double shift, double* work);

}  // namespace xct::recon
