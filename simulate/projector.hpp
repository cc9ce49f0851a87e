// Parallel-beam projections of a scene by exact line integrals (never by projecting a voxel
// volume). Geometry, matching the reconstruction convention of docs/architecture.md: a point
// (x, y) of a slice, in pixels from the rotation axis with y growing with the slice's row
// index, lands at detector column  u = x cos(theta) - y sin(theta) + centre,  and slice z is
// detector row z.
#pragma once

#include <cstddef>
#include <vector>

#include "simulate/cell.hpp"

namespace xct::sim {

struct ProjectionGeometry {
  std::size_t n_rows = 0, n_cols = 0;
  double centre = 0;  // detector column of the rotation axis (0 = centre of column 0)
  double pixel_size_um = 1.3;
  int supersample = 1;  // sub-rays per pixel along each detector axis
};

// The ray through detector position (u, v) (fractional column and row) at angle theta.
Ray detector_ray(const ProjectionGeometry& g, double theta, double u, double v);

// One projection at angle theta of the scene in the given pose. `transmission` receives
// exp(-integral of mu) averaged over each pixel's sub-rays (n_rows x n_cols); `delta`, when not
// null, the mean line integral of delta in pixels (for the phase-contrast term).
void project(const Scene& scene, const Pose& pose, const ProjectionGeometry& g, double theta,
             float* transmission, float* delta = nullptr);

// The line integral of mu (dimensionless, mu x length) along the single ray through the pixel
// centre (column u, row v): the quantity -log of a noise-free, flat-field-corrected projection.
double line_integral(const Scene& scene, const Pose& pose, const ProjectionGeometry& g,
                     double theta, double u, double v);

}  // namespace xct::sim
