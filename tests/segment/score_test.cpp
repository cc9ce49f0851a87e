// Scoring against ground truth (segment/score.hpp) on label volumes built by hand whose
// overlaps are counted in the comments: Dice per label, the voids of the NaK layer only, crack
// recall and precision, volumes against truth.json, and the truth file read back as the
// simulator writes it (h5py here).
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "segment/labels.hpp"
#include "segment/score.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct::seg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::python_ok;
using test::TempDir;

// A 10 x 9 x 9 volume: slice centre (4, 4).
constexpr std::size_t kNz = 10, kNy = 9, kNx = 9;

struct Box {
  std::size_t z0, z1, y0, y1, x0, x1;
};

std::size_t paint(HostArray<std::uint8_t, 3>& a, const Box& b, std::uint8_t label) {
  for (std::size_t z = b.z0; z < b.z1; ++z)
    for (std::size_t y = b.y0; y < b.y1; ++y)
      for (std::size_t x = b.x0; x < b.x1; ++x)
        a(z, y, x) = label;
  return (b.z1 - b.z0) * (b.y1 - b.y0) * (b.x1 - b.x0);
}

TEST(Score, DicePerLabelCrackRecallPrecisionAndVolumes) {
  GroundTruth truth;
  truth.labels = HostArray<std::uint8_t, 3>({kNz, kNy, kNx}, kOutside);
  SegmentResult ours;
  ours.labels = HostArray<std::uint8_t, 3>({kNz, kNy, kNx}, kOutside);
  // NASICON: truth z 0..4 (5 x 81 = 405 voxels), ours z 0..3 (324): overlap 324;
  // Dice = 2 * 324 / (405 + 324).
  paint(truth.labels, {0, 5, 0, kNy, 0, kNx}, kNasicon);
  paint(ours.labels, {0, 4, 0, kNy, 0, kNx}, kNasicon);
  // Crack: truth 4 voxels in a row (z 2, y 4, x 2..5), ours 3 of them plus 3 others.
  paint(truth.labels, {2, 3, 4, 5, 2, 6}, kCrack);
  paint(ours.labels, {2, 3, 4, 5, 3, 6}, kCrack);
  paint(ours.labels, {1, 2, 0, 1, 0, 3}, kCrack);
  // Al only in ours: Dice 0. Chip in neither: unset.
  paint(ours.labels, {9, 10, 0, 1, 0, 1}, kAl);
  ours.crack_deficit_volume = 5.0;
  truth.crack_volume = 4.0;
  truth.chip_volume = 0.0;
  truth.contact_area_fraction = 0.8;
  Metrics metrics;
  metrics.interface.chip_voxels = 0;
  metrics.interface.contact_area_fraction = 0.7;

  const Score s = score(ours, metrics, truth);
  // NASICON: the crack voxels inside it take 4 voxels from truth's count and 6 from ours.
  const double truth_nasicon = 405 - 4, ours_nasicon = 324 - 6;
  const double both_nasicon = 324 - 6 - 1;  // ours minus its voxels where truth has the crack
                                            // (x = 2 of z 2 is NASICON in ours, crack in truth)
  ASSERT_TRUE(s.dice[kNasicon].has_value());
  EXPECT_NEAR(*s.dice[kNasicon], 2 * both_nasicon / (truth_nasicon + ours_nasicon), 1e-12);
  ASSERT_TRUE(s.dice[kCrack].has_value());
  EXPECT_NEAR(*s.dice[kCrack], 2.0 * 3 / (4 + 6), 1e-12);  // 3 shared of 4 and 6
  ASSERT_TRUE(s.dice[kAl].has_value());
  EXPECT_EQ(*s.dice[kAl], 0.0);
  EXPECT_FALSE(s.dice[kChip].has_value());
  EXPECT_FALSE(s.dice[kSodium].has_value());
  EXPECT_EQ(s.crack_truth_voxels, 4u);
  EXPECT_EQ(s.crack_voxels, 6u);
  EXPECT_NEAR(s.crack_recall, 3.0 / 4, 1e-12);
  EXPECT_NEAR(s.crack_precision, 3.0 / 6, 1e-12);
  // Volumes: crack by the deficit (5) against 4: +25 %; chip 0 against 0: no relative error.
  EXPECT_EQ(s.crack_volume.value_or(-1), 5.0);
  EXPECT_EQ(s.crack_volume_truth.value_or(-1), 4.0);
  EXPECT_NEAR(s.crack_volume_error.value_or(0), 0.25, 1e-12);
  EXPECT_EQ(s.chip_volume.value_or(-1), 0.0);
  EXPECT_FALSE(s.chip_volume_error.has_value());
  EXPECT_EQ(s.contact.value_or(-1), 0.7);
  EXPECT_EQ(s.contact_truth.value_or(-1), 0.8);
  // No NaK in the truth: no region for the voids of the NaK layer.
  EXPECT_FALSE(s.dice_voids_in_nak.has_value());
}

