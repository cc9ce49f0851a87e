// Sub-pixel refinement of Vo's fine search (docs/centre.md), internal to recon/.
#pragma once

#include "recon/center.hpp"

namespace xct::recon {

// The refined centre from the fine search's metric curve: candidates that need the same
// fractional shift of the flipped half form smooth curves at different levels; each curve's
// minimum is refined by a least-squares parabola and the vertices are averaged.
double refine_vo_centre(const CenterCurve& fine, double n_cols);

}  // namespace xct::recon
