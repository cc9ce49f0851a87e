// Filtered back-projection of parallel-beam sinograms on the CPU: the reference back-projector
// for `xct recon` and the slices of the centre "try" mode.
//
// Geometry (docs/architecture.md): the n x n slice [y, x] is centred on the rotation axis;
// pixel (r, q) lies at x = q - (n-1)/2, y = r - (n-1)/2 pixels from the axis and projects at
// angle theta onto detector column s = x cos(theta) - y sin(theta) + centre. Values are in
// attenuation per detector pixel (mu x pixel size), the same units as Algotom.
//
// Filters, padding, the slab kernel and its speed: docs/centre.md.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "recon/ndimage.hpp"

namespace xct::recon {

struct FbpParams {
  // The filter: the ramp (Ram-Lak) times a smoothing window. "ram-lak" (alias "none"): the
  // ramp alone; "shepp-logan": sinc(f/2); "cosine": cos(pi f / 2); "butterworth":
  // 1 / (1 + (f / butterworth_cutoff)^(2 butterworth_order)), f the frequency as a fraction of
  // Nyquist (0..1). "hann", "hamming", "parzen", "blackman", "nuttall", "bartlett", "triang":
  // SciPy's window of the padded width centred on DC, as Algotom (fbp_filter_window).
  std::string filter = "hann";
  int butterworth_order = 2;
  double butterworth_cutoff = 0.5;  // fraction of Nyquist
  // Padding on each side of every row before filtering; -1 picks Algotom's
  // min(int(0.15 n_cols), 150).
  int pad_cols = -1;
  // "edge" repeats the first and last samples; "zero" pads with zeros.
  std::string padding = "edge";
  // Rounds the padded width n_cols + 2 pad_cols up to the next 2^a 3^b 5^c 7^d length, the
  // extra samples on the right; off gives Algotom's width exactly.
  bool fft_friendly = true;
  // Output slice size n (n x n); 0 picks n_cols.
  std::size_t size = 0;
  // Circle mask: pixels farther than mask_ratio * n / 2 from the slice centre are set to 0;
  // a negative value leaves the slice unmasked.
  double mask_ratio = -1.0;
};

// Every accepted `FbpParams::filter` name, for help texts and validation.
std::vector<std::string> fbp_filter_names();

// Where a row of n_cols samples sits in its padded row: `left` samples before it, `padded` =
// n_cols + 2 left, and `width` in all (the transform length: padded, or with fft_friendly the
// next 2^a 3^b 5^c 7^d length). Throws Usage for a bad padding name or pad_cols < -1.
struct FbpPadding {
  std::size_t left = 0, padded = 0, width = 0;
};
FbpPadding fbp_padding(std::size_t n_cols, const FbpParams& params);

// The smoothing window of params.filter on the half spectrum of a padded row of `width`
// samples: element k (0..width/2) is the gain at frequency f = 2k / width of Nyquist. Throws
// Usage for an unknown filter name, a Butterworth order < 1 or a cutoff <= 0.
std::vector<double> fbp_filter_window(std::size_t width, const FbpParams& params);

// The whole filter on the same half spectrum: the DFT of the band-limited discrete ramp kernel
// h(0) = 1/4, h(odd n) = -1/(pi n)^2, h(even n) = 0 (about k / width for k > 0) times
// fbp_filter_window. The inverse transform's 1/width is not included.
std::vector<double> fbp_filter_response(std::size_t width, const FbpParams& params);

// Per-angle integration weights (radians) for angles covering 180 degrees in any order: half
// the angular distance between each projection's two neighbours, the first and last wrapping
// around through pi. An inclusive grid 0..pi gives its two end projections half a step each,
// a half-open grid k pi / N gives pi / N to every projection. Throws BadData on fewer than two
// angles, non-finite angles, or repeated angles.
std::vector<double> fbp_angle_weights(std::span<const double> angles_rad);

// Ramp filter of every row of a -log sinogram [n_angles, n_cols] into `filtered` (the same
// shape), padded, windowed, in float32. Does not depend on the centre.
void fbp_filter(ConstImage sinogram, Image filtered, const FbpParams& params = {});

// Back-projects a filtered sinogram at one centre into `slice` [n, n] (any n), weighting each
// angle by fbp_angle_weights and applying params.mask_ratio. Linear interpolation between
// detector samples; positions outside [0, n_cols - 1] contribute nothing.
void fbp_back_project(ConstImage filtered, std::span<const double> angles_rad, double centre,
                      Image slice, const FbpParams& params = {});

// Filter + back-project one slice (size params.size, default n_cols).
HostArray<float, 2> fbp_reconstruct(ConstImage sinogram, std::span<const double> angles_rad,
                                    double centre, const FbpParams& params = {});

// Reconstructs each sinogram of sinograms [n_rows, n_angles, n_cols] (-log, unfiltered)
// into slices [n_rows, n, n]; centres has one entry per row or a single entry for all.
// params.size must be 0 or n. Runs of up to 8 consecutive rows with the same centre share
// every detector position; each slice equals fbp_reconstruct of its row to float rounding
// (bit for bit on x86-64). The bytes do not depend on the thread count.
void fbp_reconstruct_slab(HostView<const float, 3> sinograms, std::span<const double> angles_rad,
                          std::span<const double> centres, const FbpParams& params,
                          HostView<float, 3> slices);

// Bytes of working memory fbp_reconstruct_slab needs beyond its inputs and outputs for a slab
// of n_rows (so that a caller can size slabs to a memory budget); include per-thread buffers.
// An upper bound for pad_cols <= n_cols (the default pads at most 0.15 n_cols), not counting
// the process-wide FFTW plan cache; it does not grow past 8 rows, as groups of at most 8 rows
// are filtered and back-projected one after the other.
std::size_t fbp_slab_work_bytes(std::size_t n_rows, std::size_t n_angles, std::size_t n_cols,
                                std::size_t n, int n_threads);

// The try mode: filters once, then back-projects at every centre in turn and hands each slice
// to `sink(index, centre, slice)`; the slice buffer is reused between calls.
using FbpSliceSink = std::function<void(std::size_t index, double centre, ConstImage slice)>;
void fbp_reconstruct_centres(ConstImage sinogram, std::span<const double> angles_rad,
                             std::span<const double> centres, const FbpParams& params,
                             const FbpSliceSink& sink);

}  // namespace xct::recon