TEST(Score, VoidsCountOnlyInsideTheNakLayer) {
  GroundTruth truth;
  truth.labels = HostArray<std::uint8_t, 3>({kNz, kNy, kNx}, kOutside);
  SegmentResult ours;
  ours.labels = HostArray<std::uint8_t, 3>({kNz, kNy, kNx}, kOutside);
  // The NaK layer in the truth: z 3..5, a 3 x 3 patch about the slice centre (radius up to
  // sqrt 2 from (4, 4)).
  paint(truth.labels, {3, 6, 3, 6, 3, 6}, kNaK);
  // Voids inside it: truth has 2 at (4, 4, 3..4); ours has (4, 4, 4) and (4, 5, 4): 1 shared.
  paint(truth.labels, {4, 5, 4, 5, 3, 5}, kVoid);
  paint(ours.labels, {4, 5, 4, 6, 4, 5}, kVoid);
  // A large air space outside the layer (z 8..9) that ours misses: it changes the void Dice
  // but not the voids-in-NaK Dice.
  const std::size_t air = paint(truth.labels, {8, 10, 0, kNy, 0, kNx}, kVoid);
  // A void in the layer's rows but beyond its radius (corner (4, 0, 0)), found by ours only.
  paint(ours.labels, {4, 5, 0, 1, 0, 1}, kVoid);
  Metrics metrics;
  const Score s = score(ours, metrics, truth);
  ASSERT_TRUE(s.dice_voids_in_nak.has_value());
  EXPECT_NEAR(*s.dice_voids_in_nak, 2.0 * 1 / (2 + 2), 1e-12);
  ASSERT_TRUE(s.dice[kVoid].has_value());
  EXPECT_NEAR(*s.dice[kVoid], 2.0 * 1 / ((2 + air) + 3), 1e-12);
}

TEST(Score, ShapeMismatchNamesBothShapes) {
  GroundTruth truth;
  truth.labels = HostArray<std::uint8_t, 3>({4, 5, 6}, kOutside);
  SegmentResult ours;
  ours.labels = HostArray<std::uint8_t, 3>({4, 5, 7}, kOutside);
  expect_error([&] { score(ours, Metrics{}, truth); }, ErrorKind::BadData,
               {"4 x 5 x 7", "4 x 5 x 6"});
}

TEST(Score, NothingToFindCountsAsFound) {
  // Neither holds a crack: recall and precision are 1 (nothing missed, nothing wrong) and the
  // counts say why.
  GroundTruth truth;
  truth.labels = HostArray<std::uint8_t, 3>({2, 2, 2}, kNasicon);
  SegmentResult ours;
  ours.labels = HostArray<std::uint8_t, 3>({2, 2, 2}, kNasicon);
  const Score s = score(ours, Metrics{}, truth);
  EXPECT_EQ(s.crack_recall, 1.0);
  EXPECT_EQ(s.crack_precision, 1.0);
  EXPECT_EQ(s.crack_truth_voxels + s.crack_voxels, 0u);
  EXPECT_EQ(s.dice[kNasicon].value_or(0), 1.0);
  EXPECT_FALSE(s.crack_volume_truth.has_value());  // no truth.json
}

