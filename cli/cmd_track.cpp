// `xct track INPUT...`: one cell followed over a time series of scans (segment/track.hpp).
// Inputs are reconstructed volumes, or raw scans that are first reconstructed by `xct recon`
// with one shared config into OUT/recon/tNN (kept: a rerun reconstructs only what is missing).
// The output folder receives the time table, plots, per-step labels and overlays, the HTML
// report and, last, track.json (segment/track_output.hpp).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/child.hpp"
#include "cli/cmd_segment_flags.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "cli/sizes.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/version.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"
#include "segment/track.hpp"
#include "segment/track_output.hpp"
#include "segment/volume_io.hpp"

namespace fs = std::filesystem;

namespace xct::cli {

namespace {

const char* const kInputGroup = "Input";
const char* const kTrackGroup = "Tracking";
const char* const kSegmentGroup = "Segmentation";
const char* const kOutputGroup = "Output";

struct TrackCmdOptions {
  std::vector<std::string> inputs;
  std::string config_file;
  // Input.
  std::string pattern = "scan_*";
  std::string input_kind = "auto";
  std::string recon_config;
  std::string times, time_unit = "h";
  std::optional<double> voxel_size;
  std::string truth;
  // Tracking.
  seg::TrackParams t;
  double max_residual = 0;  // 0: RegisterParams' default
  std::string interpolation = "cubic";
  // Segmentation.
  std::string memory_budget;
  // Output.
  std::string out;
  bool overwrite = false, no_labels = false;
};

// Names compared with the numbers in them as numbers: scan_2 before scan_10.
bool natural_less(const std::string& a, const std::string& b) {
  std::size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) &&
        std::isdigit(static_cast<unsigned char>(b[j]))) {
      std::size_t ie = i, je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie])))
        ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je])))
        ++je;
      const std::string na = a.substr(i, ie - i), nb = b.substr(j, je - j);
      const auto ta = na.find_first_not_of('0'), tb = nb.find_first_not_of('0');
      const std::string sa = ta == std::string::npos ? "" : na.substr(ta);
      const std::string sb = tb == std::string::npos ? "" : nb.substr(tb);
      if (sa.size() != sb.size()) return sa.size() < sb.size();
      if (sa != sb) return sa < sb;
      i = ie;
      j = je;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  return a.size() - i < b.size() - j;
}

// fnmatch-like: '*' any run, '?' one character.
bool glob_match(const char* p, const char* s) {
  if (*p == '\0') return *s == '\0';
  if (*p == '*') return glob_match(p + 1, s) || (*s && glob_match(p, s + 1));
  return *s && (*p == '?' || *p == *s) && glob_match(p + 1, s + 1);
}

bool is_raw_scan(const fs::path& input) {
  try {
    auto reader = open_scan(input, LayoutSpec{}, null_logger());
    return reader->info().flats.present && reader->info().flats.n_frames > 0;
  } catch (const Error&) {
    return false;
  }
}

// A folder that is not itself a volume stands for the steps in it that match the pattern.
std::vector<std::string> expand_inputs(const std::vector<std::string>& inputs,
                                       const std::string& pattern) {
  if (inputs.size() != 1) return inputs;
  const fs::path dir = inputs.front();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return inputs;
  try {
    seg::describe_volume(seg::VolumeInput{dir, std::nullopt, std::nullopt});
    return inputs;  // a volume
  } catch (const Error&) {
  }
  if (is_raw_scan(dir)) return inputs;  // a TIFF scan folder
  std::vector<std::string> found;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (glob_match(pattern.c_str(), name.c_str())) found.push_back(e.path().string());
  }
  XCT_CHECK(!found.empty(), ErrorKind::InputMissing, "no step matching '", pattern, "' in ",
            dir.string());
  std::sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
    return natural_less(fs::path(a).filename().string(), fs::path(b).filename().string());
  });
  return found;
}

std::vector<double> parse_times(const std::string& text, std::size_t n) {
  std::vector<double> v;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    char* end = nullptr;
    const double d = std::strtod(item.c_str(), &end);
    XCT_CHECK(!item.empty() && end == item.c_str() + item.size() && std::isfinite(d),
              ErrorKind::Usage, "--times '", text, "' is not a list of numbers");
    v.push_back(d);
  }
  XCT_CHECK(v.size() == n, ErrorKind::Usage, "--times gives ", v.size(), " times for ", n,
            " steps");
  return v;
}

std::string time_text(double t, const std::string& unit) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", t);
  return unit.empty() ? std::string(buf) : std::string(buf) + " " + unit;
}

