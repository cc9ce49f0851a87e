// Building blocks shared by the stripe removal steps (recon/stripe.hpp): sorting along the
// angles, stripe detection (algorithm 4 of Vo et al., Opt. Express 26, 28396, 2018), filling
// flagged columns, and Fourier filters along the angle axis with Algotom's conventions.
// Internal to recon/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/array.hpp"
#include "recon/ndimage.hpp"
#include "recon/stripe.hpp"

namespace xct::recon::stripe {

// Checks a sinogram: contiguous, finite, at least one angle and one column; and an output:
// contiguous, of the sinogram's shape. `what` names the step in messages.
void check_sinogram(ConstImage sino, const char* what);
void check_output(ConstImage sino, Image out, const char* what);
void check_dim(int dim);
void check_size(std::size_t size, const char* what);

// The values of each column sorted along the angles (ascending, ties in angle order) and,
// for each sorted sample, the angle it came from.
struct ColumnSort {
  HostArray<float, 2> sorted;          // [n_angles, n_cols]
  HostArray<std::uint32_t, 2> source;  // [n_angles, n_cols]: angle of sorted(r, c)
};
ColumnSort sort_columns(ConstImage sino);
// out(source(r, c), c) = values(r, c) for every column (or only the columns with mask 1
// when a mask is given). `out` must not alias `values`.
void unsort_columns(ConstImage values, const HostArray<std::uint32_t, 2>& source, Image out,
                    const StripeMask* only = nullptr);

// remove_stripe_based_sorting without the input checks.
void sorting_unchecked(ConstImage sino, Image out, const SortingStripeParams& p);

// The median filter Algotom applies to sorted images: 1 x size, or size x size for dim = 2.
void median_across_columns(ConstImage in, Image out, std::size_t size, int dim);

// Algorithm 4 on a per-column statistic: fit a line to the middle half of its sorted
// values; flag values above (below) the line's end by more than snr / 2 noise levels when the
// extreme value is at least snr noise levels out. Needs 3 or at least 5 values.
// `single_precision`: the statistic is float32 in Algotom, which NumPy compares with the
// thresholds rounded to float32.
StripeMask detect_stripe(const std::vector<double>& stat, double snr, bool single_precision);
// Grows every flagged run by one column on each side (binary dilation, one iteration).
StripeMask dilate(const StripeMask& mask);

// Algorithm 5's host part, from per-column statistics (remove_large_stripe and the device
// path share it): each column's ratio l1 / l2 (1 where l2 is 0) of the trimmed mean of its
// sorted values l1 to that of their median across columns l2, and the dilated detection of
// the ratios.
struct LargeStripeDetection {
  std::vector<double> ratio;
  StripeMask mask;
};
LargeStripeDetection large_ratio_and_mask(const std::vector<double>& l1,
                                          const std::vector<double>& l2,
                                          const LargeStripeParams& p);
// The sorted values left out at each end of a column of `rows` for the trimmed means
// (drop_ratio clipped to [0, 0.8], half at each end).
std::size_t large_drop_rows(std::size_t rows, const LargeStripeParams& p);
// Usage errors for a window of 0 or a NaN snr or drop_ratio.
void check_large_params(const LargeStripeParams& p);

// Algorithm 6's host part, from each column's summed deviation from its running mean along
// the angles (float32): the deviation over its median across columns, detected, dilated, with
// the first and last two columns never flagged.
StripeMask dead_mask_from_deviation(const std::vector<float>& dev, const DeadStripeParams& p);
// Usage errors for a window or smooth_strength of 0.
void check_dead_params(const DeadStripeParams& p);

// Replaces the flagged columns of `image` (in place) by linear interpolation along each row
// between the nearest unflagged columns. The first and last two columns count as unflagged.
void interpolate_columns(Image image, StripeMask mask);
std::size_t count(const StripeMask& mask);

// Low-pass of each column along the angles, as Algotom's separate_frequency_component with a
// Gaussian window of `sigma` bins: numpy "reflect" padding by min(150, n_angles / 10), the
// (-1)^n-modulated FFT filter, crop. Computed in double precision (the transforms and
// lowpass_gain, as numpy.fft computes it) and rounded to float once. `smooth` may be `sino`.
void lowpass_columns(ConstImage sino, Image smooth, double sigma);

// Savitzky-Golay smoothing of each column along the angles (scipy.signal.savgol_filter,
// mode "mirror") with an odd window of `window` samples and polynomial `order`.
void savgol_columns(ConstImage sino, Image fit, std::size_t window, int order);

// Pads by `pad` on every side: rows with each column's mean over the angles (numpy "mean"),
// then columns with the edge value (numpy "edge"), as Algotom pads sinograms for its 2-D
// Fourier filters.
HostArray<float, 2> pad_mean_edge(ConstImage sino, std::size_t pad);

// Algotom's apply_gaussian_filter: pads columns with the edge and rows with the column mean
// by `pad`, multiplies the (-1)^(x+y)-modulated 2-D spectrum by a Gaussian of sigma_x bins
// across columns and sigma_y bins along angles, and crops. `out` must not alias `in`.
void gaussian_fourier_2d(ConstImage in, Image out, double sigma_x, double sigma_y, std::size_t pad);

// Filters every column of `in` [n, n_cols] along the angles into `out` (which may alias
// it): the column is extended by `shift` samples on each side with numpy's "reflect" (SciPy's
// "mirror") and zero-filled up to n_fft; multiplied by (-1)^k when `modulate`; real FFT;
// times gain[f] for f = 0 ... n_fft/2 (the gain includes the 1/n_fft); inverse FFT; times
// (-1)^k again; out(r) = sample r + shift.
void filter_columns(ConstImage in, Image out, std::size_t n_fft, std::size_t shift,
                    const std::vector<float>& gain, bool modulate);
// The same in double precision (the extended column, the transforms and the gain), each
// output sample rounded to float once.
void filter_columns(ConstImage in, Image out, std::size_t n_fft, std::size_t shift,
                    const std::vector<double>& gain, bool modulate);

// For a real window w over FFT bins 0 ... n-1, the real gain that gives the real part of
// ifft(fft(x) * w): (w[f] + w[-f mod n]) / 2 for f = 0 ... n/2, divided by n.
std::vector<float> hermitian_gain(const std::vector<double>& w);
// lowpass_columns' gain over a transform of n_fft samples, in double: hermitian_gain of the
// Gaussian window of `sigma` bins, not rounded to float.
std::vector<double> lowpass_gain(std::size_t n_fft, double sigma);

}  // namespace xct::recon::stripe
