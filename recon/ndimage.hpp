// Image filters with SciPy's ndimage semantics (boundary modes, window placement, kernel
// radius), so that steps built on them match Algotom's output. All work on 2-D float32 images
// [rows, cols]; for a sinogram rows are angles. Outputs must not alias inputs.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/array.hpp"

namespace xct::recon {

using Image = HostView<float, 2>;
using ConstImage = HostView<const float, 2>;

// Index maps for samples outside [0, n). SciPy's "reflect" repeats the edge sample
// (b a | a b c), numpy's "reflect" (SciPy's "mirror") does not (c b | a b c), "nearest"
// (numpy's "edge") repeats it forever.
inline std::ptrdiff_t reflect_index(std::ptrdiff_t i, std::ptrdiff_t n) {
  if (n == 1) return 0;
  const std::ptrdiff_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}
inline std::ptrdiff_t mirror_index(std::ptrdiff_t i, std::ptrdiff_t n) {
  if (n == 1) return 0;
  const std::ptrdiff_t period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}
inline std::ptrdiff_t nearest_index(std::ptrdiff_t i, std::ptrdiff_t n) {
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

// gaussian_filter1d along `axis` (0 or 1): radius int(4 sigma + 0.5), normalised taps,
// "reflect" boundary. sigma <= 0 copies.
void gaussian_filter1d(ConstImage in, Image out, int axis, double sigma);
// gaussian_filter with one sigma per axis, applied axis 0 then axis 1 like SciPy.
void gaussian_filter(ConstImage in, Image out, double sigma_rows, double sigma_cols);

// median_filter with a (size_rows, size_cols) window, "reflect" boundary. The window for
// output j along an axis starts at j - size/2; for even sizes SciPy's rank size/2 (the upper
// middle value) is taken.
void median_filter(ConstImage in, Image out, std::size_t size_rows, std::size_t size_cols);
// The 1-D median filter of n samples (the same window rules).
void median_filter1d(const float* in, float* out, std::size_t n, std::size_t size);

// uniform_filter1d along axis 0 with "reflect": the mean of rows j - size/2 ... j - size/2 +
// size - 1.
void uniform_filter1d_rows(ConstImage in, Image out, std::size_t size);

}  // namespace xct::recon
