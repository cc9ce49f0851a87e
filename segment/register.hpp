// Rigid registration of two volumes of the same cell and resampling into the reference frame,
// for `xct track`: each time step is registered to step 0 over static structures only (a mask
// on the fixed volume), resampled into step 0's grid and segmented there.
//
// Coordinates: volumes are (z, y, x) arrays with unit voxel spacing and voxel (z, y, x) at the
// point (x, y, z); every point and vector here is (x, y, z), x first. A RigidTransform maps a
// point of the fixed (reference) volume to the same material point in the moving volume:
//   p_moving = R (p_fixed - centre) + centre + translation.
// Resampling the moving volume through it, out(p) = moving(T(p)), puts it in the fixed frame.
//
// The registration itself is ITK v4 (segment/itk_register.cpp); no ITK type appears here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "core/logger.hpp"

namespace xct::seg {

struct RigidTransform {
  std::array<double, 9> rotation{1, 0, 0, 0, 1, 0, 0, 0, 1};  // row-major, acts on (x, y, z)
  std::array<double, 3> centre{}, translation{};              // voxels, (x, y, z)

  std::array<double, 3> apply(const std::array<double, 3>& p) const;
  // The moving -> fixed map (rotation R^T, centre centre + translation, translation -translation).
  RigidTransform inverse() const;
  // This transform first, then `then`: p -> then.apply(apply(p)); keeps this one's centre.
  RigidTransform compose(const RigidTransform& then) const;
  double angle_deg() const;            // rotation angle, 0..180
  std::array<double, 3> axis() const;  // unit rotation axis (x, y, z); (0, 0, 1) when angle 0
  // Largest |apply(p) - other.apply(p)| over the 8 corners of the box
  // [0, nx-1] x [0, ny-1] x [0, nz-1] (the largest over the whole box: the difference of two
  // affine maps is largest at a corner).
  double max_displacement_difference(const RigidTransform& other,
                                     std::array<std::size_t, 3> shape_zyx) const;
  static RigidTransform identity(std::array<double, 3> centre);
  // Rotation by `angle_deg` about `axis` (normalised here), right hand.
  static RigidTransform from_axis_angle(std::array<double, 3> axis, double angle_deg,
                                        std::array<double, 3> centre,
                                        std::array<double, 3> translation);
};

struct RegisterParams {
  // Pyramid, per level from coarse to fine: subsampling factor and the Gaussian smoothing
  // applied before subsampling (voxels of the full grid; 0: none). Both stages use all levels.
  std::vector<int> shrink_factors = {4, 2, 1};
  std::vector<double> smoothing_sigmas_px = {2, 1, 0};
  // Share of the masked voxels the metric samples at each level: of the level's voxels over
  // the mask, those with the strongest fixed-image gradient (smoothed by at least one voxel),
  // each point placed at random within its voxel (drawn with `seed`) so that it sits off both
  // grids. Flat voxels add noise and no information on the pose, so taking the edges first is
  // more precise for the same work. At least 4096 points where the mask has that many, at most
  // max_samples (at 256^3 the mask's quarter would be 1.4 million points, seven times the cost
  // for a precision already far below the targets).
  double sampling_fraction = 0.25;
  std::size_t max_samples = 200000;
  int translation_iterations = 200;  // most iterations per level, translation stage
  int rigid_iterations = 300;        // most iterations per level, rigid stage
  // Optimiser steps, voxels of the full grid: the first step at a level of shrink s is
  // step_px * s; a level ends when the step has been halved below tolerance_px * s (the finest:
  // tolerance_px).
  double step_px = 0.5;
  double tolerance_px = 0.01;
  // A rotation whose standard deviation (RegisterResult::rotation_sigma_deg, estimated at the
  // finest level after the translation stage) exceeds this is not determined by the mask: the
  // rigid stage holds it at zero rather than let it drift on noise, as a guess of zero is then
  // closer than the estimate (that sigma is a lower bound, the real spread 2-3 times larger:
  // 0.2 here is about the drift expected between scans, 0.5 degree). The rotation about the
  // axis of a cylindrically symmetric mask (housing, current collector, pellet) is the case:
  // only asymmetric parts in the mask (a crack's flank) fix it, and they are small in small
  // volumes.
  double hold_sigma_deg = 0.2;
  std::uint64_t seed = 1;
  int threads = 0;  // 0: all cores
  // The registration failed when `residual` (RegisterResult) exceeds this. Two scans of the same
  // cell registered well leave 0.93..0.98 (noise alone; the cubic resampling of the moving
  // volume smooths its noise a little, hence below 1; the chip breaking off between the scans
  // adds less than 0.01). 1.2 allows a systematic misfit of 0.66 noise sigma
  // (sqrt(1.2^2 - 1)) over the mask, while a cell 14 % smaller than the reference, registered
  // as well as it goes, leaves 1.41 and a volume without the cell 2.3 (all at 128^3, noise
  // 0.5 /cm).
  double max_residual = 1.2;
  // The registration failed when less than this share of the mask maps inside the moving
  // volume: the drift between scans is a few voxels, so a result that moved the mask out of the
  // volume matched something else (the cell upside down, its pellet on the pellet, finds such a
  // match 54 voxels away and keeps 0.61 of the mask inside). A thin band of slices loses more
  // to an ordinary drift: 26 slices drifting 2 keep 0.88.
  double min_overlap = 0.75;
};

struct RegisterResult {
  RigidTransform transform;                     // fixed -> moving, as above
  double metric_initial = 0, metric_final = 0;  // ITK mean squares at the finest level,
                                                // identity and result (for the log)
  // Root mean square of fixed - moving resampled (Keys cubic) over the mask, full resolution,
  // in grey units, before (identity) and after registration; mask voxels that map outside the
  // moving volume are left out.
  double rms_before = 0, rms_after = 0;
  double noise_fixed = 0, noise_moving = 0;  // noise sigmas, estimate_noise_sigma()
  // rms_after / sqrt(noise_fixed^2 + noise_moving^2), the noise scale floored at 2 % of the
  // fixed volume's contrast over the mask (1st to 99th percentile) so that noise-free data
  // give a finite ratio. About 1 for a good registration; much larger when it failed.
  double residual = 0;
  double overlap = 0;  // share of the mask's voxels that map inside the moving volume
  // Standard deviations of the result from the metric's Gauss-Newton information at the finest
  // level (independent noise per voxel assumed: correlated reconstruction noise makes the real
  // spread 2 to 3 times larger): rotations about x, y, z through transform.centre, degrees
  // (a held rotation: what it would have been), and the translation, voxels.
  std::array<double, 3> rotation_sigma_deg{}, translation_sigma_px{};
  // Rotations about x, y, z that the mask did not determine (RegisterParams::hold_sigma_deg),
  // left at zero (a warning in the log says so).
  std::array<bool, 3> rotation_held{};
  bool ok = false;      // converged, overlap >= min_overlap and residual <= max_residual
  std::string message;  // why not ok, one line; empty when ok
  int iterations_translation = 0, iterations_rigid = 0;  // summed over the levels
  double seconds = 0;
};

// Registers `moving` to `fixed` (same shape or not) using only voxels where fixed_mask != 0
// (static structures only). Translation first (ITK TranslationTransform), then versor rigid
// (VersorRigid3DTransform, centre = the mask's centroid) with the rotations the mask does not
// determine held at zero (RegisterParams::hold_sigma_deg), each stage over the pyramid levels;
// RegularStepGradientDescentOptimizerv4 on MeanSquaresImageToImageMetricv4 (moving gradient:
// smoothed by one level voxel, as ITK's default gradient filter), parameter scales
// from physical shift and every step sized in voxels (the learning rate re-estimated at each
// iteration so that no voxel moves further than the current step). Deterministic for a given
// seed and thread count. Throws ErrorKind::BadData for an empty mask, a mask whose shape
// differs from the fixed volume's, non-finite values or a volume without contrast (the fixed
// one over the mask), ErrorKind::Usage for inconsistent parameters.
RegisterResult register_rigid(HostView<const float, 3> fixed, HostView<const float, 3> moving,
                              HostView<const std::uint8_t, 3> fixed_mask,
                              const RegisterParams& params, Logger& log);

// Noise sigma of a volume, from the volume itself: 1.4826 x the median absolute deviation of
// v - (mean of v over the 5^3 box around it) on a regular subset of voxels (about 10^6), boxes
// of exactly constant values (padding) left out. Edges are a minority and the MAD ignores them;
// the box mean removes the structure but hardly any of a noise correlated over a voxel or so
// (reconstruction noise), so this is the noise's full sigma within a few percent.
double estimate_noise_sigma(HostView<const float, 3> volume, int threads = 0);

// Keys cubic convolution (a = -0.5, Catmull-Rom): interpolating, so integer shifts reproduce
// samples exactly, no prefilter; edges replicate for the taps beyond the border.
enum class Interpolation { Linear, Cubic };

// out(p) = moving(t.apply(p)) on a grid of `shape_zyx`. A point is inside `moving` when each
// coordinate lies within [0, n-1] (1e-6 voxel of slack); points outside take `outside`.
// OpenMP over the output.
HostArray<float, 3> resample(HostView<const float, 3> moving, const RigidTransform& t,
                             std::array<std::size_t, 3> shape_zyx, Interpolation interp,
                             float outside, int threads = 0);
// Nearest neighbour, for label volumes: a point is inside when it rounds to a voxel of `moving`
// (each coordinate within [-0.5, n-0.5)).
HostArray<std::uint8_t, 3> resample_labels(HostView<const std::uint8_t, 3> moving,
                                           const RigidTransform& t,
                                           std::array<std::size_t, 3> shape_zyx,
                                           std::uint8_t outside, int threads = 0);

// Root mean square of fixed - moving(t(p)) over the voxels p where mask != 0 whose point maps
// inside `moving` (cubic). `count` (optional) receives how many voxels that was.
double masked_rms_difference(HostView<const float, 3> fixed, HostView<const float, 3> moving,
                             HostView<const std::uint8_t, 3> mask, const RigidTransform& t,
                             std::size_t* count = nullptr, int threads = 0);

namespace register_detail {

// Between register.cpp and itk_register.cpp only.
struct PyramidLevel {
  int shrink = 1;
  // Smoothed then subsampled: voxel i sits at the full grid's point shrink * i.
  HostArray<float, 3> fixed, moving;
  std::vector<std::array<double, 3>> samples;  // metric points, fixed frame, full-grid voxels
  // d moving / dx, dy, dz per full-grid voxel: central differences of the level smoothed by
  // one level voxel.
  std::array<HostArray<float, 3>, 3> moving_gradient;
};

struct StageOutcome {
  RigidTransform transform;
  int iterations = 0;
  bool converged = false;  // the last level ended on its step tolerance
  std::string stop;        // how the last level ended
  double value_last = 0;   // metric after the last level
};

// One stage over the levels, starting from `start` (rigid: its centre is kept; translation:
// its rotation must be the identity). `held`: rotations about x, y, z the rigid stage keeps.
StageOutcome itk_optimise(const std::vector<PyramidLevel>& levels, bool rigid,
                          const RigidTransform& start, std::array<bool, 3> held,
                          const RegisterParams& params, int max_iterations, Logger& log);
// The mean squares metric at one level for a transform.
double itk_metric_value(const PyramidLevel& level, const RigidTransform& t, int threads);

}  // namespace register_detail

}  // namespace xct::seg