// Runs `xct recon` on a raw scan into `folder`, its output into `log_file`. Returns its exit
// code.
int run_recon(const fs::path& scan, const fs::path& folder, const std::string& config,
              const fs::path& log_file) {
  std::vector<std::string> args = {"--no-progress", "recon", scan.string(), "--out",
                                   folder.string()};
  if (!config.empty()) {
    args.emplace_back("--config");
    args.push_back(config);
  }
  return run_xct_child(args, log_file, false);
}

std::string resolved_config(const CLI::App& cmd) {
  std::ostringstream os;
  os << "# xct track, resolved configuration (" << kGitDescribe << ", " << timestamp_now()
     << ")\n# 'xct track INPUT... --config config.toml --overwrite' reproduces this run.\n\n"
     << "[track]\n"
     << resolved_table(cmd, kInputGroup) << resolved_table(cmd, kTrackGroup)
     << resolved_table(cmd, kSegmentGroup) << resolved_table(cmd, kOutputGroup);
  return os.str();
}

std::string one_line_tail(const fs::path& log_file) {
  std::FILE* f = std::fopen(log_file.c_str(), "r");
  if (!f) return "";
  std::string last, line;
  char buf[4096];
  while (std::fgets(buf, sizeof buf, f)) {
    line = buf;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    if (!line.empty()) last = line;
  }
  std::fclose(f);
  return last;
}

