// The preprocessing flags shared by every command that turns raw rows into sinograms
// (`xct center`, `xct recon`): flat and dark reduction, the policies for bad pixels, zinger
// and ring removal. A config's [preprocess] table sets the same keys.
#pragma once

#include <optional>
#include <string>

#include "recon/preprocess.hpp"

namespace CLI {
class App;
}

namespace xct::cli {

struct PrepOptions {
  std::string flat_reduction = "median";
  std::string dark_reduction = "median";
  std::string bad_flat = "mean";
  std::string nonpositive = "half-count";
  bool no_flat_interpolation = false;
  bool no_zingers = false;
  double zinger_threshold = 0.08;
  bool no_zinger_frame_check = false;
  std::size_t zinger_size = 2;
  // Sorting-based by default. The detection-based methods (large, dead, all) take any
  // structure concentric with the axis, such as the housing of a cell centred on it, for a
  // stripe and flatten it (docs/recon.md); and without a detection step nothing is
  // interpolated or rescaled that could pull the two halves of a centre alignment apart
  // (docs/centre.md).
  std::string rings = "sort";
  std::optional<double> ring_snr, ring_sigma;
  std::optional<std::size_t> ring_la_size, ring_sm_size;
  std::optional<int> ring_level;
};

void add_prep_options(CLI::App& cmd, PrepOptions& opts);

// The preprocessing parameters; a usage error for unknown names.
recon::PreprocessParams resolve_prep(const PrepOptions& opts);

}  // namespace xct::cli
