// The ITK filters segmentation uses, behind plain xct arrays (z, y, x): no ITK type leaves
// segment/itk_*.cpp. Every image is handled in unit spacing (voxels), so ITK's time steps and
// scales need no physical units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/array.hpp"

namespace xct::seg::itk {

// Sets ITK's thread count (0: all cores).
void set_threads(int threads);

// 3-D median over a (2r+1)^3 box.
HostArray<float, 3> median(HostView<const float, 3> image, int radius);

// Curvature anisotropic diffusion, unit spacing, time step 0.0625 (stable in 3-D).
HostArray<float, 3> curvature_diffusion(HostView<const float, 3> image, int iterations,
                                        double conductance);

// Black top-hat (grey closing minus the image) with a (2r+1)^3 box: dark features narrower
// than the box, measured as their depth below their surroundings.
HostArray<float, 3> black_top_hat(HostView<const float, 3> image, int radius);

// Multi-scale Hessian plate objectness (ObjectDimension 2) for dark plates, in [0, 1], the
// maximum over the sigmas (voxels, scale-normalised Hessian). `gamma` is the structureness
// scale in image units: about a quarter of the plate's contrast.
HostArray<float, 3> dark_plate_objectness(HostView<const float, 3> image,
                                          const std::vector<double>& sigmas, double gamma);

// Multi-Otsu thresholds of a histogram of `counts` over bins of width `bin_width` starting at
// `low`: returns `n` thresholds (values) in increasing order.
std::vector<double> multi_otsu(const std::vector<double>& counts, double low, double bin_width,
                               int n, bool valley_emphasis);

// Connected components of a mask (non-zero), relabelled 1..n by decreasing size; `sizes[i]` is
// the voxel count of component i + 1.
struct Components {
  HostArray<std::uint32_t, 3> ids;
  std::vector<std::size_t> sizes;
};
Components connected_components(HostView<const std::uint8_t, 3> mask, bool fully_connected);

// Euclidean distance (voxels) from each voxel inside the mask to the nearest voxel outside it;
// 0 outside (Maurer).
HostArray<float, 3> inside_distance(HostView<const std::uint8_t, 3> mask);

// Splits the mask's objects where they touch: morphological watershed on the negated distance
// map with h-minima depth `h` (voxels). Returns object ids 1..n inside the mask (0 outside),
// watershed lines given to the neighbouring object.
Components split_touching(HostView<const std::uint8_t, 3> mask, double h);

}  // namespace xct::seg::itk
