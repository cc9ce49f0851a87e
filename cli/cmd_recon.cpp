// `xct recon INPUT|CONFIG`: a raw scan to a volume, slab by slab within a memory budget. The
// output folder receives the volume, previews, the fully resolved config (config.toml) and,
// last, report.json: the marker of a finished run.
#include <malloc.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/config_flags.hpp"
#include "cli/fingerprint.hpp"
#include "cli/recon_options.hpp"
#include "core/error.hpp"
#include "core/resources.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/scan.hpp"
#include "io/volume_output.hpp"
#include "recon/pipeline.hpp"

namespace fs = std::filesystem;

namespace xct::cli {

namespace {

// `xct recon CONFIG`: the scan is the config's [input] path, relative to the config's folder.
void input_from_config(ReconCmdOptions& o) {
  if (fs::path(o.input.input).extension() != ".toml") return;
  XCT_CHECK(o.input.config_file.empty(), ErrorKind::Usage,
            "give either a config as INPUT or --config, not both");
  o.input.config_file = o.input.input;
  toml::table doc;
  try {
    doc = toml::parse_file(o.input.config_file);
  } catch (const toml::parse_error& e) {
    XCT_THROW(ErrorKind::Usage, "cannot read config ", o.input.config_file, ": ", e.description(),
              " (line ", e.source().begin.line, ")");
  }
  const auto path = doc["input"]["path"].value<std::string>();
  XCT_CHECK(path.has_value(), ErrorKind::Usage, "config ", o.input.config_file,
            " names no scan: add path = \"...\" to its [input] table");
  const fs::path p(*path);
  o.input.input = (p.is_absolute() ? p : fs::path(o.input.config_file).parent_path() / p).string();
}

// The [input] table as used: the config's, with the scan's path and the input flags applied.
std::string resolved_input(const ReconCmdOptions& o) {
  toml::table in;
  if (!o.input.config_file.empty()) {
    const toml::table doc = toml::parse_file(o.input.config_file);
    if (const toml::table* t = doc["input"].as_table()) in = *t;
  }
  in.insert_or_assign("path", input_abs_path(o.input.input).string());
  if (!o.input.layout.empty()) in.insert_or_assign("layout", o.input.layout);
  if (o.input.pixel_size_um) in.insert_or_assign("pixel_size_um", *o.input.pixel_size_um);
  toml::table angles;
  if (const toml::table* t = in["angles"].as_table()) angles = *t;
  if (!o.input.angles_file.empty()) {
    angles.insert_or_assign("source", "file");
    angles.insert_or_assign("file", fs::absolute(o.input.angles_file).string());
  }
  if (!o.input.angle_range.empty()) {
    std::istringstream is(o.input.angle_range);
    double start = 0, stop = 0;
    char comma = 0;
    is >> start >> comma >> stop;
    angles.insert_or_assign("source", "range");
    angles.insert_or_assign("start", start);
    angles.insert_or_assign("stop", stop);
  }
  if (o.input.no_endpoint) angles.insert_or_assign("endpoint", false);
  if (o.input.angles_in_radians) angles.insert_or_assign("units", "radians");
  if (!angles.empty()) in.insert_or_assign("angles", angles);
  std::ostringstream os;
  os << in;
  return os.str();
}

// What the volume's values depend on: the input (its fingerprint), every setting except those
// that only change how the work is split (slab heights, memory, GPUs, reslicing), where the
// filter and back-projection run, and the version. An interrupted run is resumed only under
// the same key.
std::string resume_key(const CLI::App& cmd, const ReconCmdOptions& o,
                       const recon::ReconParams& params) {
  const std::map<std::string, std::string> split = {
      {"nsino-per-chunk", "-"}, {"max-memory", "-"}, {"gpus", "-"}, {"max-gpu-memory", "-"},
      {"reslice", "-"},         {"overwrite", "-"},  {"out", "-"}};
  std::ostringstream os;
  os.precision(17);
  os << kGitDescribe << "\n"
     << fingerprint(input_abs_path(o.input.input)).dump() << "\n"
     << resolved_input(o) << "\n"
     << resolved_table(cmd, kPrepGroup, split) << resolved_table(cmd, kCentreGroup, split)
     << resolved_table(cmd, kReconGroup, split) << resolved_table(cmd, kOutputGroup, split)
     << "device "
     << (recon::choose_device(params.device).device == recon::Device::Cuda ? "cuda" : "cpu")
     << "\ncentre " << params.centre.value.value_or(std::numeric_limits<double>::quiet_NaN())
     << "\n";
  return os.str();
}

std::string resolved_config(const CLI::App& cmd, const ReconCmdOptions& o,
                            const recon::ReconReport& rep) {
  std::ostringstream centre;
  centre.precision(10);
  centre << rep.centre.at(0.5 * static_cast<double>(rep.rows.begin + rep.rows.end));
  std::map<std::string, std::string> recon_over;
  // A measured centre is written as the value used, so that a rerun from this file does not
  // measure again; a centre fitted along z keeps its rows and the fit.
  if (rep.centre.source != "fit") recon_over["rotation-axis"] = centre.str();
  recon_over["start-row"] = std::to_string(rep.rows.begin);
  recon_over["end-row"] = std::to_string(rep.rows.end);
  std::ostringstream os;
  os << "# xct recon, resolved configuration (" << kGitDescribe << ", " << timestamp_now()
     << ")\n# 'xct recon config.toml --overwrite' reproduces this run; the centre was "
     << rep.centre.source << ".\n\n"
     << "[input]\n"
     << resolved_input(o) << "\n\n[preprocess]\n"
     << resolved_table(cmd, kPrepGroup) << "\n[recon]\n"
     << resolved_table(cmd, kCentreGroup, recon_over)
     << resolved_table(cmd, kReconGroup, recon_over) << "\n[output]\n"
     << resolved_table(cmd, kOutputGroup);
  return os.str();
}

nlohmann::json report_json(const recon::ReconReport& r, const VolumeOutputSummary& v,
                           const VolumeOutputParams& out, const ScanInfo& info,
                           const std::string& command) {
  using nlohmann::json;
  const auto& c = r.prep.counts;
  json centre = {
      {"source", r.centre.source},
      {"intercept", r.centre.intercept},
      {"slope_per_row", r.centre.slope},
      {"at_middle_row", r.centre.at(0.5 * static_cast<double>(r.rows.begin + r.rows.end))},
      {"units", "unbinned detector columns from the centre of column 0"}};
  if (!r.centre.rows.empty()) {
    centre["method"] = r.centre.method;
    centre["measured_rows"] = r.centre.rows;
    centre["measured_centres"] = r.centre.measured;
  }
  json files = json::array();
  for (const auto& f : v.files)
    files.push_back(f.filename().string());
  json previews = json::array();
  for (const auto& f : v.previews)
    previews.push_back(fs::relative(f, out.folder).string());
  const double ratio = r.input_file_bytes > 0 ? static_cast<double>(r.input_bytes_read) /
                                                    static_cast<double>(r.input_file_bytes)
                                              : 0.0;
  json output = {{"folder", fs::absolute(out.folder).string()},
                 {"format", out.format},
                 {"dtype", out.dtype == DType::UInt16 ? "uint16" : "float32"},
                 {"shape_zyx", {v.nz, v.ny, v.nx}},
                 {"units", r.units},
                 {"min", v.min},
                 {"max", v.max},
                 {"mean", v.mean},
                 {"files", files.size() == 1 ? files[0] : json(files.size())},
                 {"resumed_slices", v.resumed_slices},
                 {"previews", previews}};
  if (info.pixel_size_um)
    output["voxel_size_um"] = *info.pixel_size_um * static_cast<double>(r.binning);
  if (out.dtype == DType::UInt16) {
    output["uint16"] = {{"value", "offset + scale * sample"},
                        {"offset", v.uint16_offset},
                        {"scale", v.uint16_scale},
                        {"clipped_low", v.clipped_low},
                        {"clipped_high", v.clipped_high}};
  }
  json device = {{"kind", r.device},
                 {"detail", r.device_detail},
                 {"rows_per_batch", r.device_rows},
                 {"raw_counts", r.counts_route},
                 {"seconds",
                  {{"upload", r.device_timing.upload},
                   {"convert", r.device_timing.convert},
                   {"filter", r.device_timing.filter},
                   {"back_project", r.device_timing.back_project},
                   {"download", r.device_timing.download}}}};
  if (r.stream) {
    const recon::StreamReport& st = *r.stream;
    const auto& t = st.timing;
    double busy = 0;
    for (double b : st.busy)
      busy += b / static_cast<double>(st.busy.size());
    const double transfers = t.upload + t.download;
    device["stream"] = {
        {"workers", st.workers},
        {"gpus", st.devices},
        {"rows_per_slab", st.rows_per_slab},
        {"slabs", st.slabs},
        {"gpu_seconds",
         {{"upload", t.upload},
          {"flat_field", t.flat_field},
          {"zingers", t.zingers},
          {"rings", t.rings},
          {"log", t.log},
          {"filter", t.filter},
          {"back_project", t.back_project},
          {"download", t.download},
          {"compute", t.compute}}},
        {"wall_seconds", st.wall},
        {"reader_seconds", st.seconds_read},
        {"writer_seconds", st.seconds_write},
        {"gpu_waiting_for_input_seconds", t.waiting_for_input},
        {"overlap",
         {{"gpu_busy_fraction", busy},
          {"gpu_busy_fraction_per_worker", st.busy},
          {"meaning", "GPU compute time / wall time of the stream, per worker, averaged"},
          {"transfer_seconds", transfers},
          {"serial_seconds", st.seconds_read + t.compute + transfers + st.seconds_write}}}};
  }
  return {{"status", "complete"},
          {"xct_version", kGitDescribe},
          {"command", command},
          {"finished", timestamp_now()},
          {"input",
           {{"path", fs::absolute(info.source).string()},
            {"layout", info.layout},
            {"projections", {info.n_proj(), info.n_rows(), info.n_cols()}},
            {"file_bytes", r.input_file_bytes}}},
          {"rows", {r.rows.begin, r.rows.end}},
          {"binning", r.binning},
          {"angles_used", r.n_angles},
          {"full_turn", r.full_turn},
          {"slices_per_chunk", r.rows_per_chunk},
          {"chunks", r.n_chunks},
          {"centre", centre},
          {"output", output},
          {"device", device},
          {"memory",
           {{"budget_bytes", r.memory_budget_bytes},
            {"planned_peak_bytes", r.planned_peak_bytes},
            {"peak_rss_bytes", peak_rss_bytes()}}},
          {"io",
           {{"input_bytes_read", r.input_bytes_read},
            {"input_read_ratio", ratio},
            {"bytes_written", r.bytes_written},
            {"resliced", r.resliced},
            {"scratch_bytes_written", r.scratch_bytes_written},
            {"scratch_bytes_read", r.scratch_bytes_read}}},
          {"seconds",
           {{"centre", r.seconds_centre},
            {"reslice", r.seconds_reslice},
            {"read", r.prep.seconds_read},
            {"flat_field", r.prep.seconds_flat_field},
            {"zingers", r.prep.seconds_zingers},
            {"rings", r.prep.seconds_rings},
            {"log", r.prep.seconds_log},
            {"filter_backproject", r.seconds_filter_backproject},
            {"write", r.seconds_write},
            {"total", r.seconds_total}}},
          {"counts",
           {{"bad_flat_pixels", c.bad_flat_pixels},
            {"saturated_flat_pixels", c.saturated_flat_pixels},
            {"nonpositive_samples", c.nonpositive_samples},
            {"log_clamped_samples", c.log_clamped_samples},
            {"zingers_replaced", r.prep.zingers_replaced},
            {"stripe_columns_flagged", r.prep.stripe_columns_flagged},
            {"uint16_clipped", v.clipped_low + v.clipped_high}}},
          {"flats_interpolated", r.prep.flats_interpolated}};
}

// Removes the output folder on failure when this run created it and left it empty.
struct FolderGuard {
  fs::path folder;
  bool created = false;
  ~FolderGuard() {
    std::error_code ec;
    if (created && fs::is_empty(folder, ec)) fs::remove(folder, ec);
  }
};

void run_recon(CLI::App& cmd, ReconCmdOptions& o, Context& ctx) {
  input_from_config(o);
  if (!o.input.config_file.empty()) {
    apply_config_table(cmd, o.input.config_file, "preprocess", false, {kPrepGroup});
    apply_config_table(cmd, o.input.config_file, "recon", false, {kReconGroup, kCentreGroup});
    apply_config_table(cmd, o.input.config_file, "output", false, {kOutputGroup});
  }
  recon::ReconParams params = resolve_recon(o);
  VolumeOutputParams out = resolve_output(o);
  auto reader = open_scan(o.input.input, resolve_layout(o.input), ctx.log);
  const ScanInfo& info = reader->info();
  if (!params.centre.value && !o.rotation_axis_auto) {
    if (const auto recorded = recorded_centre(o.input.input)) {
      params.centre.value = *recorded;
      ctx.log.info("centre ", *recorded, " as recorded in ",
                   centre_record_path(o.input.input).string());
    }
  }
  if (params.rows && params.rows->end > info.n_rows()) params.rows->end = info.n_rows();
  const recon::ReconShape shape = recon::recon_shape(info, params);
  const std::string command = full_command(ctx.argv);
  out.meta.command = command;
  if (info.pixel_size_um) {
    out.meta.units = "1/cm";
    out.meta.voxel_size_um = *info.pixel_size_um * static_cast<double>(params.binning);
  }
  // Large buffers come from and go back to the system directly, so that the resident size
  // follows the slab plan rather than the allocator's high-water mark.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  out.resume_key = resume_key(cmd, o, params);
  FolderGuard guard{out.folder, !fs::exists(out.folder)};
  VolumeOutput volume(out, shape.n_slices, shape.slice_size, shape.slice_size);
  if (volume.resumed_slices() > 0)
    ctx.log.info("resuming an interrupted run: ", volume.resumed_slices(), " of ", shape.n_slices,
                 " slices are kept, the rest are reconstructed");
  params.scratch_dir = volume.staging();
  recon::ReconReport rep = recon::reconstruct(
      *reader, params, volume, ctx.log,
      ctx.quiet ? Progress::Style::Silent
                : (ctx.progress_bars ? Progress::Style::Auto : Progress::Style::Lines));
  if (rep.centre.source == "given" && params.centre.value && !o.rotation_axis)
    rep.centre.source = "recorded";
  const VolumeOutputSummary summary = volume.finish();
  write_file_atomic(out.folder / "config.toml", resolved_config(cmd, o, rep));
  const nlohmann::json report = report_json(rep, summary, out, info, command);
  write_file_atomic(VolumeOutput::report_path(out.folder), report.dump(2) + "\n");
  guard.created = false;

  std::printf(
      "volume   %s (%zu slices of %zu x %zu, %s, %s)\n",
      (summary.files.size() == 1 ? summary.files[0] : out.folder / "recon_*.tiff").string().c_str(),
      summary.nz, summary.ny, summary.nx, o.dtype.c_str(), rep.units.c_str());
  std::printf("centre   %.4f (%s)\n", report["centre"]["at_middle_row"].get<double>(),
              rep.centre.source.c_str());
  std::printf("previews %s\n", (out.folder / "previews").string().c_str());
  std::printf("report   %s\n", VolumeOutput::report_path(out.folder).string().c_str());
  ctx.exit_code = 0;
}

}  // namespace

void register_recon(CLI::App& app, Context& ctx) {
  auto o = std::make_shared<ReconCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "recon", "Reconstruct a raw scan (or the scan a config names) into a volume");
  add_input_options(*cmd, o->input);
  cmd->get_option("INPUT")->description(
      "raw scan (HDF5 file or TIFF folder), or a TOML config whose [input] path names it");

  add_recon_options(*cmd, *o);
  cmd->callback([o, cmd, &ctx]() { run_recon(*cmd, *o, ctx); });
}

}  // namespace xct::cli
