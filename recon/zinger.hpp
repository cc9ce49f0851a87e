// Zinger removal as Algotom's remove_zinger (Vo et al., Opt. Express 29, 17849, 2021,
// doi:10.1364/OE.418448): a sample brighter than the mean of its eight neighbours at
// distance `size` (rows and columns, wrapping around the image edges) by more than
// `threshold` relative to that mean is replaced by the mean. Works on flat-field-corrected
// projections or sinograms, where the threshold is relative.
#pragma once

#include <cstddef>

#include "recon/ndimage.hpp"

namespace xct::recon {

struct ZingerParams {
  // Relative excess over the neighbour mean; Algotom suggests 0.05-0.1.
  double threshold = 0.08;
  std::size_t size = 2;  // neighbour distance in pixels, and the largest zinger (check_size)
  // Keep only detections whose connected region (4-connected, counted over its bounding box)
  // has at most `size` pixels.
  bool check_size = false;
  // Also require the sample to exceed the mean of the two samples `size` rows away in its own
  // column by `threshold`. On a sinogram (rows = angles) a zinger lives in one frame, while an
  // edge of the sample runs on from angle to angle: a sample on the bright side of an edge
  // exceeds its 8-neighbour mean by 3/8 of the edge's contrast, and without this check every
  // edge stronger than 8/3 x threshold is "removed" (docs/preprocessing.md). Off: Algotom.
  bool frame_check = true;
};

// Writes the corrected image to `out` (may equal `in`); returns the number of samples replaced.
std::size_t remove_zinger(ConstImage in, Image out, const ZingerParams& params = {});

}  // namespace xct::recon
