// Plain voxel operations segmentation needs beside ITK's filters: separable Gaussian smoothing
// (and its normalised form, which averages over a mask only), box dilation, radial geometry
// about the rotation axis and per-slice convex hulls. Volumes are (z, y, x), contiguous.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/array.hpp"

namespace xct::seg {

// Median over the 3 x 3 x 3 box (edges replicate): the same values as ITK's
// MedianImageFilter with radius 1, an order of magnitude faster (a median-selection network of
// min and max run over whole rows at once).
HostArray<float, 3> median3(HostView<const float, 3> image);

// Gaussian smoothing with a kernel truncated at 3 sigma (voxels); edges replicate.
HostArray<float, 3> gaussian(HostView<const float, 3> image, double sigma);

// Normalised convolution: G(image * w) / G(w) with w = 1 where `weight` is non-zero. Voxels
// whose smoothed weight is below `min_weight` get `fallback`. The smoothing of one material
// that ignores a brighter neighbour.
HostArray<float, 3> masked_gaussian(HostView<const float, 3> image,
                                    HostView<const std::uint8_t, 3> weight, double sigma,
                                    double min_weight, float fallback);

// Dilation of a mask by a (2r+1)^3 box.
HostArray<std::uint8_t, 3> dilate_box(HostView<const std::uint8_t, 3> mask, int radius);

// Dilation and erosion by the 6-neighbourhood, `iterations` times (a diamond of that radius);
// outside the volume counts as unset.
HostArray<std::uint8_t, 3> dilate6(HostView<const std::uint8_t, 3> mask, int iterations);
HostArray<std::uint8_t, 3> erode6(HostView<const std::uint8_t, 3> mask, int iterations);

// Radius of voxel (y, x) from the axis at (ax, ay).
struct Axis {
  double x = 0, y = 0;
  double radius(std::size_t yi, std::size_t xi) const;
  double angle(std::size_t yi, std::size_t xi) const;  // radians, -pi..pi
};

// Fills `out` (y, x) with the convex hull of the non-zero pixels of `slice` (pixel centres as
// points): 1 inside or on the hull, 0 elsewhere. Returns the hull's pixel count.
std::size_t fill_convex_hull(HostView<const std::uint8_t, 2> slice, HostView<std::uint8_t, 2> out);

}  // namespace xct::seg
