#include "cli/cmd_segment_flags.hpp"

#include <CLI/CLI.hpp>

namespace xct::cli {

void add_segmentation_flags(CLI::App& cmd, seg::SegmentParams& p, std::string& memory_budget,
                            const char* group) {
  auto* c = &cmd;
  c->add_option("--median-radius", p.median_radius, "median filter radius, voxels (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--diffusion-iterations", p.diffusion_iterations,
                "curvature anisotropic diffusion steps (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--diffusion-conductance", p.diffusion_conductance,
                "diffusion conductance in units of the noise sigma (0: 1.5)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--smooth-sigma", p.smooth_sigma_px,
                "smoothing that separates gas, NaK and Al, voxels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--max-crack-opening", p.max_crack_opening_px,
                "widest crack the top-hat resolves, voxels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--min-crack-voxels", p.min_crack_voxels, "smaller dark specks are noise")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--plate-objectness", p.plate_objectness,
                "least mean plate objectness (0-1) of a crack piece")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str()
      ->group(group);
  c->add_option("--ring-tolerance", p.ring_tolerance_px,
                "radial spread below which a dark shell is a ring artefact, voxels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--min-chip-voxels", p.min_chip_voxels, "smallest chip of NASICON, voxels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--min-void-voxels", p.min_void_voxels, "smallest void, voxels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--void-split-h", p.void_split_h_px,
                "depth of the distance-map minima that split touching voids, voxels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
  c->add_option("--memory-budget", memory_budget,
                "working memory for the filtered volumes, e.g. 4G (default: half the available "
                "memory)")
      ->group(group);
  c->add_option("--threads", p.threads, "threads (0: all cores)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(group);
}

}  // namespace xct::cli
