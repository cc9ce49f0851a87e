// `xct center INPUT`: measures the centre of rotation of a raw scan on one detector row,
// prints it with the method, and records it in a JSON file beside the input (tomopy-cli keeps
// its centres the same way) so that later runs can use it. `--try` reconstructs the row at a
// series of centres instead and names each slice by the exact centre used. `--device` says where
// Vo's metric is evaluated (the same centre either way); everything else runs on the CPU.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "cli/input_options.hpp"
#include "cli/prep_options.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/scan.hpp"
#include "io/tiff.hpp"
#include "recon/center.hpp"
#include "recon/center_measure.hpp"
#include "recon/fbp.hpp"
#include "recon/fbp_device.hpp"
#include "recon/preprocess.hpp"

namespace xct::cli {

namespace {

struct CenterCmdOptions {
  InputOptions input;
  PrepOptions prep;
  std::optional<std::size_t> row;
  std::size_t band = 16;
  std::string method = "vo";
  bool gradient = false;
  bool pc_normalize = false;
  bool no_refine = false;
  std::optional<double> start, stop;
  double step = 0.25, radius = 4.0, ratio = 0.5;
  bool no_downsample = false;
  std::string device = "auto";
  bool try_mode = false;
  std::string try_range;  // START,STOP,STEP
  std::string filter = "hann";
  std::string out_dir;
  std::string record;
  bool no_record = false;
};

void add_center_options(CLI::App& cmd, CenterCmdOptions& o) {
  const std::string g = "Centre";
  cmd.add_option("--row", o.row, "detector row to measure on (default: the middle row)")->group(g);
  cmd.add_option("--band", o.band,
                 "rows around --row measured on: vo averages their sinograms, pc registers them "
                 "as two projections")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--method", o.method,
                 "vo (Vo's Fourier metric on the band's mean sinogram) or pc (correlation of the "
                 "projections 180 degrees apart)")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--start", o.start, "vo: smallest centre searched (default: a quarter width)")
      ->group(g);
  cmd.add_option("--stop", o.stop, "vo: largest centre searched (default: three quarters)")
      ->group(g);
  cmd.add_option("--step", o.step, "vo: fine search step, columns")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--radius", o.radius, "vo: fine search half-width, columns")
      ->capture_default_str()
      ->group(g);
  cmd.add_option("--ratio", o.ratio, "vo: object width over the detector width")
      ->capture_default_str()
      ->group(g);
  cmd.add_flag("--no-downsample", o.no_downsample, "vo: coarse search at full resolution")
      ->group(g);
  cmd.add_flag("--no-refine", o.no_refine,
               "vo: return the fine search's minimum as Algotom does, without the parabola "
               "refinement")
      ->group(g);
  cmd.add_option("--device", o.device,
                 "vo: where the metric of the candidates is evaluated: auto (CUDA when a GPU is "
                 "visible), cpu, or cuda (exit 69 without a usable GPU); the centre is the same")
      ->capture_default_str()
      ->group(g);
  cmd.add_flag("--pc-normalize", o.pc_normalize,
               "pc: normalise the cross-power spectrum (Algotom's phase correlation; fails on "
               "noisy projections)")
      ->group(g);
  cmd.add_flag("--gradient", o.gradient,
               "pc: correlate complex gradients (Algotom's default; worse on noisy data)")
      ->group(g);
  const std::string t = "Try mode";
  cmd.add_flag("--try", o.try_mode,
               "reconstruct the row at a series of centres and write one TIFF per centre")
      ->group(t);
  cmd.add_option("--try-range", o.try_range,
                 "centres START,STOP,STEP (default: the measured centre +- 5 in steps of 0.5)")
      ->group(t);
  cmd.add_option("--filter", o.filter, "FBP window: hann, hamming, ..., none")
      ->capture_default_str()
      ->group(t);
  cmd.add_option("-o,--out", o.out_dir,
                 "folder for the trial slices (default: INPUT_rec/try_center beside the input)")
      ->group(t);
  const std::string r = "Record";
  cmd.add_option("--record", o.record,
                 "JSON file the centre is recorded in (default: xct_center.json beside the input)")
      ->group(r);
  cmd.add_flag("--no-record", o.no_record, "print the centre only")->group(r);
}

// Trial slices go beside the input, into INPUT_rec/try_center (tomocupy's habit).
std::filesystem::path try_dir(const std::string& input) {
  return default_output_dir(input) / "try_center";
}

// The measurement parameters from the flags, Vo's metric on `device`.
recon::CentreMeasureParams measure_params(const CenterCmdOptions& o,
                                          const recon::DeviceChoice& device) {
  recon::CentreMeasureParams mp;
  mp.method = o.method;
  mp.band = o.band;
  mp.vo.start = o.start, mp.vo.stop = o.stop, mp.vo.step = o.step, mp.vo.radius = o.radius;
  mp.vo.ratio = o.ratio, mp.vo.downsample = !o.no_downsample, mp.vo.refine = !o.no_refine;
  mp.vo.use_cuda = device.device == recon::Device::Cuda;
  mp.vo.cuda_index = device.cuda_index;
  mp.pc = {true, o.gradient, o.pc_normalize};
  return mp;
}

// Adds this scan's entry to the record file, keeping the other scans' entries.
void record_centre(const std::filesystem::path& file, const std::string& input,
                   const nlohmann::json& entry, Logger& log) {
  nlohmann::json doc = nlohmann::json::object();
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    try {
      doc = nlohmann::json::parse(in);
      if (!doc.is_object()) doc = nlohmann::json::object();
    } catch (const nlohmann::json::exception&) {
      log.warn("replacing unreadable centre record ", file.string());
      doc = nlohmann::json::object();
    }
  }
  doc[input_abs_path(input).filename().string()] = entry;
  write_file_atomic(file, doc.dump(2) + "\n");
}

