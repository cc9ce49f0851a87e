// Ring (stripe) removal on a CUDA device, behind a plain C++ header: no CUDA type appears
// here. Built from stripe.cu when CUDA is compiled in and from stripe_stub.cpp otherwise,
// where constructing a remover throws DeviceUnavailable.
//
// The device twins of recon/stripe.hpp's sorting (algorithm 3), filtering (algorithm 2, with
// and without sorting), large stripes (algorithm 5), dead stripes (algorithm 6) and their
// combination, for a batch of transmission sinograms [rows, n_angles, n_cols] already in
// device memory. They give the CPU's results: every step but the Fourier low-pass of Filter
// is exact and in the CPU's order (the stable sort, the median, the column statistics, the
// fills), so the outputs are the CPU's bits and the stripe masks the CPU's masks. Filter's
// low-pass is computed in double precision on both devices (cuFFT's Z2Z transforms here,
// FFTW's double transforms on the CPU, the gain in double) and rounded to float once, so the
// two differ only where a double value lies within the transforms' rounding (about 1e-16
// relative) of a float rounding boundary: the float low-pass, its sorted order (ties
// included) and so the outputs are the CPU's bits but for such rare samples. The stripe
// detection itself runs on the host, from per-column statistics computed on the device, with
// recon/'s own code handed over in StripeSetup (docs/rings.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/array.hpp"

namespace xct::cuda {

enum class StripeMethod { Sort, Filter, Large, Dead, All };

// What the host detector of large stripes returns for one sinogram: each column's ratio of
// its sorted trimmed mean to the median's, and the dilated mask (1 = stripe).
struct LargeDetection {
  std::vector<double> ratio;
  std::vector<std::uint8_t> mask;
};
// From the trimmed means l1 (sorted columns) and l2 (their median across columns), one per
// column (recon::stripe::large_ratio_and_mask).
using LargeDetector =
    std::function<LargeDetection(const std::vector<double>& l1, const std::vector<double>& l2)>;
// From each column's summed deviation from its running mean (recon::stripe::
// dead_mask_from_deviation): the mask of dead columns.
using DeadDetector = std::function<std::vector<std::uint8_t>(const std::vector<float>& deviation)>;

// Everything the device needs for one method on sinograms of n_angles x n_cols
// (recon::stripe_device_setup fills it from RingOptions).
struct StripeSetup {
  StripeMethod method = StripeMethod::Sort;
  std::size_t n_angles = 0, n_cols = 0;

  // The median across columns of the sorted (or, for Filter without sorting, low-pass)
  // columns: Sort; All's last step; Filter. A 1 x size window, or size x size with dim 2.
  std::size_t size = 21;
  int dim = 1;

  // Filter: the low-pass of each column along the angles (lowpass_columns), in double: the
  // column extended by `shift` samples at both ends ("reflect"), zero-filled to n_fft,
  // modulated by (-1)^k, multiplied in Fourier space by gain[f], f = 0 ... n_fft / 2
  // (1 / n_fft included), rounded to float after the inverse transform.
  bool filter_sort = true;
  std::size_t n_fft = 0, shift = 0;
  std::vector<double> gain;

  // Large stripes (Large; Dead's residual step; All): the median window across columns, the
  // rows left out at each end of the sorted columns for the trimmed means, whether every
  // column is divided by its ratio, and the detector.
  std::size_t large_size = 51, large_drop = 0;
  bool large_norm = true;
  LargeDetector detect_large;

  // Dead stripes (Dead; All): the running mean's length along the angles, whether Dead ends
  // with the large-stripe step, and the detector.
  std::size_t smooth_strength = 10;
  bool dead_residual = true;
  DeadDetector detect_dead;
};

// The masks of one sinogram, as the CPU's methods return them: `dead` for Dead and All,
// `large` for Large and All (Dead's residual step does not report its mask); empty otherwise.
struct StripeMasks {
  std::vector<std::uint8_t> dead, large;
};

// One device, one setup, buffers for up to max_rows sinograms at a time, made once in the
// constructor (device memory, cuFFT plans) and reused by every call. Not thread-safe.
class StripeRemover {
 public:
  // Throws DeviceUnavailable when the device cannot be used or lacks the memory, Usage for an
  // inconsistent setup.
  StripeRemover(StripeSetup setup, std::size_t max_rows, int device = 0);
  ~StripeRemover();
  StripeRemover(StripeRemover&&) noexcept;
  StripeRemover& operator=(StripeRemover&&) noexcept;

  const StripeSetup& setup() const;
  std::size_t max_rows() const;

  // Device memory a remover of `max_rows` rows with this setup allocates (cuFFT's work area
  // included as an estimate), not counting the sinograms it is handed (nor run_host's own
  // batch): 12 bytes per sample of max_rows sinograms for every method but Dead without its
  // residual step (24 with more than 8192 angles), plus Filter's transform lines of up to 4
  // sinograms (16 bytes, a double complex, per sample of the extended column) with cuFFT's
  // work area, per-column statistics, and 64 MiB of slack.
  static std::size_t device_bytes(const StripeSetup& setup, std::size_t max_rows);

  // In place on `rows` (<= max_rows) contiguous sinograms [rows, n_angles, n_cols] at device
  // pointer d_sinos, all work on `stream` (a cudaStream_t; null is the legacy default
  // stream). Synchronises the stream for the host detection (once per detection step) and at
  // the end. Returns the number of flagged columns summed over the rows (as
  // recon::remove_rings counts them) and fills `masks` (one per row) when given. Throws
  // BadData when a sample is NaN or infinite (the sinograms are then left part-processed) and
  // what the host detectors throw (BadData for fewer than 5 columns).
  std::size_t run(float* d_sinos, std::size_t rows, void* stream,
                  std::vector<StripeMasks>* masks = nullptr);

  // Upload, run, download, in batches of max_rows on the remover's own stream: for tests.
  // `out` may be `in`.
  std::size_t run_host(HostView<const float, 3> in, HostView<float, 3> out,
                       std::vector<StripeMasks>* masks = nullptr);

  // Seconds the device spent on ring removal in the last call (CUDA events; the transfers of
  // run_host are not included).
  double last_seconds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::cuda
