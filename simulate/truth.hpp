// Ground truth for one time step: the label volume and the partial-volume attenuation volume on
// the reconstruction grid (n_cols x n_cols slices, one per detector row, centred on the
// rotation axis: voxel (z, y, x) sits at x - (n_cols-1)/2, y - (n_cols-1)/2 from the axis, on
// row z), and the quantities scientists measure, computed from the geometry itself.
#pragma once

#include <cstddef>
#include <cstdint>

#include "simulate/cell.hpp"

namespace xct::sim {

// Labels at voxel centres (found along rays through the centres) and mean attenuation in 1/cm
// over each voxel: exact along x, averaged over supersample^2 sub-rays in y and z.
// `labels` and `mu` are n_cols x n_cols (y, x); either may be null.
void truth_slice(const Scene& scene, const Pose& pose, std::size_t n_cols, std::size_t z,
                 int supersample, std::uint8_t* labels, float* mu);

// Measured in the cell's own frame, so rigid drift does not change them. Volumes in voxels
// (pixel^3), lengths in pixels.
struct StepMetrics {
  double crack_volume = 0;
  double crack_depth = 0;  // deepest crack point below the pellet's top face
  double chip_volume = 0;
  // Share of the contact disc on the pellet's face touching metal (NaK or Na) rather than
  // gas; areas covered by the crack mouth or the chip count as neither.
  double contact_area_fraction = 1;
  double interface_void_volume = 0;  // gas within `band` above the face, inside the contact disc
  double band = 0;
  double void_volume_in_nak = 0;  // all gas inside the NaK layer's cylinder
  double sodium_volume = 0;       // Na filaments
};

// `fine` samples per pixel in each direction across the rays (the rays are exact along x).
StepMetrics measure(const Cell& cell, const CellParams& params, double band_px, int fine = 8);

}  // namespace xct::sim
