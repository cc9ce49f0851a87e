// Filtered back-projection of parallel-beam sinograms on the CPU: the reference back-projector
// for `xct recon` and the slices of the centre "try" mode.
//
// Geometry (docs/architecture.md): the n x n slice [y, x] is centred on the rotation axis;
// pixel (r, q) lies at x = q - (n-1)/2, y = r - (n-1)/2 pixels from the axis and projects at
// angle theta onto detector column s = x cos(theta) - y sin(theta) + centre. Values are in
// attenuation per detector pixel (mu x pixel size), the same units as Algotom.
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
  // Smoothing window over the ramp filter (recon/windows.hpp names: hann, hamming, blackman,
  // nuttall, bartlett, triang, parzen, or "none").
  std::string filter = "hann";
  // Edge padding on each side of every row before filtering; -1 picks Algotom's
  // min(int(0.15 n_cols), 150).
  int pad_cols = -1;
  // Output slice size n (n x n); 0 picks n_cols.
  std::size_t size = 0;
  // Circle mask: pixels farther than mask_ratio * n / 2 from the slice centre are set to 0;
  // a negative value leaves the slice unmasked.
  double mask_ratio = -1.0;
};

// Per-angle integration weights (radians) for angles covering 180 degrees in any order: half
// the angular distance between each projection's two neighbours, the first and last wrapping
// around through pi. An inclusive grid 0..pi gives its two end projections half a step each,
// a half-open grid k pi / N gives pi / N to every projection. Throws BadData on fewer than two
// angles, non-finite angles, or repeated angles.
std::vector<double> fbp_angle_weights(std::span<const double> angles_rad);

// Ramp filter of every row of a -log sinogram [n_angles, n_cols] into `filtered` (the same
// shape), edge-padded, windowed, in float32. Does not depend on the centre.
void fbp_filter(ConstImage sinogram, Image filtered, const FbpParams& params = {});

// Back-projects a filtered sinogram at one centre into `slice` [n, n] (any n), weighting each
// angle by fbp_angle_weights and applying params.mask_ratio. Linear interpolation between
// detector samples; positions outside [0, n_cols - 1] contribute nothing.
void fbp_back_project(ConstImage filtered, std::span<const double> angles_rad, double centre,
                      Image slice, const FbpParams& params = {});

// Filter + back-project one slice (size params.size, default n_cols).
HostArray<float, 2> fbp_reconstruct(ConstImage sinogram, std::span<const double> angles_rad,
                                    double centre, const FbpParams& params = {});

// The try mode: filters once, then back-projects at every centre in turn and hands each slice
// to `sink(index, centre, slice)`; the slice buffer is reused between calls.
using FbpSliceSink = std::function<void(std::size_t index, double centre, ConstImage slice)>;
void fbp_reconstruct_centres(ConstImage sinogram, std::span<const double> angles_rad,
                             std::span<const double> centres, const FbpParams& params,
                             const FbpSliceSink& sink);

}  // namespace xct::recon
