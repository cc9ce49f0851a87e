// Scores a segmentation against the simulator's ground truth (truth_tNN.h5 /labels and, beside
// it, truth.json).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>

#include "core/array.hpp"
#include "segment/labels.hpp"
#include "segment/metrics.hpp"

namespace xct::seg {

// The truth of one time step: labels (z, y, x) and, when truth.json is found beside the file,
// its metrics for that step (volumes in voxels).
struct GroundTruth {
  HostArray<std::uint8_t, 3> labels;
  std::optional<double> crack_volume, chip_volume, contact_area_fraction;
  std::optional<double> crack_depth_px;
  int step = 0;
};

// Reads TRUTH (an HDF5 file with /labels); throws ErrorKind::InputMissing if absent,
// ErrorKind::BadData if it holds no uint8 /labels.
GroundTruth read_ground_truth(const std::filesystem::path& file);

struct Score {
  // Dice 2|A∩B| / (|A|+|B|) per label; unset where neither holds the label.
  std::array<std::optional<double>, kLabelCount> dice{};
  // Voids inside the NaK layer only (the gas below the Al and above the pellet, between the
  // housing's walls): the small voids, apart from the big air spaces of the cell.
  std::optional<double> dice_voids_in_nak;
  // Crack voxels: recall = |truth ∩ ours| / |truth|, precision = |truth ∩ ours| / |ours|.
  double crack_recall = 0, crack_precision = 0;
  // The same within one voxel (26-neighbourhood): a truth crack voxel counts as found when a
  // crack voxel of ours is it or touches it, and the other way round. A crack one or two
  // voxels thick is placed to a fraction of a voxel only; this asks whether it is found.
  double crack_recall_1vox = 0, crack_precision_1vox = 0;
  std::size_t crack_truth_voxels = 0, crack_voxels = 0;
  // Volumes in voxels: ours (crack by grey-level deficit) against truth.json.
  std::optional<double> crack_volume_truth, crack_volume, crack_volume_error;  // error relative
  std::optional<double> chip_volume_truth, chip_volume, chip_volume_error;
  std::optional<double> contact_truth, contact;
};

// Throws ErrorKind::BadData when the shapes differ.
Score score(const SegmentResult& result, const Metrics& metrics, const GroundTruth& truth);

}  // namespace xct::seg