std::vector<recon::CenterTrial> trial_centres(const std::string& range, double found,
                                              std::size_t n_cols) {
  double a = found - 5, b = found + 5, step = 0.5;
  if (!range.empty()) {
    char c1 = 0, c2 = 0;
    std::istringstream in(range);
    in >> a >> c1 >> b >> c2 >> step;
    XCT_CHECK(in && c1 == ',' && c2 == ',' && in.peek() == EOF, ErrorKind::Usage, "--try-range '",
              range, "' is not START,STOP,STEP");
  } else {
    a = std::round(a * 2) / 2, b = std::round(b * 2) / 2;
  }
  XCT_CHECK(step > 0 && a <= b && a >= 0 && b <= double(n_cols) - 1, ErrorKind::Usage,
            "--try-range ", a, ",", b, ",", step, " must lie within columns 0-", n_cols - 1,
            " with a positive step");
  auto trials = recon::center_trial_values(a, b, step);
  XCT_CHECK(trials.size() <= 2001, ErrorKind::Usage, "--try-range asks for ", trials.size(),
            " slices; at most 2001");
  return trials;
}

// Reconstructs row `row` of the band at each trial centre and writes one TIFF per centre.
void run_try(const recon::BandSinograms& band, std::size_t row, const CenterCmdOptions& o,
             double found, Context& ctx) {
  const std::size_t n_a = band.sinos.extent(1), n_c = band.sinos.extent(2);
  const recon::ConstImage sino(&band.sinos(row - band.rows.begin, 0, 0), {n_a, n_c});
  const auto trials = trial_centres(o.try_range, found, n_c);
  const std::filesystem::path dir =
      o.out_dir.empty() ? try_dir(o.input.input) : std::filesystem::path(o.out_dir);
  std::vector<double> centres;
  for (const auto& t : trials)
    centres.push_back(t.centre);
  recon::FbpParams fp;
  fp.filter = o.filter;
  recon::fbp_reconstruct_centres(
      sino, band.angles, centres, fp, [&](std::size_t i, double, recon::ConstImage slice) {
        write_tiff_float(dir / ("center_" + trials[i].name + ".tiff"), slice);
      });
  ctx.log.info("wrote ", trials.size(), " trial slices of row ", row, " to ", dir.string());
  std::printf("try    %zu slices, centres %s to %s, in %s\n", trials.size(),
              trials.front().name.c_str(), trials.back().name.c_str(), dir.string().c_str());
}