// A truth file as the simulator writes it, labels (z + y + x) mod 9, with truth.json beside.
void write_truth(const fs::path& file, const std::string& json) {
  python_ok(R"(
import sys, h5py, numpy as np
z, y, x = np.meshgrid(np.arange(3), np.arange(4), np.arange(5), indexing='ij')
with h5py.File(sys.argv[1], 'w') as f:
    f['labels'] = ((z + y + x) % 9).astype(np.uint8)
    f['attenuation'] = np.zeros((3, 4, 5), np.float32)
)",
            {file.string()});
  if (!json.empty()) std::ofstream(file.parent_path() / "truth.json") << json;
}

TEST(GroundTruthFile, ReadsLabelsStepAndTruthJson) {
  TempDir dir;
  // Two steps; the file is step 3, found by its name in "truth".
  write_truth(dir / "truth_t03.h5", R"({"time_steps": [
      {"index": 0, "truth": "truth_t00.h5", "crack": {"volume": 1.0, "depth_px": 1.0},
       "chip": {"volume": 0.0}, "contact_area_fraction": 0.9},
      {"index": 3, "truth": "truth_t03.h5", "crack": {"volume": 327.5, "depth_px": 7.5},
       "chip": {"volume": 812.25}, "contact_area_fraction": 0.845}]})");
  const GroundTruth gt = read_ground_truth(dir / "truth_t03.h5");
  EXPECT_EQ(gt.step, 3);
  ASSERT_EQ(gt.labels.extent(0), 3u);
  ASSERT_EQ(gt.labels.extent(1), 4u);
  ASSERT_EQ(gt.labels.extent(2), 5u);
  EXPECT_EQ(gt.labels(2, 3, 4), (2 + 3 + 4) % 9);
  EXPECT_EQ(gt.crack_volume.value_or(0), 327.5);
  EXPECT_EQ(gt.crack_depth_px.value_or(0), 7.5);
  EXPECT_EQ(gt.chip_volume.value_or(0), 812.25);
  EXPECT_EQ(gt.contact_area_fraction.value_or(0), 0.845);
}

TEST(GroundTruthFile, WithoutTruthJsonOnlyTheLabels) {
  TempDir dir;
  write_truth(dir / "truth_t01.h5", "");
  const GroundTruth gt = read_ground_truth(dir / "truth_t01.h5");
  EXPECT_EQ(gt.step, 1);
  EXPECT_EQ(gt.labels.size(), 3u * 4 * 5);
  EXPECT_FALSE(gt.crack_volume.has_value());
  EXPECT_FALSE(gt.contact_area_fraction.has_value());
}

TEST(GroundTruthFile, RefusesMissingAndWrongFiles) {
  TempDir dir;
  expect_error([&] { read_ground_truth(dir / "truth_t00.h5"); }, ErrorKind::InputMissing,
               {"truth_t00.h5"});
  python_ok(R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'w') as f:
    f['attenuation'] = np.zeros((2, 2, 2), np.float32)
with h5py.File(sys.argv[2], 'w') as f:
    f['labels'] = np.zeros((2, 2, 2), np.float32)
)",
            {(dir / "nolabels.h5").string(), (dir / "float.h5").string()});
  expect_error([&] { read_ground_truth(dir / "nolabels.h5"); }, ErrorKind::BadData,
               {"nolabels.h5", "/labels"});
  expect_error([&] { read_ground_truth(dir / "float.h5"); }, ErrorKind::BadData,
               {"float.h5", "float32"});
  // A damaged truth.json beside the file is bad data, not silently ignored.
  write_truth(dir / "truth_t00.h5", "{ not json");
  expect_error([&] { read_ground_truth(dir / "truth_t00.h5"); }, ErrorKind::BadData,
               {"truth.json"});
}

}  // namespace
}  // namespace xct::seg
