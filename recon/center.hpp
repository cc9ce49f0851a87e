// Centre of rotation: measured once per scan, logged, saved with the outputs and overridable
// (docs/architecture.md principle 4). Centres are detector columns from the centre of column
// 0, unbinned; see docs/centre.md for the methods, defaults and accuracy.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recon/ndimage.hpp"

namespace xct::recon {

// Metric values of a search, one per candidate centre (full-resolution columns).
struct CenterCurve {
  std::vector<double> centres;
  std::vector<double> metrics;
};

struct CenterResult {
  double centre = 0;       // detector columns from the centre of column 0
  std::string method;      // "vo" or "phase_correlation"
  CenterCurve coarse;      // Vo: integer candidates on the (down-sampled) sinogram
  CenterCurve fine;        // Vo: sub-pixel candidates around the coarse minimum
  double vo_centre = 0;    // Vo: the fine search's minimum (Algotom's answer)
  bool at_edge = false;    // Vo: the coarse minimum sat at an end of the search range
  double range_start = 0;  // the range searched (full-resolution columns)
  double range_stop = 0;
};

// Vo's method (Opt. Express 22, 19078, 2014) as Algotom's find_center_vo.
struct CenterVoParams {
  // Search range; unset picks [n_cols / 4, 3 n_cols / 4], the centres at which the flipped
  // sinogram overlaps the original by at least half the width. Must lie in [0, n_cols - 1].
  std::optional<double> start, stop;
  double step = 0.25;      // fine-search step in columns
  double radius = 4.0;     // fine search covers the coarse minimum +- radius
  double ratio = 0.5;      // object width over the sinogram width (sets the double wedge)
  bool downsample = true;  // Algotom's dsp: coarse search on a block-averaged sinogram
  std::optional<int> hor_drop, ver_drop;  // mask rows / columns dropped around DC
  // Refine Algotom's answer below the step from the fine curve itself: a parabola through the
  // minimum of each group of candidates that share the same sub-pixel shift, averaged
  // (docs/centre.md); false returns Algotom's fine-search minimum itself.
  bool refine = true;
  // Evaluate the metric of the candidates on CUDA device `cuda_index` (cuda/center_vo.hpp);
  // everything else stays on the CPU. The result matches the CPU's: the metrics to float
  // rounding (relative 1e-5), the same centre. Without a usable device: DeviceUnavailable.
  bool use_cuda = false;
  int cuda_index = 0;
};

// sino180: a -log (or flat-corrected) sinogram [n_angles, n_cols] over 180 degrees. Throws
// BadData for non-finite values, fewer than 2 angles or 3 columns, or a sinogram without
// structure (constant); Usage for a range outside the detector or a bad step/radius/ratio.
CenterResult find_center_vo(ConstImage sino180, const CenterVoParams& params = {});

// The metric of Vo's method at the given centres on `sino180` as it is (no denoising, no
// down-sampling): Algotom's calculate_center_metric. For tests and diagnostics.
std::vector<double> center_vo_metrics(ConstImage sino180, std::span<const double> centres,
                                      double ratio = 0.5, std::optional<int> hor_drop = {},
                                      std::optional<int> ver_drop = {});
// The same with the mask (ratio, hor_drop, ver_drop) and the device (use_cuda, cuda_index) of
// `params`; the search fields are not used.
std::vector<double> center_vo_metrics(ConstImage sino180, std::span<const double> centres,
                                      const CenterVoParams& params);

// Phase correlation of the projection at theta and the left-right flipped one at theta + pi,
// as Algotom's find_center_based_phase_correlation: optional complex gradient, normalised
// cross-power spectrum, 3-point parabolic sub-pixel peak, centre = (n_cols - 1 + tx) / 2.
// With `normalize` off it is a plain cross-correlation of the mean-removed images: the
// normalised spectrum weighs every frequency alike, so on noisy projections the noise-only
// high frequencies bury the peak (docs/centre.md); the plain correlation is led by the
// low-frequency structure of the sample.
struct CenterPcParams {
  bool flip = true;       // flip the second projection left-right
  bool gradient = true;   // correlate complex gradients rather than intensities
  bool normalize = true;  // normalised cross-power spectrum (Algotom); false: cross-correlation
};
CenterResult find_center_phase_correlation(ConstImage proj0, ConstImage proj180,
                                           const CenterPcParams& params = {});

// The pair of a scan for the phase correlation: the projection nearest theta0, and the
// projection at that angle + pi, interpolated linearly between the two projections that
// bracket it when none lies exactly there.
struct OppositePair {
  std::size_t first = 0;             // index of the projection nearest theta0
  std::size_t lower = 0, upper = 0;  // bracketing theta(first) + pi (equal when not bracketed)
  double upper_weight = 0;           // opposite = (1 - w) proj[lower] + w proj[upper]
  bool interpolated = false;         // lower != upper: the opposite is a blend
  // |angle of the opposite used - (theta(first) + pi)|: 0 when a projection lies there or
  // two bracket it; otherwise the gap to the nearest one (a half-open grid: one step).
  double mismatch_rad = 0;
};
// Throws BadData on fewer than 2 angles or non-finite angles, and when theta(first) + pi lies
// more than one angular step (the median spacing) beyond the last angle.
OppositePair select_opposite_pair(std::span<const double> angles_rad, double theta0_rad = 0.0);
// The opposite projection of `pair` from its two bracketing projections.
void blend_opposite(ConstImage proj_lower, ConstImage proj_upper, const OppositePair& pair,
                    Image out);

// Candidate centres for the try mode, start, start + step, ... up to stop (inclusive within
// rounding), each with its text name; the centre is the name parsed back, so a slice named
// "1280.25" was reconstructed at exactly 1280.25.
struct CenterTrial {
  double centre;
  std::string name;
};
std::vector<CenterTrial> center_trial_values(double start, double stop, double step);

}  // namespace xct::recon
