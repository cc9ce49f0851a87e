// The projections that make up one half turn (180 degrees) of a scan: what the centre search
// and a 180-degree reconstruction use from scans over 180 degrees or more.
#pragma once

#include <cstddef>
#include <span>

namespace xct::recon {

struct HalfTurn {
  std::size_t begin = 0, end = 0;  // projections [begin, end) in acquisition order
  bool decreasing = false;         // the angles run downwards
  double span_rad = 0;             // |angle(end - 1) - angle(begin)|
};

// From the first projection up to the last one within 180 degrees of it (plus half a step for
// rounding). Throws BadData with one line when there are fewer than 2 angles, when they are
// not finite or not strictly monotonic, or when they cover less than 180 degrees less one
// step (a half-open grid k * 180 / N degrees is a full half turn).
HalfTurn first_half_turn(std::span<const double> angles_rad);

}  // namespace xct::recon
