#include "cli/prep_options.hpp"

#include <CLI/CLI.hpp>

#include "core/error.hpp"

namespace xct::cli {

void add_prep_options(CLI::App& cmd, PrepOptions& o) {
  const std::string g = "Preprocessing";
  cmd.add_option("--flat-reduction", o.flat_reduction, "combine flat frames by: median or mean")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--dark-reduction", o.dark_reduction, "combine dark frames by: median or mean")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--bad-flat", o.bad_flat,
                 "pixels with flat - dark <= 0: mean (use the mean denominator) or error")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--nonpositive", o.nonpositive,
                 "samples at or below the dark: half-count, one (zero attenuation) or error")
      ->capture_default_str()
      ->group(g);
  cmd.add_flag("--no-flat-interpolation", o.no_flat_interpolation,
               "use the flats taken before the scan only, even when flats after exist")
      ->group(g);
  cmd.add_flag("--no-zingers", o.no_zingers, "skip zinger removal")->group(g);
  cmd.add_option("--zinger-threshold", o.zinger_threshold,
                 "relative excess over the neighbour mean that marks a zinger")
      ->capture_default_str()
      ->group(g);
  cmd.add_flag("--no-zinger-frame-check", o.no_zinger_frame_check,
               "flag samples brighter than their 8 neighbours even when the angles next to them "
               "are as bright (Algotom's rule, which also flattens strong edges)")
      ->group(g);
  cmd.add_option("--zinger-size", o.zinger_size, "neighbour distance in pixels")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--rings", o.rings,
                 "ring removal: none, sort, filter, fit, large, dead, all, interpolation, "
                 "wavelet-fft (or Algotom's function names)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--ring-snr", o.ring_snr, "stripe detection ratio (large, dead, all)")->group(g);
  cmd.add_option("--ring-la-size", o.ring_la_size,
                 "median window for large and dead stripes, columns (default 51)")
      ->group(g);
  cmd.add_option("--ring-sm-size", o.ring_sm_size,
                 "median window for small stripes, columns (default 21)")
      ->group(g);
  cmd.add_option("--ring-sigma", o.ring_sigma, "Gaussian sigma of the filter and fit methods")
      ->group(g);
  cmd.add_option("--ring-level", o.ring_level, "wavelet-fft decomposition levels")->group(g);
}

recon::PreprocessParams resolve_prep(const PrepOptions& o) {
  recon::PreprocessParams p;
  p.flat_reduction = recon::parse_frame_reduction(o.flat_reduction);
  p.dark_reduction = recon::parse_frame_reduction(o.dark_reduction);
  p.flat.bad_flat = recon::parse_bad_flat_policy(o.bad_flat);
  p.flat.nonpositive = recon::parse_nonpositive_policy(o.nonpositive);
  p.interpolate_flats = !o.no_flat_interpolation;
  if (o.no_zingers) {
    p.zinger.reset();
  } else {
    p.zinger =
        recon::ZingerParams{o.zinger_threshold, o.zinger_size, false, !o.no_zinger_frame_check};
    XCT_CHECK(o.zinger_threshold > 0 && o.zinger_size >= 1, ErrorKind::Usage,
              "--zinger-threshold must be positive and --zinger-size at least 1");
  }
  auto& r = p.rings;
  r.method = recon::canonical_ring_method(o.rings);
  if (o.ring_snr) r.large.snr = r.dead.snr = r.all.snr = r.interpolation.snr = *o.ring_snr;
  if (o.ring_la_size)
    r.large.size = r.dead.size = r.all.la_size = r.interpolation.size = *o.ring_la_size;
  if (o.ring_sm_size) r.sorting.size = r.filtering.size = r.all.sm_size = *o.ring_sm_size;
  if (o.ring_sigma) r.filtering.sigma = r.fitting.sigma = *o.ring_sigma;
  if (o.ring_level) r.wavelet.level = *o.ring_level;
  return p;
}

}  // namespace xct::cli