void run_track(CLI::App& cmd, TrackCmdOptions& o, Context& ctx) {
  if (!o.config_file.empty()) apply_config_table(cmd, o.config_file, "track", true);
  seg::TrackParams params = o.t;
  params.interpolation =
      o.interpolation == "linear" ? seg::Interpolation::Linear : seg::Interpolation::Cubic;
  if (o.max_residual > 0) params.registration.max_residual = o.max_residual;
  if (!o.memory_budget.empty())
    params.segment.memory_budget_bytes = parse_size(o.memory_budget, "--memory-budget");
  XCT_CHECK(!o.voxel_size || *o.voxel_size > 0, ErrorKind::Usage,
            "--voxel-size must be positive, not ", o.voxel_size.value_or(0));

  // The steps, in time order.
  std::vector<std::string> inputs = expand_inputs(o.inputs, o.pattern);
  XCT_CHECK(inputs.size() >= 2, ErrorKind::Usage, "a time series needs at least two steps; got ",
            inputs.size(), " (", inputs.front(), ")");
  for (const auto& in : inputs) {
    std::error_code ec;
    XCT_CHECK(fs::exists(in, ec), ErrorKind::InputMissing, "input not found: ", in);
  }
  const std::size_t n = inputs.size();
  std::vector<double> times(n);
  std::iota(times.begin(), times.end(), 0.0);
  std::string unit = o.time_unit;
  if (!o.times.empty()) {
    times = parse_times(o.times, n);
  } else {
    unit = "";  // file order: the step index
  }
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
  for (std::size_t i = 1; i < n; ++i)
    XCT_CHECK(times[order[i]] > times[order[i - 1]], ErrorKind::Usage,
              "two steps at the same time ", times[order[i]], ": ", inputs[order[i - 1]], " and ",
              inputs[order[i]]);

  seg::TrackOutputParams op;
  op.folder =
      o.out.empty() ? fs::absolute(inputs.front()).parent_path() / "track" : fs::path(o.out);
  op.overwrite = o.overwrite;
  op.save_labels = !o.no_labels;
  std::optional<fs::path> truth_file;
  if (!o.truth.empty()) {
    truth_file = fs::path(o.truth);
    std::error_code ec;
    XCT_CHECK(fs::exists(*truth_file, ec), ErrorKind::InputMissing,
              "truth not found: ", truth_file->string());
  }

  // Raw scans or volumes.
  std::vector<bool> raw(n, false);
  for (std::size_t i = 0; i < n; ++i)
    raw[i] = o.input_kind == "raw" || (o.input_kind == "auto" && is_raw_scan(inputs[i]));
  std::error_code ec;
  XCT_CHECK(!fs::exists(seg::TrackOutput::marker_path(op.folder), ec) || op.overwrite,
            ErrorKind::Usage, op.folder.string(),
            " holds a finished track (track.json); use --overwrite to replace it");
  std::vector<std::string> volumes(n);
  for (std::size_t s = 0; s < n; ++s) {
    const std::size_t i = order[s];
    if (!raw[i]) {
      volumes[s] = inputs[i];
      continue;
    }
    char name[32];
    std::snprintf(name, sizeof name, "t%02zu", s);
    const fs::path folder = op.folder / "recon" / name;
    volumes[s] = folder.string();
    if (fs::exists(folder / "report.json", ec)) {
      ctx.log.info("step ", s, ": reconstruction ", folder.string(), " is done; reusing it");
      continue;
    }
    fs::create_directories(op.folder / "recon", ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", (op.folder / "recon").string(), ": ",
              ec.message());
    const fs::path log_file = op.folder / "recon" / (std::string(name) + ".log");
    ctx.log.info("step ", s, ": reconstructing ", inputs[i], " into ", folder.string());
    const int rc = run_recon(inputs[i], folder, o.recon_config, log_file);
    if (rc != 0) {
      const std::string why = one_line_tail(log_file);
      throw Error(rc == 66   ? ErrorKind::InputMissing
                  : rc == 74 ? ErrorKind::OutputIO
                  : rc == 2  ? ErrorKind::Usage
                             : ErrorKind::BadData,
                  "step " + std::to_string(s) + " (" + inputs[i] + "): xct recon failed (exit " +
                      std::to_string(rc) + "): " + why + " [log: " + log_file.string() + "]",
                  __FILE__, __LINE__);
    }
  }

  // Every step's volume: same shape and voxel size.
  std::vector<seg::VolumeInfo> infos(n);
  for (std::size_t s = 0; s < n; ++s)
    infos[s] = seg::describe_volume(seg::VolumeInput{volumes[s], std::nullopt, std::nullopt});
  for (std::size_t s = 1; s < n; ++s) {
    const auto& a = infos[0];
    const auto& b = infos[s];
    XCT_CHECK(a.nz == b.nz && a.ny == b.ny && a.nx == b.nx, ErrorKind::BadData, "step ", s, " (",
              volumes[s], ") is ", b.nz, " x ", b.ny, " x ", b.nx, " voxels but step 0 (",
              volumes[0], ") is ", a.nz, " x ", a.ny, " x ", a.nx,
              ": every step must have the same shape");
    if (!o.voxel_size && a.voxel_size_um && b.voxel_size_um)
      XCT_CHECK(std::abs(*a.voxel_size_um - *b.voxel_size_um) <= 1e-6 * *a.voxel_size_um,
                ErrorKind::BadData, "step ", s, " (", volumes[s], ") has voxels of ",
                *b.voxel_size_um, " um but step 0 (", volumes[0], ") of ", *a.voxel_size_um,
                " um: every step must have the same voxel size");
  }
  if (o.voxel_size) {
    params.segment.voxel_size_um = *o.voxel_size;
  } else if (infos[0].voxel_size_um && *infos[0].voxel_size_um > 0) {
    params.segment.voxel_size_um = *infos[0].voxel_size_um;
  } else {
    ctx.log.warn("the inputs do not say their voxel size: using ", params.segment.voxel_size_um,
                 " um (set it with --voxel-size)");
  }
  params.measure.voxel_size_um = params.segment.voxel_size_um;
  std::optional<seg::TrackTruth> truth;
  if (truth_file)
    truth = seg::read_track_truth(*truth_file, {infos[0].nz, infos[0].ny, infos[0].nx});

  seg::SeriesInput series;
  for (std::size_t s = 0; s < n; ++s) {
    series.names.push_back(fs::path(inputs[order[s]]).filename().string());
    series.times.push_back(times[order[s]]);
    series.time_labels.push_back(time_text(times[order[s]], unit));
  }
  series.load = [&](std::size_t s) {
    return seg::read_volume(seg::VolumeInput{volumes[s], std::nullopt, std::nullopt}).data;
  };

  op.voxel_size_um = params.segment.voxel_size_um;
  op.command = full_command(ctx.argv);
  seg::TrackOutput output(op);
  const seg::TrackResult result =
      seg::track(series, params, ctx.log, [&](const seg::StepView& v) { output.on_step(v); });

  seg::TrackRunInfo run;
  run.command = full_command(ctx.argv);
  for (std::size_t s = 0; s < n; ++s)
    run.inputs.push_back(inputs[order[s]]);
  run.volumes = volumes;
  run.config = resolved_config(cmd);
  run.time_unit = unit;
  run.truth = truth;
  run.max_residual = params.registration.max_residual;
  const seg::TrackOutputSummary out = output.finish(result, run, [&](std::size_t s) {
    auto v = series.load(s);
    const auto& rec = result.steps[s];
    if (s == 0 || !rec.registration.ok) return v;
    return seg::resample(v.cview(), rec.registration.transform, result.shape, params.interpolation,
                         0.0f, params.segment.threads);
  });

  std::printf("steps    %zu, common frame: step 0 (%s)\n", n, series.names[0].c_str());
  for (const auto& s : result.steps)
    std::printf("  t%02zu %-24s %-10s crack %10.0f um3 depth %7.1f um  chip %10.0f um3  %s\n",
                s.index, s.name.c_str(), s.time_label.c_str(), s.crack_volume_um3, s.crack_depth_um,
                s.chip_volume_um3, s.ok ? "" : s.status.c_str());
  if (result.chip_separation_step)
    std::printf("chip     separates at step %zu (%s)\n", *result.chip_separation_step,
                result.steps[*result.chip_separation_step].name.c_str());
  else
    std::printf("chip     none\n");
  std::printf("table    %s\n", out.time_series_csv.string().c_str());
  std::printf("plots    %s\n", (output.folder() / "plots").string().c_str());
  std::printf("report   %s\n", out.report.string().c_str());

  std::size_t failed = 0;
  std::string first;
  for (const auto& s : result.steps)
    if (!s.ok) {
      if (!failed) first = "step " + std::to_string(s.index) + " (" + s.name + "): " + s.status;
      ++failed;
    }
  XCT_CHECK(failed == 0, ErrorKind::BadData, failed, " of ", n, " steps failed, first ", first,
            "; the report marks them: ", out.report.string());
  ctx.exit_code = 0;
}

}  // namespace

