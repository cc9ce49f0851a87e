// Ring (stripe) removal on sinograms [angle, detector column], with Algotom's names,
// parameters and defaults (algotom.prep.removal, version 1.7.0):
//   algorithm 1 (fitting), 2 (filtering), 3 (sorting), 4 (detection), 5 (large stripes),
//   6 (dead stripes) and their combination of Vo, Atwood and Drakopoulos, Opt. Express 26,
//   28396 (2018); and the wavelet-FFT method of Muench et al., Opt. Express 17, 8567 (2009).
// Every function takes a finite float32 sinogram of at least one angle and one column and
// writes a sinogram of the same shape; `out` may be the same buffer as `sino` (in place).
// Both must be contiguous. Non-finite input is ErrorKind::BadData; parameters out of range
// are ErrorKind::Usage. Algotom's **options (another smoothing filter in place of the
// median) are not offered.
//
// Deliberate differences from Algotom, each for robustness rather than output:
// - Sorting along angles is stable (ties keep their angle order); NumPy's argsort leaves
//   tied values in an arbitrary order, so outputs can differ at exactly tied pixels.
// - Stripe detection (algorithm 4) on noise-free statistics clips the noise level to 1e-6 and
//   carries on, as the paper's code (sarepy) and TomoPy do, where Algotom raises.
// - Unknown names (dim other than 1 or 2, wavelet, window) are usage errors, not silent
//   defaults.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "recon/ndimage.hpp"

namespace xct::recon {

// One byte per detector column: 1 where a stripe was detected.
using StripeMask = std::vector<std::uint8_t>;

// Algorithm 3: sort each column along the angles, median-filter across columns (a 1 x size
// window, or size x size with dim = 2), sort back. Partial and full stripes.
struct SortingStripeParams {
  std::size_t size = 21;  // median window, detector columns
  int dim = 1;            // 1 or 2
};
void remove_stripe_based_sorting(ConstImage sino, Image out, const SortingStripeParams& p = {});

// Algorithm 2 (with Algotom's sorting added by default): split each column into a Gaussian
// low-pass along the angles and the rest, median-filter the low-pass part across columns.
struct FilteringStripeParams {
  double sigma = 3;       // Gaussian window, frequency bins of the padded column
  std::size_t size = 21;  // median window, detector columns
  int dim = 1;
  bool sort = true;  // false gives the paper's algorithm 2
};
void remove_stripe_based_filtering(ConstImage sino, Image out, const FilteringStripeParams& p = {});

// Algorithm 1: fit each column with a Savitzky-Golay polynomial along the angles, smooth the
// fit across columns in Fourier space, and rescale the sinogram by smooth / fit. Low-pass
// (broad, blurry) stripes. Where the fit is zero (Algotom divides by zero there, giving NaN
// or Inf), the sample is kept unchanged.
struct FittingStripeParams {
  int order = 2;              // polynomial order
  double sigma = 10;          // Gaussian window across columns; smaller is stronger
  bool sort = false;          // sort each column first
  std::size_t num_chunk = 1;  // fit window = n_angles / num_chunk (made odd)
};
void remove_stripe_based_fitting(ConstImage sino, Image out, const FittingStripeParams& p = {});

// Algorithm 5: detects columns whose sorted, trimmed mean stands out from a median across
// columns (algorithm 4), optionally normalises every column by that ratio, and replaces the
// detected columns by the median-smoothed sorted values put back in angle order. A column
// whose ratio is zero (all zeros) is not scaled, where Algotom would divide by zero.
struct LargeStripeParams {
  double snr = 3.0;         // detection ratio (> 1); greater is less sensitive
  std::size_t size = 51;    // median window, detector columns
  double drop_ratio = 0.1;  // fraction of the sorted values left out, clipped to [0, 0.8]
  bool norm = true;         // divide every column by its ratio
};
// Needs at least 5 columns (3 also work).
StripeMask detect_large_stripe(ConstImage sino, const LargeStripeParams& p = {});
// Returns the mask it acted on.
StripeMask remove_large_stripe(ConstImage sino, Image out, const LargeStripeParams& p = {});

// Algorithm 6: detects unresponsive and fluctuating columns from their summed deviation from
// a running mean along the angles, and replaces them by linear interpolation along each row
// (only when fewer than a third of the columns are flagged); with `residual`, finishes with
// remove_large_stripe(snr, size).
struct DeadStripeParams {
  double snr = 3.0;
  std::size_t size = 51;             // median window, detector columns
  bool residual = true;              // run remove_large_stripe afterwards
  std::size_t smooth_strength = 10;  // running mean along the angles, samples
};
// The dilated mask, with the first and last two columns never flagged.
StripeMask detect_dead_stripe(ConstImage sino, const DeadStripeParams& p = {});
// Returns the mask of dead columns (the residual step's mask is not included).
StripeMask remove_dead_stripe(ConstImage sino, Image out, const DeadStripeParams& p = {});

// Algorithms 6, 5, 4 and 3 in turn: remove_dead_stripe(snr, la_size, residual = false),
// remove_large_stripe(snr, la_size, drop_ratio, norm = true), remove_stripe_based_sorting(
// sm_size, dim).
struct AllStripeParams {
  double snr = 3.0;
  std::size_t la_size = 51;  // median window for large and dead stripes
  std::size_t sm_size = 21;  // median window for small-to-medium stripes
  double drop_ratio = 0.1;
  int dim = 1;
};
struct AllStripeMasks {
  StripeMask dead, large;
};
AllStripeMasks remove_all_stripe(ConstImage sino, Image out, const AllStripeParams& p = {});

// Algorithms 4, 5 and 6 combined: detection as in algorithm 5 (with zero means set to 1),
// normalisation, then linear interpolation of the detected columns along each row.
struct InterpolationStripeParams {
  double snr = 3.0;
  std::size_t size = 51;
  double drop_ratio = 0.1;
  bool norm = true;
};
StripeMask remove_stripe_based_interpolation(ConstImage sino, Image out,
                                             const InterpolationStripeParams& p = {});

// Muench et al. 2009: pads the sinogram (rows with the column mean, columns with the edge, by
// min(150, 10 % of the smaller side)), decomposes it with a 2-D discrete wavelet transform
// (PyWavelets' wavedec2, "symmetric" mode), damps the vertical-detail band of every level in
// Fourier space along the angles, reconstructs and crops.
struct WaveletFftStripeParams {
  int level = 5;    // decomposition levels; out of [1, max] means the max, which keeps the
                    // coarsest band at least 16 samples on each side
  double size = 1;  // damping width, frequency bins; larger is stronger
  std::string wavelet_name = "db9";      // haar, db1 ... db20
  std::string window_name = "gaussian";  // gaussian or butter
  bool sort = false;                     // sort each column first
};
void remove_stripe_based_wavelet_fft(ConstImage sino, Image out,
                                     const WaveletFftStripeParams& p = {});

}  // namespace xct::recon
