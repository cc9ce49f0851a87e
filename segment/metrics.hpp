// What scientists measure in a segmented cell: per-label and per-void shape statistics, and
// the interface and failure metrics (contact, voids near the interface, crack, chip).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/array.hpp"
#include "segment/segment.hpp"

namespace xct::seg {

// Shape of one label or one object. Lengths in um, the voxel size from MeasureParams;
// centroid and bounding box in voxels (z, y, x), the box as first and one-past-last index.
struct ShapeStats {
  int label = 0;         // Label value (for a void: kVoid)
  std::uint32_t id = 0;  // object id (voids), 0 for a whole label
  std::size_t voxels = 0;
  double volume_um3 = 0;
  double surface_area_um2 = 0;        // of the object's boundary
  double equivalent_diameter_um = 0;  // of the sphere of the same volume
  std::array<double, 3> centroid{};   // voxels (z, y, x)
  std::array<std::size_t, 3> box_begin{}, box_end{};
};

struct VoidBand {
  double distance_um = 0;  // from the NASICON surface, into the NaK side
  double void_volume_um3 = 0;
  double void_fraction = 0;  // gas / (gas + NaK) in the band
};

struct InterfaceMetrics {
  // Share of the pellet's top face (NASICON faces towards NaK or gas, above the pellet) that
  // touches NaK rather than gas.
  double contact_area_fraction = 0;
  double contact_area_um2 = 0, face_area_um2 = 0;
  std::vector<VoidBand> bands;  // 5, 10 and 20 um by default
  // Crack.
  std::size_t crack_voxels = 0;
  double crack_volume_um3 = 0;       // grey-level deficit (SegmentResult)
  double crack_depth_um = 0;         // deepest crack voxel below the pellet's top face
  double crack_penetration_um = 0;   // deepest crack voxel from the nearest pellet surface
  double crack_area_um2 = 0;         // sheet area: half the crack label's surface
  double crack_mean_opening_um = 0;  // deficit volume / sheet area
  // Chip.
  std::size_t chip_count = 0;
  std::size_t chip_voxels = 0;
  double chip_volume_um3 = 0;
};

struct Metrics {
  std::vector<ShapeStats> labels;  // one per label present (0 excluded)
  std::vector<ShapeStats> voids;   // one per void id of SegmentResult::void_ids
  InterfaceMetrics interface;
};

struct MeasureParams {
  double voxel_size_um = 1.3;
  std::vector<double> band_um = {5, 10, 20};
  int threads = 0;
};

Metrics measure(const SegmentResult& result, const MeasureParams& params);

}  // namespace xct::seg
