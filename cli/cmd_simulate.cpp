// `xct simulate OUTDIR`: raw scans of the in situ NaK | NASICON cell with exact ground truth
// (see simulate/simulate.hpp for the files it writes and docs/simulator.md for the model).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "core/error.hpp"
#include "simulate/simulate.hpp"

namespace xct::cli {

namespace {

struct SimulateCmdOptions {
  std::string out_dir;
  sim::SimulationParams p;
  std::size_t cols = 256;
  std::optional<std::size_t> rows;

  std::uint64_t seed = 1;
  std::optional<std::uint64_t> cell_seed, noise_seed, zinger_seed, defect_seed, drift_seed;
  std::string format = "hdf5";
  std::string dtype = "uint16";
  bool ideal = false, no_noise = false, no_beam = false, no_drift_i = false, no_gain = false;
  bool no_zingers = false, no_stripes = false, no_blur = false;
  std::string truth = "all";
  std::string config_file;
  bool no_previews = false;
  std::optional<double> cell_radius;
};

}  // namespace

void register_simulate(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SimulateCmdOptions>();
  sim::SimulationParams& p = o->p;
  CLI::App* cmd = app.add_subcommand("simulate",
                                     "Simulate raw scans of the in situ NaK | NASICON cell (time "
                                     "series, artefacts, ground truth)");
  cmd->add_option("OUTDIR", o->out_dir, "folder for scan_tNN.h5, truth_tNN.h5 and truth.json")
      ->required();
  cmd->add_option("--config", o->config_file,
                  "TOML file with a [simulate] table whose keys are the long flag names "
                  "(cols = 256, time-steps = 4, no-noise = true); flags override it");
  auto* g = "Scan";
  cmd->add_option("--cols", o->cols, "detector width in pixels (sets the cell's radial scale)")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--rows", o->rows, "detector height in pixels (default: --cols)")->group(g);
  cmd->add_option("--cell-height", p.cell.cell_height,
                  "rows the cell's layers span (default --rows): with --first-row, the detector "
                  "sees a band of the cell")
      ->group(g);
  cmd->add_option("--first-row", p.cell.first_row, "cell row seen by detector row 0")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--angles", p.n_angles, "projections over 180 degrees, both end points")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--time-steps", p.time_steps,
                  "scans of the same cell as the crack grows and the chip separates")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--progress", p.progress,
                  "failure state of a single scan: 0 intact, 0-1 crack growing, 1 chip cut off "
                  "(default 0.5)")
      ->group(g);
  cmd->add_option("--pixel-size", p.detector.pixel_size_um, "pixel size in um")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--energy", p.energy_kev, "beam energy in keV (recorded; attenuation is for 80)")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--axis-offset", p.axis_offset_px,
                  "rotation axis minus the detector's centre column, pixels")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--supersample", p.supersample, "sub-rays per pixel side for projections")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--format", o->format,
                  "scan format: hdf5 (Data Exchange), nexus (NXtomo, .nxs) or tiff")
      ->check(CLI::IsMember({"hdf5", "nexus", "tiff"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--dtype", o->dtype,
                  "sample type: uint16 counts, or float32 (unrounded, for exactness checks)")
      ->check(CLI::IsMember({"uint16", "float32"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--compression", p.deflate_level, "HDF5 deflate level 0-9 for frames and truth")
      ->capture_default_str()
      ->group(g);
  cmd->add_flag("--overwrite", p.overwrite, "replace existing outputs")->group(g);
  cmd->add_flag("--no-previews", o->no_previews, "no PNG pictures in OUTDIR/previews")->group(g);

  g = "Cell";
  cmd->add_option("--cell-radius", o->cell_radius,
                  "outer radius of the housing, fraction of --cols (default 0.42); every other "
                  "radius scales with it: a smaller cell leaves room for a far off-centre axis")
      ->group(g);
  cmd->add_option("--interface-voids", p.cell.interface_void_fraction,
                  "fraction of the NaK contact disc out of contact at the first step")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--bubbles", p.cell.bubbles, "gas bubbles in the NaK")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--filaments", p.cell.filaments, "Na filaments on the interface")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--crack-opening", p.cell.crack_opening_px,
                  "crack opening in pixels when the chip separates")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--crack-start", p.cell.crack_start,
                  "where the crack meets the face: inside the contact edge, fraction of --cols")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--crack-depth", p.cell.crack_depth,
                  "depth at which the crack reaches the side face, fraction of the cell height")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--chip-shift", p.cell.chip_shift_px, "how far the chip moves once cut off, px")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--drift", p.drift_px, "rigid drift between time steps, up to this many px")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--drift-deg", p.drift_deg, "and a rotation up to this many degrees")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--band", p.band_um, "band above the face for the interface void volume, um")
      ->capture_default_str()
      ->group(g);

  g = "Beam and detector";
  cmd->add_option("--flux", p.detector.flux, "flat-field counts per pixel at the beam's peak")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--flats", p.detector.n_flats, "flat frames")->capture_default_str()->group(g);
  cmd->add_option("--flats-after", p.detector.n_flats_after,
                  "flat frames taken after the projections (needs --format nexus)")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--darks", p.detector.n_darks, "dark frames")->capture_default_str()->group(g);
  cmd->add_option("--blur", p.detector.blur_sigma_px, "Gaussian detector blur sigma, pixels")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--phase-distance", p.detector.phase_distance_mm,
                  "sample-detector distance in mm for the phase-contrast edge term (0: none)")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--zingers-per-frame", p.detector.zingers_per_frame,
                  "mean zinger count per frame (projections, flats and darks)")
      ->capture_default_str()
      ->group(g);
  cmd->add_flag("--no-noise", o->no_noise, "no photon or read noise")->group(g);
  cmd->add_flag("--no-beam-profile", o->no_beam, "a uniform beam")->group(g);
  cmd->add_flag("--no-intensity-drift", o->no_drift_i, "a steady beam")->group(g);
  cmd->add_flag("--no-gain", o->no_gain, "no pixel gain or dark fixed pattern")->group(g);
  cmd->add_flag("--no-zingers", o->no_zingers, "no zingers")->group(g);
  cmd->add_flag("--no-stripes", o->no_stripes, "no stripe-making detector defects")->group(g);
  cmd->add_flag("--no-blur", o->no_blur, "no detector blur")->group(g);
  cmd->add_flag("--ideal", o->ideal,
                "every --no-* switch above: exact transmissions, quantised to counts")
      ->group(g);

  g = "Seeds and truth";
  cmd->add_option("--seed", o->seed, "seed for everything random")->capture_default_str()->group(g);
  cmd->add_option("--cell-seed", o->cell_seed, "seed for voids, bubbles, filaments, crack")
      ->group(g);
  cmd->add_option("--noise-seed", o->noise_seed, "seed for photon and read noise")->group(g);
  cmd->add_option("--zinger-seed", o->zinger_seed, "seed for zingers")->group(g);
  cmd->add_option("--defect-seed", o->defect_seed, "seed for stripes and pixel gain")->group(g);
  cmd->add_option("--drift-seed", o->drift_seed, "seed for the drift between steps")->group(g);
  cmd->add_option("--truth-supersample", p.truth_supersample,
                  "sub-rays per voxel side for the attenuation truth")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--truth", o->truth,
                  "truth volumes: all (labels and attenuation), labels, or none (truth.json "
                  "always)")
      ->check(CLI::IsMember({"all", "labels", "none"}))
      ->capture_default_str()
      ->group(g);

  cmd->callback([o, &ctx, cmd]() {
    if (!o->config_file.empty()) apply_config_table(*cmd, o->config_file, "simulate", true);
    sim::SimulationParams& p = o->p;
    p.cell.n_cols = o->cols;
    p.cell.n_rows = o->rows.value_or(o->cols);

    p.cell.seed = o->cell_seed.value_or(o->seed);
    p.detector.noise_seed = o->noise_seed.value_or(o->seed);
    p.detector.zinger_seed = o->zinger_seed.value_or(o->seed);
    p.detector.defect_seed = o->defect_seed.value_or(o->seed);
    p.drift_seed = o->drift_seed.value_or(o->seed);
    p.format = o->format == "tiff"    ? sim::ScanFormat::Tiff
               : o->format == "nexus" ? sim::ScanFormat::Nexus
                                      : sim::ScanFormat::Hdf5;
    p.detector.float_counts = o->dtype == "float32";
    p.truth = o->truth != "none";
    p.previews = !o->no_previews;
    p.truth_attenuation = o->truth == "all";
    auto& d = p.detector;
    if (o->ideal || o->no_noise) d.noise = false;
    if (o->ideal || o->no_beam) d.beam_profile = false;
    if (o->ideal || o->no_drift_i) d.intensity_drift = false;
    if (o->ideal || o->no_gain) d.pixel_gain = false;
    if (o->ideal || o->no_zingers) d.zingers = false;
    if (o->ideal || o->no_stripes) d.stripes = false;
    if (o->ideal || o->no_blur) d.blur_sigma_px = 0;
    if (o->cell_radius) {
      XCT_CHECK(*o->cell_radius > 0 && *o->cell_radius <= 0.47, ErrorKind::Usage,
                "--cell-radius must lie in (0, 0.47]");
      const double scale = *o->cell_radius / p.cell.housing_outer;
      for (double* r : {&p.cell.housing_outer, &p.cell.housing_inner, &p.cell.pellet_radius,
                        &p.cell.contact_radius, &p.cell.crack_start})
        *r *= scale;
    }
    p.command = full_command(ctx.argv);
    const auto out =
        sim::simulate(p, o->out_dir, ctx.log,
                      ctx.progress_bars ? Progress::Style::Auto : Progress::Style::Silent);
    for (const auto& f : out.scans)
      std::printf("scan   %s\n", f.string().c_str());
    for (const auto& f : out.truths)
      std::printf("truth  %s\n", f.string().c_str());
    std::printf("truth  %s\n", out.truth_json.string().c_str());
    for (const auto& f : out.previews)
      std::printf("image  %s\n", f.string().c_str());
    ctx.exit_code = 0;
  });
}

}  // namespace xct::cli
