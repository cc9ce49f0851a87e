// `xct segment INPUT`: one reconstructed volume of the NaK | NASICON cell into labels, shape
// and interface metrics, tables and overlays (segment/), optionally scored against the
// simulator's ground truth. The output folder receives the labels, labels.csv, voids.csv,
// overlay PNGs, the resolved config (config.toml) and, last, metrics.json: the marker of a
// finished run.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cmd_segment_flags.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "cli/sizes.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/stopwatch.hpp"
#include "core/version.hpp"
#include "segment/labels.hpp"
#include "segment/metrics.hpp"
#include "segment/outputs.hpp"
#include "segment/score.hpp"
#include "segment/segment.hpp"
#include "segment/volume_io.hpp"

namespace fs = std::filesystem;

namespace xct::cli {

namespace {

const char* const kInputGroup = "Input";
const char* const kSegmentGroup = "Segmentation";
const char* const kOutputGroup = "Output";
const char* const kScoreGroup = "Scoring";

struct SegmentCmdOptions {
  std::string input;
  std::string config_file;
  // Input.
  std::string dataset, roi;
  std::optional<double> voxel_size;
  // Segmentation.
  seg::SegmentParams p;
  std::string cylinder, axis, memory_budget, bands = "5,10,20";
  // Output.
  std::string out, save_format = "tiff";
  bool overwrite = false, no_overlays = false;
  // Scoring.
  std::string score;
};

// "A,B" or "A,B,C": exactly `n` finite numbers.
std::vector<double> parse_numbers(const std::string& text, std::size_t n, const char* flag,
                                  const char* form) {
  std::vector<double> v;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double d = std::strtod(item.c_str(), &end);
    XCT_CHECK(!item.empty() && end == item.c_str() + item.size() && std::isfinite(d),
              ErrorKind::Usage, flag, " '", text, "' is not ", form);
    v.push_back(d);
  }
  XCT_CHECK(n == 0 ? !v.empty() : v.size() == n, ErrorKind::Usage, flag, " '", text, "' is not ",
            form);
  return v;
}

fs::path abs_input(const std::string& input) {
  fs::path p = fs::absolute(input).lexically_normal();
  return p.has_filename() ? p : p.parent_path();
}

// INPUT's name + "_seg" beside it: vol_rec/ -> vol_rec_seg, recon.h5 -> recon_seg.
fs::path default_out(const std::string& input) {
  const fs::path p = abs_input(input);
  std::error_code ec;
  const std::string name = fs::is_directory(p, ec) ? p.filename().string() : p.stem().string();
  return p.parent_path() / (name + "_seg");
}

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// The scores as aligned lines on stdout.
void print_score(const seg::Score& s, const fs::path& truth, int step) {
  std::printf("score    %s (step %d)\n", truth.string().c_str(), step);
  for (int l = 0; l < seg::kLabelCount; ++l) {
    const auto& d = s.dice[static_cast<std::size_t>(l)];
    if (d) std::printf("  dice %-16s %8.4f\n", std::string(seg::label_name(l)).c_str(), *d);
  }
  std::printf("  dice %-16s %8s\n", "voids in NaK",
              s.dice_voids_in_nak ? fixed(*s.dice_voids_in_nak, 4).c_str() : "-");
  const auto both_r = std::llround(s.crack_recall * static_cast<double>(s.crack_truth_voxels));
  const auto both_p = std::llround(s.crack_precision * static_cast<double>(s.crack_voxels));
  std::printf("  %-21s %8.4f  (%lld of %zu truth voxels)\n", "crack recall", s.crack_recall,
              s.crack_truth_voxels > 0 ? both_r : 0LL, s.crack_truth_voxels);
  std::printf("  %-21s %8.4f  (%lld of %zu voxels found)\n", "crack precision", s.crack_precision,
              s.crack_voxels > 0 ? both_p : 0LL, s.crack_voxels);
  std::printf("  %-21s %8.4f\n", "crack recall 1 vox", s.crack_recall_1vox);
  std::printf("  %-21s %8.4f\n", "crack precision 1 vox", s.crack_precision_1vox);
  auto volume_line = [](const char* what, const std::optional<double>& ours,
                        const std::optional<double>& truth, const std::optional<double>& err) {
    std::printf("  %-21s %8s  truth %8s  voxels, error %s\n", what,
                ours ? fixed(*ours, 1).c_str() : "-", truth ? fixed(*truth, 1).c_str() : "-",
                err ? ((*err >= 0 ? "+" : "") + fixed(100.0 * *err, 1) + " %").c_str() : "-");
  };
  volume_line("crack volume", s.crack_volume, s.crack_volume_truth, s.crack_volume_error);
  volume_line("chip volume", s.chip_volume, s.chip_volume_truth, s.chip_volume_error);
  std::printf("  %-21s %8s  truth %8s\n", "contact fraction",
              s.contact ? fixed(*s.contact, 4).c_str() : "-",
              s.contact_truth ? fixed(*s.contact_truth, 4).c_str() : "-");
}

// The truth for the segmented region: the whole truth when it has the volume's shape, its
// ROI part when it has the input's full shape (then truth.json's whole-volume figures no
// longer apply); any other shape is bad data.
seg::GroundTruth truth_for(seg::GroundTruth gt, const fs::path& file, const seg::Roi& roi,
                           const seg::VolumeInfo& info, Logger& log) {
  const auto roi_shape = roi.shape();
  const auto& s = gt.labels.shape();
  const std::array<std::size_t, 3> full = {info.nz, info.ny, info.nx};
  if (s == roi_shape) return gt;
  XCT_CHECK(s == full, ErrorKind::BadData, "the ground truth ", file.string(), " is ", s[0], " x ",
            s[1], " x ", s[2], " voxels (z, y, x) but the volume segmented is ", roi_shape[0],
            " x ", roi_shape[1], " x ", roi_shape[2], ": score against the truth of this volume");
  HostArray<std::uint8_t, 3> part({roi_shape[0], roi_shape[1], roi_shape[2]});
  for (std::size_t z = 0; z < roi_shape[0]; ++z)
    for (std::size_t y = 0; y < roi_shape[1]; ++y)
      for (std::size_t x = 0; x < roi_shape[2]; ++x)
        part(z, y, x) = gt.labels(roi.z0 + z, roi.y0 + y, roi.x0 + x);
  gt.labels = std::move(part);
  gt.crack_volume.reset();
  gt.chip_volume.reset();
  gt.contact_area_fraction.reset();
  gt.crack_depth_px.reset();
  log.info("scoring the --roi part of ", file.string(),
           "; truth.json's volumes are for the whole volume and are left out");
  return gt;
}

std::string resolved_config(const CLI::App& cmd, double voxel_size_um) {
  std::ostringstream vs;
  vs.precision(10);
  vs << voxel_size_um;
  const std::map<std::string, std::string> over = {{"voxel-size", vs.str()}};
  std::ostringstream os;
  os << "# xct segment, resolved configuration (" << kGitDescribe << ", " << timestamp_now()
     << ")\n# 'xct segment INPUT --config config.toml --overwrite' reproduces this run.\n\n"
     << "[segment]\n"
     << resolved_table(cmd, kInputGroup, over) << resolved_table(cmd, kSegmentGroup, over)
     << resolved_table(cmd, kOutputGroup, over) << resolved_table(cmd, kScoreGroup, over);
  return os.str();
}

void run_segment(CLI::App& cmd, SegmentCmdOptions& o, Context& ctx) {
  if (!o.config_file.empty()) apply_config_table(cmd, o.config_file, "segment", true);
  Stopwatch clock;
  seg::SegmentParams p = o.p;
  seg::VolumeInput in;
  in.path = o.input;
  if (!o.dataset.empty()) in.dataset = o.dataset;
  if (!o.roi.empty()) in.roi = seg::parse_roi(o.roi);
  if (!o.cylinder.empty()) {
    const auto v = parse_numbers(o.cylinder, 3, "--cylinder", "CX,CY,R (voxels)");
    XCT_CHECK(v[2] > 0, ErrorKind::Usage, "--cylinder radius must be positive, not ", v[2]);
    p.cylinder = seg::Cylinder{v[0], v[1], v[2]};
  }
  if (!o.axis.empty()) {
    const auto v = parse_numbers(o.axis, 2, "--axis", "X,Y (voxels)");
    p.axis = std::array<double, 2>{v[0], v[1]};
  }
  if (!o.memory_budget.empty())
    p.memory_budget_bytes = parse_size(o.memory_budget, "--memory-budget");
  seg::MeasureParams mp;
  mp.band_um = parse_numbers(o.bands, 0, "--void-bands", "a list of distances in um (5,10,20)");
  for (double b : mp.band_um)
    XCT_CHECK(b > 0, ErrorKind::Usage, "--void-bands must be positive distances, not ", b);
  XCT_CHECK(!o.voxel_size || *o.voxel_size > 0, ErrorKind::Usage,
            "--voxel-size must be positive, not ", o.voxel_size.value_or(0));
  seg::OutputParams op;
  op.folder = o.out.empty() ? default_out(o.input) : fs::path(o.out);
  op.format = o.save_format;
  op.overwrite = o.overwrite;
  op.overlays = !o.no_overlays;
  XCT_CHECK(op.format == "tiff" || op.format == "h5", ErrorKind::Usage, "--save-format '",
            op.format, "' is not tiff or h5");

  // Fail early: a missing or unreadable input, a finished output folder.
  seg::describe_volume(in);
  std::optional<fs::path> truth_file;
  if (!o.score.empty()) {
    truth_file = fs::path(o.score);
    std::error_code ec;
    XCT_CHECK(fs::exists(*truth_file, ec), ErrorKind::InputMissing,
              "ground truth not found: ", truth_file->string());
  }
  seg::SegmentOutput output(op);

  seg::LoadedVolume vol = seg::read_volume(in);
  const seg::Roi& roi = vol.roi;
  const auto shape = roi.shape();
  seg::RunInfo run;
  run.seconds.emplace_back("read", clock.lap());
  std::optional<seg::GroundTruth> truth;
  if (truth_file) {
    truth = truth_for(seg::read_ground_truth(*truth_file), *truth_file, roi, vol.info, ctx.log);
  }
  ctx.log.info("volume ", vol.info.source.string(), ": ", vol.info.nz, " x ", vol.info.ny, " x ",
               vol.info.nx, " ", vol.info.dtype, " (", vol.info.format, "); segmenting ", shape[0],
               " x ", shape[1], " x ", shape[2]);

  if (o.voxel_size) {
    p.voxel_size_um = *o.voxel_size;
    run.voxel_size_from = "--voxel-size";
  } else if (vol.info.voxel_size_um && *vol.info.voxel_size_um > 0) {
    p.voxel_size_um = *vol.info.voxel_size_um;
    run.voxel_size_from = vol.info.voxel_size_from;
  } else {
    run.voxel_size_from = "default";
    ctx.log.warn("the input does not say its voxel size: using ", p.voxel_size_um,
                 " um (set it with --voxel-size)");
  }
  // --axis and --cylinder are in the input's voxels; the region read starts at (x0, y0). The
  // default axis is the centre of the input's slice, as xct recon writes it.
  const bool cropped = roi.x0 != 0 || roi.y0 != 0 || roi.x1 != vol.info.nx || roi.y1 != vol.info.ny;
  const std::array<double, 2> given_axis =
      p.axis.value_or(std::array<double, 2>{0.5 * (static_cast<double>(vol.info.nx) - 1.0),
                                            0.5 * (static_cast<double>(vol.info.ny) - 1.0)});
  if (p.axis || cropped)
    p.axis = std::array<double, 2>{given_axis[0] - static_cast<double>(roi.x0),
                                   given_axis[1] - static_cast<double>(roi.y0)};
  if (p.cylinder) {
    p.cylinder->cx -= static_cast<double>(roi.x0);
    p.cylinder->cy -= static_cast<double>(roi.y0);
  }
  mp.voxel_size_um = p.voxel_size_um;
  mp.threads = p.threads;

  // The library speaks of "the volume": name it.
  const seg::SegmentResult result = [&] {
    try {
      return seg::segment(vol.data.cview(), p, ctx.log);
    } catch (const Error& e) {
      throw Error(e.kind(), vol.info.source.string() + ": " + e.what(), e.file(), e.line());
    }
  }();
  run.seconds.emplace_back("segment", clock.lap());
  const seg::Metrics metrics = seg::measure(result, mp);
  run.seconds.emplace_back("measure", clock.lap());
  if (truth) {
    run.score = seg::score(result, metrics, *truth);
    run.truth_file = truth_file;
    run.truth_step = truth->step;
    run.truth_crack_depth_px = truth->crack_depth_px;
    run.seconds.emplace_back("score", clock.lap());
  }

  run.command = full_command(ctx.argv);
  run.input = vol.info;
  run.roi = roi;
  run.params = p;
  run.measure = mp;
  run.files.emplace_back("config.toml", resolved_config(cmd, p.voxel_size_um));
  const seg::OutputSummary out = output.write(vol.data.cview(), result, metrics, run);

  const double um3 = p.voxel_size_um * p.voxel_size_um * p.voxel_size_um;
  const auto& im = metrics.interface;
  ctx.log.info("segmented in ", fixed(result.seconds, 1), " s: crack ",
               fixed(result.crack_deficit_volume * um3, 0), " um3 (", im.crack_voxels,
               " voxels labelled), depth ", fixed(im.crack_depth_um, 1), " um; ", im.chip_count,
               " chip(s) of ", fixed(im.chip_volume_um3, 0), " um3; ", result.void_count,
               " void(s); contact fraction ", fixed(im.contact_area_fraction, 3));

  const fs::path& folder = output.folder();
  if (op.format == "h5") {
    std::printf("labels   %s (%zu x %zu x %zu, uint8)\n", out.labels.front().string().c_str(),
                shape[0], shape[1], shape[2]);
  } else {
    std::printf("labels   %s (%zu slices of %zu x %zu, uint8)\n",
                (folder / "labels_*.tif").string().c_str(), shape[0], shape[1], shape[2]);
  }
  std::printf("tables   %s, %s\n", out.tables[0].string().c_str(), out.tables[1].string().c_str());
  if (!out.overlays.empty())
    std::printf("overlays %s\n", (folder / "overlay_*.png").string().c_str());
  std::printf("metrics  %s\n", out.metrics.string().c_str());
  if (run.score) print_score(*run.score, *truth_file, run.truth_step);
  ctx.exit_code = 0;
}

}  // namespace