// Prints the centre, warns at the edge of the range, and records it unless --no-record.
void report_centre(const recon::CenterResult& res, const CenterCmdOptions& o, std::size_t row,
                   Range rows, Context& ctx) {
  std::printf("centre %.4f  (method %s, row %zu)\n", res.centre, res.method.c_str(), row);
  if (res.at_edge)
    ctx.log.warn("the best centre lies at the edge of the search range ", res.range_start, "-",
                 res.range_stop, "; widen it with --start/--stop");
  if (o.no_record) return;
  const std::filesystem::path file =
      o.record.empty() ? centre_record_path(o.input.input) : std::filesystem::path(o.record);
  const nlohmann::json entry = {{"centre", res.centre},
                                {"method", res.method},
                                {"row", row},
                                {"rows", {rows.begin, rows.end}},
                                {"search_range", {res.range_start, res.range_stop}},
                                {"xct_version", kGitDescribe},
                                {"command", full_command(ctx.argv)},
                                {"time", timestamp_now()}};
  record_centre(file, o.input.input, entry, ctx.log);
  std::printf("record %s\n", file.string().c_str());
}

}  // namespace

void register_center(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<CenterCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "center", "Measure the centre of rotation of a raw scan (or try a series of centres)");
  add_input_options(*cmd, o->input);

  add_prep_options(*cmd, o->prep);
  add_center_options(*cmd, *o);
  cmd->callback([o, cmd, &ctx]() {
    if (!o->input.config_file.empty()) {
      apply_config_table(*cmd, o->input.config_file, "preprocess", false);
      apply_config_table(*cmd, o->input.config_file, "center", false);
    }
    const recon::PreprocessParams prep = resolve_prep(o->prep);
    // The device is chosen before any data is read: an explicit cuda without one stops here.
    const bool only_try = o->try_mode && !o->try_range.empty();
    const bool vo = o->method == "vo" && !only_try;
    const auto names = recon::device_names();
    XCT_CHECK(std::find(names.begin(), names.end(), o->device) != names.end(), ErrorKind::Usage,
              "--device '", o->device, "' is not auto, cpu or cuda");
    const recon::DeviceChoice device = recon::choose_device(vo ? o->device : "cpu");
    auto reader = open_scan(o->input.input, resolve_layout(o->input), ctx.log);
    const ScanInfo& info = reader->info();
    const std::size_t row = o->row.value_or(info.n_rows() / 2);
    XCT_CHECK(row < info.n_rows(), ErrorKind::Usage, "--row ", row, " is outside the detector's ",
              info.n_rows(), " rows");
    // The try mode alone needs the row only; a measurement reads the band around it.
    const Range rows =
        only_try ? Range{row, row + 1} : recon::band_around(row, o->band, info.n_rows());
    recon::PreprocessReport report;
    const recon::BandSinograms band = recon::band_sinograms(*reader, rows, prep, report);
    std::optional<recon::CenterResult> res;
    if (!only_try) {
      res = recon::measure_band_centre(band, measure_params(*o, device), ctx.log);
      if (vo) ctx.log.info("centre metric on ", device.description);
      report_centre(*res, *o, row, rows, ctx);
    }
    if (o->try_mode) run_try(band, row, *o, res ? res->centre : 0.0, ctx);
    const auto& c = report.counts;
    ctx.log.info("preprocessing: ", c.bad_flat_pixels, " bad reference pixels and ",
                 c.nonpositive_samples, " samples at or below the dark fixed, ",
                 report.zingers_replaced, " zingers replaced, ", report.stripe_columns_flagged,
                 " stripe columns flagged");
    ctx.exit_code = 0;
  });
}

}  // namespace xct::cli