void register_track(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<TrackCmdOptions>();
  seg::TrackParams& t = o->t;
  seg::SegmentParams& p = t.segment;
  CLI::App* cmd = app.add_subcommand(
      "track",
      "Follow one cell over a time series: register, segment, track cracks and chips, report");
  cmd->add_option("INPUT", o->inputs,
                  "the steps: reconstructed volumes (TIFF folder, multi-page TIFF, HDF5) or raw "
                  "scans, or one folder holding them (see --pattern)")
      ->required();
  cmd->add_option("--config", o->config_file,
                  "TOML file with a [track] table whose keys are the long flag names; flags "
                  "override it");

  auto* g = kInputGroup;
  cmd->add_option("--pattern", o->pattern,
                  "with one folder as INPUT: the names of its steps (ordered by name, numbers "
                  "as numbers)")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--input-kind", o->input_kind,
                  "auto (raw scans have flats), raw (reconstruct first) or volume")
      ->check(CLI::IsMember({"auto", "raw", "volume"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--recon-config", o->recon_config,
                  "config for `xct recon` of raw scans, shared by every step ([preprocess], "
                  "[recon], [output] tables)")
      ->group(g);
  cmd->add_option("--times", o->times,
                  "time of each step, in INPUT order (T0,T1,...); steps are sorted by it "
                  "(default: INPUT order, times 0, 1, ...)")
      ->group(g);
  cmd->add_option("--time-unit", o->time_unit, "unit of --times, for the tables and plots")
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--voxel-size", o->voxel_size,
                  "voxel size in um (default: the volumes' metadata, else 1.3)")
      ->group(g);
  cmd->add_option("--truth", o->truth,
                  "the simulator's truth.json: truth beside each measurement, registration "
                  "errors")
      ->group(g);

  g = kTrackGroup;
  cmd->add_option("--max-residual", o->max_residual,
                  "registration residual (1: noise alone) above which a step fails (0: the "
                  "default)")
      ->check(CLI::NonNegativeNumber)
      ->group(g);
  cmd->add_option("--interpolation", o->interpolation,
                  "resampling into the common frame: cubic or linear")
      ->check(CLI::IsMember({"cubic", "linear"}))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--rim-fraction", t.rim_fraction,
                  "the registration leaves out the pellet's rim beyond this share of its radius")
      ->check(CLI::Range(0.1, 1.0))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--mask-margin", t.mask_margin_px,
                  "static structures' outlines widened by this in the registration mask, voxels")
      ->check(CLI::Range(0, 10))
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--overlap", t.overlap_px,
                  "a piece within this distance of a piece of the step before keeps its id, "
                  "voxels")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--max-chip-shift", t.max_chip_shift_px,
                  "search range of the chip's displacement per axis, voxels")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(g);
  cmd->add_option("--void-band", t.band_um,
                  "distance from the NASICON surface of the void-fraction band, um")
      ->check(CLI::PositiveNumber)
      ->capture_default_str()
      ->group(g);

  g = kSegmentGroup;
  add_segmentation_flags(*cmd, p, o->memory_budget, g);

  g = kOutputGroup;
  cmd->add_option("-o,--out", o->out, "output folder (default: 'track' beside the first input)")
      ->group(g);
  cmd->add_flag("--overwrite", o->overwrite, "replace a finished track in the folder")->group(g);
  cmd->add_flag("--no-labels", o->no_labels, "do not keep each step's labels")->group(g);

  cmd->callback([o, cmd, &ctx]() { run_track(*cmd, *o, ctx); });
}

}  // namespace xct::cli