void register_segment(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<SegmentCmdOptions>();
  seg::SegmentParams& p = o->p;
  CLI::App* cmd = app.add_subcommand(
      "segment",
      "Segment a reconstructed volume of the NaK | NASICON cell: labels, metrics, overlays");
  cmd->add_option("INPUT", o->input,
                  "volume: a folder of TIFF slices, a multi-page TIFF, or an HDF5 file")
      ->required();
  cmd->add_option("--config", o->config_file,
                  "TOML file with a [segment] table whose keys are the long flag names "
                  "(median-radius = 1, save-format = \"h5\"); flags override it");

  auto* g = kInputGroup;
  cmd->add_option("--dataset", o->dataset,
                  "HDF5 dataset of the volume (default: /exchange/data, else the only 3-D one)")
      ->group(g);
  cmd->add_option("--roi", o->roi,
                  "segment only Z0:Z1,Y0:Y1,X0:X1 (voxels, end exclusive; an empty side is the "
                  "whole axis); only those slices are read")
      ->group(g);
  cmd->add_option("--voxel-size", o->voxel_size,
                  "voxel size in um (default: the input's metadata, else 1.3)")
      ->group(g);

  g = kSegmentGroup;
  cmd->add_option("--cylinder", o->cylinder,
                  "the cell's outer wall CX,CY,R in the input's voxels (default: found from the "
                  "housing)")
      ->group(g);
  cmd->add_option("--axis", o->axis,
                  "rotation axis X,Y in the input's voxels (default: the slice centre, as xct "
                  "recon writes it)")
      ->group(g);
  add_segmentation_flags(*cmd, p, o->memory_budget, g);
  cmd->add_option("--void-bands", o->bands,
                  "distances from the NASICON surface for the void bands, um (D1,D2,...)")
      ->capture_default_str()
      ->group(g);

  g = kOutputGroup;
  cmd->add_option("-o,--out", o->out, "output folder (default: INPUT's name + _seg beside it)")
      ->group(g);
  cmd->add_option("--save-format", o->save_format,
                  "labels as tiff (labels_NNNNN.tif, one uint8 file per slice) or h5 (labels.h5, "
                  "/labels)")
      ->check(CLI::IsMember({"tiff", "h5"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_flag("--overwrite", o->overwrite, "replace a finished segmentation in the folder")
      ->group(g);
  cmd->add_flag("--no-overlays", o->no_overlays, "no overlay PNGs")->group(g);

  g = kScoreGroup;
  cmd->add_option("--score", o->score,
                  "score against the simulator's ground truth (truth_tNN.h5, truth.json beside "
                  "it)")
      ->group(g);

  cmd->callback([o, cmd, &ctx]() { run_segment(*cmd, *o, ctx); });
}

}  // namespace xct::cli
