// Issue #8's accuracy targets for seg::segment, scored by seg::score against the simulator's
// exact truth, on the phantom of tests/segment/phantom.hpp: the cell's attenuation truth
// (224^3 voxels) blurred by the detector's point spread and given band-passed noise of
// 0.5 /cm, the raw-FBP noise of segmentation-notes.md §1.3 at projection SNR 100 and 3001
// views (NaK against gas: a contrast-to-noise ratio of 0.45 per voxel). Three cell seeds, the
// crack growing (progress 0.6: 1.5 voxels open, Na in it) and the chip cut off (progress 1:
// NaK in the crack and the gap); a strong ring-artefact shell just inside the pellet's rim; an
// intact pellet.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>

#include "core/logger.hpp"
#include "segment/labels.hpp"
#include "segment/metrics.hpp"
#include "segment/score.hpp"
#include "segment/segment.hpp"
#include "tests/segment/phantom.hpp"

namespace xct::seg {
namespace {

// The issue's targets.
constexpr double kMinDiceNaK = 0.95;
constexpr double kMinDiceNasicon = 0.95;
constexpr double kMinDiceVoids = 0.80;  // label 1: every gas voxel inside the cell
constexpr double kMinCrackRecall = 0.9;
constexpr double kMinCrackPrecision = 0.8;
constexpr double kMaxCrackVolumeError = 0.10;  // relative: grey-level deficit against truth
constexpr double kMaxChipVolumeError = 0.10;   // relative
// The small voids of the NaK layer alone (interface caps and bubbles, 4-10 voxels in radius
// here, the weakest contrast in the cell): measured 0.78-0.85 over these cases.
constexpr double kMinDiceVoidsInNaK = 0.75;
// A ring shell may leave at most this share of its voxels labelled crack.
constexpr double kMaxRingCrackFraction = 0.01;
// An intact pellet: at most this many crack voxels (a few noise pieces of the smallest size
// kept, SegmentParams::min_crack_voxels = 30), against 2200 in the growing crack.
constexpr std::size_t kMaxFalseCrackVoxels = 100;

constexpr std::size_t kSize = 224;     // voxels a side
constexpr double kNoise = 0.5;         // 1/cm
constexpr double kGrowingCrack = 0.6;  // crack 60 % of its way down
constexpr double kChipCutOff = 1.0;

struct Case {
  std::uint64_t seed;
  double progress;
};

struct CaseRun {
  test::Phantom phantom;
  SegmentResult result;
  Metrics metrics;
  Score score;
};

CaseRun run_case(const test::PhantomParams& pp) {
  CaseRun r;
  r.phantom = test::make_phantom(pp);
  NullLogger log;
  SegmentParams params;
  params.voxel_size_um = r.phantom.voxel_size_um;
  r.result = segment(r.phantom.volume.cview(), params, log);
  MeasureParams mp;
  mp.voxel_size_um = r.phantom.voxel_size_um;
  r.metrics = measure(r.result, mp);
  GroundTruth truth;
  truth.labels = r.phantom.labels.clone();
  truth.crack_volume = r.phantom.metrics.crack_volume;
  truth.chip_volume = r.phantom.metrics.chip_volume;
  truth.contact_area_fraction = r.phantom.metrics.contact_area_fraction;
  r.score = score(r.result, r.metrics, truth);
  const auto& s = r.score;
  std::printf(
      "seed %llu progress %.1f: dice NaK %.4f NASICON %.4f voids %.4f voids-in-NaK %.4f | "
      "crack recall %.3f precision %.3f (voxel-exact %.3f %.3f) volume %+.1f %% | chip %s | "
      "%.1f s\n",
      static_cast<unsigned long long>(pp.seed), pp.progress, s.dice[kNaK].value_or(0),
      s.dice[kNasicon].value_or(0), s.dice[kVoid].value_or(0), s.dice_voids_in_nak.value_or(0),
      s.crack_recall_1vox, s.crack_precision_1vox, s.crack_recall, s.crack_precision,
      100 * s.crack_volume_error.value_or(0),
      s.chip_volume_error ? (std::to_string(100 * *s.chip_volume_error) + " %").c_str() : "-",
      r.result.seconds);
  return r;
}

class SegmentTargets : public ::testing::TestWithParam<Case> {};

TEST_P(SegmentTargets, MeetsTheIssueTargets) {
  test::PhantomParams pp;
  pp.n = kSize;
  pp.seed = GetParam().seed;
  pp.progress = GetParam().progress;
  pp.noise_sigma = kNoise;
  const CaseRun r = run_case(pp);
  const Score& s = r.score;
  ASSERT_TRUE(s.dice[kNaK] && s.dice[kNasicon] && s.dice[kVoid] && s.dice_voids_in_nak);
  EXPECT_GE(*s.dice[kNaK], kMinDiceNaK);
  EXPECT_GE(*s.dice[kNasicon], kMinDiceNasicon);
  EXPECT_GE(*s.dice[kVoid], kMinDiceVoids);
  EXPECT_GE(*s.dice_voids_in_nak, kMinDiceVoidsInNaK);
  ASSERT_GT(s.crack_truth_voxels, 0u);
  EXPECT_GE(s.crack_recall_1vox, kMinCrackRecall);
  EXPECT_GE(s.crack_precision_1vox, kMinCrackPrecision);
  ASSERT_TRUE(s.crack_volume_error.has_value());
  EXPECT_LE(std::abs(*s.crack_volume_error), kMaxCrackVolumeError);
  if (GetParam().progress >= 1.0) {
    ASSERT_TRUE(s.chip_volume_error.has_value());
    EXPECT_LE(std::abs(*s.chip_volume_error), kMaxChipVolumeError);
    EXPECT_EQ(r.metrics.interface.chip_count, 1u);
  } else {
    EXPECT_EQ(r.metrics.interface.chip_voxels, 0u) << "no chip before the crack cuts one off";
  }
}

INSTANTIATE_TEST_SUITE_P(SeedsAndStages, SegmentTargets,
                         ::testing::Values(Case{1, kGrowingCrack}, Case{2, kGrowingCrack},
                                           Case{3, kGrowingCrack}, Case{1, kChipCutOff},
                                           Case{2, kChipCutOff}, Case{3, kChipCutOff}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return "seed" + std::to_string(info.param.seed) +
                                  (info.param.progress >= 1.0 ? "_chip" : "_crack");
                         });

TEST(SegmentTargetsRing, ShellInsideThePelletRimIsNotACrack) {
  test::PhantomParams pp;
  pp.n = kSize;
  pp.seed = 1;
  pp.progress = kGrowingCrack;
  pp.noise_sigma = kNoise;
  // Four voxels inside the pellet's side face (radius 0.36 of the width), over its upper
  // two thirds, 0.8 /cm deep: as dark as an uncorrected ring, and it crosses the crack.
  const double rim = 0.36 * static_cast<double>(kSize);
  pp.rings.push_back({rim - 4, static_cast<std::size_t>(0.52 * kSize),
                      static_cast<std::size_t>(0.78 * kSize), -0.8, 0.8, 1.0});
  const CaseRun r = run_case(pp);
  std::size_t shell = 0, labelled = 0;
  const auto* m = r.phantom.ring_mask.data();
  for (std::size_t i = 0; i < r.phantom.ring_mask.size(); ++i) {
    if (!m[i] || r.phantom.labels.data()[i] == kCrack) continue;
    ++shell;
    labelled += r.result.labels.data()[i] == kCrack;
  }
  ASSERT_GT(shell, 0u);
  EXPECT_LE(static_cast<double>(labelled) / static_cast<double>(shell), kMaxRingCrackFraction);
  // The crack crossing the shell is still found and measured.
  EXPECT_GE(r.score.crack_recall_1vox, kMinCrackRecall);
  EXPECT_GE(r.score.crack_precision_1vox, kMinCrackPrecision);
  ASSERT_TRUE(r.score.crack_volume_error.has_value());
  EXPECT_LE(std::abs(*r.score.crack_volume_error), kMaxCrackVolumeError);
}

TEST(SegmentTargetsIntact, NoCrackWhereThereIsNone) {
  test::PhantomParams pp;
  pp.n = kSize;
  pp.seed = 2;
  pp.progress = 0.0;
  pp.noise_sigma = kNoise;
  const CaseRun r = run_case(pp);
  EXPECT_EQ(r.score.crack_truth_voxels, 0u);
  EXPECT_LE(r.score.crack_voxels, kMaxFalseCrackVoxels);
  EXPECT_EQ(r.metrics.interface.chip_count, 0u);
  EXPECT_GE(*r.score.dice[kNasicon], kMinDiceNasicon);
}

}  // namespace
}  // namespace xct::seg
