// The output folder of `xct segment`: staged labels, tables and overlays, moved into place,
// then metrics.json.
#include "segment/outputs.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <system_error>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/resources.hpp"
#include "core/stopwatch.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "segment/labels.hpp"
#include "segment/overlay.hpp"

namespace fs = std::filesystem;
// Keys in the order written: status and command first, as people read the file.
using json = nlohmann::ordered_json;

namespace xct::seg {

namespace {

const char* const kStaging = ".partial";
const char* const kMetrics = "metrics.json";

void remove_path(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot remove ", p.string(), ": ", ec.message());
}

// Files of an earlier segmentation in `folder`; nothing else is touched.
void remove_old_outputs(const fs::path& folder) {
  std::error_code ec;
  std::vector<fs::path> old;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    const std::string ext = entry.path().extension().string();
    const bool slice = name.rfind("labels_", 0) == 0 && (ext == ".tif" || ext == ".tiff");
    const bool overlay = name.rfind("overlay_", 0) == 0 && ext == ".png";
    if (slice || overlay || name == kLabelsH5 || name == "labels.csv" || name == "voids.csv" ||
        name == "config.toml" || name == kStaging)
      old.push_back(entry.path());
  }
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot list ", folder.string(), ": ", ec.message());
  for (const auto& p : old)
    remove_path(p);
}

json opt(const std::optional<double>& v) {
  return v && std::isfinite(*v) ? json(*v) : json(nullptr);
}

json box_json(const ShapeStats& s) {
  return json::array({json::array({s.box_begin[0], s.box_end[0]}),
                      json::array({s.box_begin[1], s.box_end[1]}),
                      json::array({s.box_begin[2], s.box_end[2]})});
}

json shape_json(const ShapeStats& s, bool with_id) {
  json j = json::object();
  if (with_id) j["id"] = s.id;
  j["label"] = s.label;
  j["name"] = std::string(label_name(s.label));
  j["voxels"] = s.voxels;
  j["volume_um3"] = s.volume_um3;
  j["surface_area_um2"] = s.surface_area_um2;
  j["equivalent_diameter_um"] = s.equivalent_diameter_um;
  j["centroid_zyx_px"] = s.centroid;
  j["box_zyx"] = box_json(s);
  return j;
}

json interface_json(const InterfaceMetrics& m) {
  json bands = json::array();
  for (const VoidBand& b : m.bands)
    bands.push_back({{"distance_um", b.distance_um},
                     {"void_volume_um3", b.void_volume_um3},
                     {"void_fraction", b.void_fraction}});
  return {{"contact_area_fraction", m.contact_area_fraction},
          {"contact_area_um2", m.contact_area_um2},
          {"face_area_um2", m.face_area_um2},
          {"void_bands", bands},
          {"crack_voxels", m.crack_voxels},
          {"crack_volume_um3", m.crack_volume_um3},
          {"crack_depth_um", m.crack_depth_um},
          {"crack_penetration_um", m.crack_penetration_um},
          {"crack_area_um2", m.crack_area_um2},
          {"crack_mean_opening_um", m.crack_mean_opening_um},
          {"chip_count", m.chip_count},
          {"chip_voxels", m.chip_voxels},
          {"chip_volume_um3", m.chip_volume_um3}};
}

json params_json(const RunInfo& run) {
  const SegmentParams& p = run.params;
  json cylinder = nullptr, axis = nullptr;
  if (p.cylinder)
    cylinder = {
        {"cx_px", p.cylinder->cx}, {"cy_px", p.cylinder->cy}, {"radius_px", p.cylinder->radius}};
  if (p.axis) axis = {{"x_px", (*p.axis)[0]}, {"y_px", (*p.axis)[1]}};
  return {{"voxel_size_um", p.voxel_size_um},
          {"voxel_size_from", run.voxel_size_from},
          {"cylinder", cylinder},
          {"axis", axis},
          {"median_radius_px", p.median_radius},
          {"diffusion_iterations", p.diffusion_iterations},
          {"diffusion_conductance", p.diffusion_conductance},
          {"smooth_sigma_px", p.smooth_sigma_px},
          {"max_crack_opening_px", p.max_crack_opening_px},
          {"min_crack_voxels", p.min_crack_voxels},
          {"plate_objectness", p.plate_objectness},
          {"ring_tolerance_px", p.ring_tolerance_px},
          {"min_chip_voxels", p.min_chip_voxels},
          {"min_void_voxels", p.min_void_voxels},
          {"void_split_h_px", p.void_split_h_px},
          {"memory_budget_bytes", p.memory_budget_bytes},
          {"threads", p.threads},
          {"void_bands_um", run.measure.band_um}};
}

json input_json(const RunInfo& run) {
  const VolumeInfo& i = run.input;
  const Roi& r = run.roi;
  json j = {{"path", fs::absolute(i.source).lexically_normal().string()},
            {"format", i.format},
            {"dtype", i.dtype},
            {"shape_zyx", {i.nz, i.ny, i.nx}},
            {"roi_zyx", {{r.z0, r.z1}, {r.y0, r.y1}, {r.x0, r.x1}}},
            {"units", i.units},
            {"voxel_size_um", opt(i.voxel_size_um)},
            {"voxel_size_from", i.voxel_size_from}};
  if (!i.dataset.empty()) j["dataset"] = i.dataset;
  if (i.format == "tiff-stack") j["files"] = i.files.size();
  if (i.dtype == "uint16" && (i.value_offset != 0.0 || i.value_scale != 1.0))
    j["uint16"] = {
        {"value", "offset + scale * sample"}, {"offset", i.value_offset}, {"scale", i.value_scale}};
  return j;
}

json result_phases(const Phases& p) {
  return {{"thresholds", p.thresholds},
          {"meaning", "gas|low, low|Al, Al|NASICON on the smoothed image, in the input's units"},
          {"gas", p.gas},
          {"low", p.low},
          {"al", p.al},
          {"nasicon", p.nasicon},
          {"nasicon_threshold", p.nasicon_threshold},
          {"noise_sigma", p.noise_sigma},
          {"oring_split", p.oring_split},
          {"oring_threshold", p.oring_threshold}};
}

json score_json(const RunInfo& run, const Metrics& metrics, double voxel_um) {
  const Score& s = *run.score;
  json dice = json::object();
  for (int l = 0; l < kLabelCount; ++l)
    dice[std::string(label_name(l))] = opt(s.dice[static_cast<std::size_t>(l)]);
  json j = {{"truth", run.truth_file ? fs::absolute(*run.truth_file).string() : std::string()},
            {"step", run.truth_step},
            {"dice", dice},
            {"dice_voids_in_nak", opt(s.dice_voids_in_nak)},
            {"crack_recall", s.crack_recall},
            {"crack_precision", s.crack_precision},
            {"crack_recall_within_1_voxel", s.crack_recall_1vox},
            {"crack_precision_within_1_voxel", s.crack_precision_1vox},
            {"crack_truth_voxels", s.crack_truth_voxels},
            {"crack_voxels", s.crack_voxels},
            {"crack_volume_voxels", opt(s.crack_volume)},
            {"crack_volume_truth_voxels", opt(s.crack_volume_truth)},
            {"crack_volume_error", opt(s.crack_volume_error)},
            {"chip_volume_voxels", opt(s.chip_volume)},
            {"chip_volume_truth_voxels", opt(s.chip_volume_truth)},
            {"chip_volume_error", opt(s.chip_volume_error)},
            {"contact_area_fraction", opt(s.contact)},
            {"contact_area_fraction_truth", opt(s.contact_truth)},
            {"crack_depth_um", metrics.interface.crack_depth_um},
            {"crack_depth_truth_um",
             run.truth_crack_depth_px ? json(*run.truth_crack_depth_px * voxel_um) : json(nullptr)},
            {"errors", "relative: (ours - truth) / truth"}};
  return j;
}

std::vector<std::string> names_in(const std::vector<fs::path>& files, const fs::path& folder) {
  std::vector<std::string> out;
  for (const auto& f : files)
    out.push_back(fs::relative(f, folder).string());
  return out;
}

// One file by name; a stack by its first and last name and count.
json labels_json(const std::vector<std::string>& names) {
  if (names.size() == 1) return names.front();
  return {{"first", names.empty() ? std::string() : names.front()},
          {"last", names.empty() ? std::string() : names.back()},
          {"count", names.size()}};
}

void add_shape_row(Table& t, const ShapeStats& s, bool with_id) {
  std::vector<Table::Cell> row;
  if (with_id) row.emplace_back(static_cast<long long>(s.id));
  row.emplace_back(static_cast<long long>(s.label));
  row.emplace_back(std::string(label_name(s.label)));
  row.emplace_back(static_cast<long long>(s.voxels));
  row.emplace_back(s.volume_um3);
  row.emplace_back(s.surface_area_um2);
  row.emplace_back(s.equivalent_diameter_um);
  for (double c : s.centroid)
    row.emplace_back(c);
  for (std::size_t a = 0; a < 3; ++a) {
    row.emplace_back(static_cast<long long>(s.box_begin[a]));
    row.emplace_back(static_cast<long long>(s.box_end[a]));
  }
  t.add_row(std::move(row));
}

std::vector<std::string> shape_columns(bool with_id) {
  std::vector<std::string> c;
  if (with_id) c.emplace_back("id");
  for (const char* n :
       {"label", "name", "voxels", "volume_um3", "surface_area_um2", "equivalent_diameter_um",
        "centroid_z", "centroid_y", "centroid_x", "z0", "z1", "y0", "y1", "x0", "x1"})
    c.emplace_back(n);
  return c;
}

}  // namespace

std::optional<std::array<std::size_t, 3>> crack_point(HostView<const std::uint8_t, 3> labels) {
  const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
  double sum[3] = {0, 0, 0};
  std::size_t n = 0;
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x)
        if (labels(z, y, x) == kCrack) {
          sum[0] += static_cast<double>(z), sum[1] += static_cast<double>(y);
          sum[2] += static_cast<double>(x), ++n;
        }
  if (n == 0) return std::nullopt;
  const double c[3] = {sum[0] / static_cast<double>(n), sum[1] / static_cast<double>(n),
                       sum[2] / static_cast<double>(n)};
  // A crack is a curved sheet: its centroid may lie off it, so take the nearest crack voxel.
  std::array<std::size_t, 3> best{};
  double best_d2 = std::numeric_limits<double>::infinity();
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        if (labels(z, y, x) != kCrack) continue;
        const double dz = static_cast<double>(z) - c[0], dy = static_cast<double>(y) - c[1],
                     dx = static_cast<double>(x) - c[2];
        const double d2 = dz * dz + dy * dy + dx * dx;
        if (d2 < best_d2) best_d2 = d2, best = {z, y, x};
      }
  return best;
}

Table label_table(const Metrics& metrics) {
  Table t(shape_columns(false));
  for (const ShapeStats& s : metrics.labels)
    add_shape_row(t, s, false);
  return t;
}

Table void_table(const Metrics& metrics) {
  Table t(shape_columns(true));
  for (const ShapeStats& s : metrics.voids)
    add_shape_row(t, s, true);
  return t;
}

std::string metrics_document(const SegmentResult& r, const Metrics& metrics, const RunInfo& run,
                             const OutputSummary& summary, const OutputParams& params) {
  const double um = run.params.voxel_size_um;
  json cracks = json::array();
  for (const CrackPiece& c : r.cracks)
    cracks.push_back({{"voxels", c.voxels},
                      {"deficit_volume_voxels", c.deficit_volume},
                      {"deficit_volume_um3", c.deficit_volume * um * um * um},
                      {"mean_objectness", c.mean_objectness},
                      {"radial_spread_px", c.radial_spread_px},
                      {"ring", c.ring},
                      {"centroid_zyx_px", c.centroid}});
  json labels = json::array(), voids = json::array();
  for (const ShapeStats& s : metrics.labels)
    labels.push_back(shape_json(s, false));
  for (const ShapeStats& s : metrics.voids)
    voids.push_back(shape_json(s, true));
  json stages = json::object();
  for (const auto& [name, s] : r.stage_seconds)
    stages[name] = s;
  json seconds = json::object();
  for (const auto& [name, s] : run.seconds)
    seconds[name] = s;
  seconds["segment_stages"] = stages;
  seconds["write"] = summary.seconds;
  double total = summary.seconds;
  for (const auto& [name, s] : run.seconds)
    total += s;
  seconds["total"] = total;
  const fs::path& folder = params.folder;
  json overlays = json::object();
  if (params.overlays) {
    const auto half =
        summary.overlays.begin() + static_cast<std::ptrdiff_t>(summary.overlays.size() / 2);
    overlays["centre"] = {
        {"point_zyx", summary.centre_point},
        {"files", names_in(std::vector<fs::path>(summary.overlays.begin(), half), folder)}};
    overlays["crack"] = {
        {"point_zyx", summary.crack_point},
        {"through", summary.crack_found ? "crack" : "centre (no crack found)"},
        {"files", names_in(std::vector<fs::path>(half, summary.overlays.end()), folder)}};
  }
  json doc = {
      {"status", "complete"},
      {"xct_version", kGitDescribe},
      {"command", run.command},
      {"finished", timestamp_now()},
      {"input", input_json(run)},
      {"parameters", params_json(run)},
      {"output",
       {{"folder", fs::absolute(folder).lexically_normal().string()},
        {"format", params.format},
        {"labels", labels_json(names_in(summary.labels, folder))},
        {"tables", names_in(summary.tables, folder)},
        {"overlays", overlays},
        {"files", names_in(summary.files, folder)},
        {"shape_zyx", r.labels.shape()}}},
      {"phases", result_phases(r.phases)},
      {"cylinder",
       {{"cx_px", r.cylinder.cx},
        {"cy_px", r.cylinder.cy},
        {"radius_px", r.cylinder.radius},
        {"radius_um", r.cylinder.radius * um},
        {"housing_inner_radius_px", r.housing_inner_radius},
        {"housing_inner_radius_um", r.housing_inner_radius * um}}},
      {"axis", {{"x_px", r.axis[0]}, {"y_px", r.axis[1]}}},
      {"pellet_top_z_px", r.pellet_top_z},
      {"crack_pieces", cracks},
      {"crack_deficit_volume_voxels", r.crack_deficit_volume},
      {"crack_deficit_volume_um3", r.crack_deficit_volume * um * um * um},
      {"void_count", r.void_count},
      {"metrics",
       {{"labels", labels}, {"interface", interface_json(metrics.interface)}, {"voids", voids}}},
      {"seconds", seconds},
      {"memory",
       {{"peak_working_bytes", r.peak_working_bytes}, {"peak_rss_bytes", peak_rss_bytes()}}}};
  if (run.score) doc["score"] = score_json(run, metrics, um);
  return doc.dump(2) + "\n";
}

// ---- the folder ---------------------------------------------------------------------------

struct SegmentOutput::Impl {
  OutputParams params;
  fs::path staging;
  bool created = false;
  bool finished = false;
};

fs::path SegmentOutput::metrics_path(const fs::path& folder) {
  return folder / kMetrics;
}

SegmentOutput::SegmentOutput(OutputParams params) : impl_(std::make_unique<Impl>()) {
  Impl& m = *impl_;
  XCT_CHECK(params.format == "tiff" || params.format == "h5", ErrorKind::Usage, "--save-format '",
            params.format, "' is not tiff or h5");
  m.params = std::move(params);
  const fs::path& folder = m.params.folder;
  std::error_code ec;
  m.created = !fs::exists(folder, ec);
  fs::create_directories(folder, ec);
  XCT_CHECK(!ec && fs::is_directory(folder), ErrorKind::OutputIO, "cannot create output folder ",
            folder.string(), ec ? ": " + ec.message() : std::string());
  if (fs::exists(metrics_path(folder))) {
    XCT_CHECK(m.params.overwrite, ErrorKind::Usage, folder.string(),
              " holds a finished segmentation (metrics.json); pass --overwrite to replace it");
    remove_path(metrics_path(folder));  // from here on the folder no longer looks finished
  }
  remove_old_outputs(folder);
  m.staging = folder / kStaging;
  fs::create_directories(m.staging, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", m.staging.string(), ": ", ec.message());
}

SegmentOutput::~SegmentOutput() {
  if (!impl_ || impl_->finished) return;
  std::error_code ec;
  fs::remove_all(impl_->staging, ec);
  if (impl_->created && fs::is_empty(impl_->params.folder, ec))
    fs::remove(impl_->params.folder, ec);
}

const fs::path& SegmentOutput::folder() const {
  return impl_->params.folder;
}

const fs::path& SegmentOutput::staging() const {
  return impl_->staging;
}

OutputSummary SegmentOutput::write(HostView<const float, 3> grey, const SegmentResult& result,
                                   const Metrics& metrics, const RunInfo& run) {
  Impl& m = *impl_;
  XCT_CHECK(!m.finished, ErrorKind::Internal, "segmentation output already written");
  XCT_CHECK(grey.shape() == result.labels.shape(), ErrorKind::Internal,
            "the grey volume and the labels differ in shape");
  Stopwatch clock;
  const fs::path& folder = m.params.folder;
  const fs::path& stage = m.staging;
  OutputSummary s;
  // Staged: labels, tables, overlays, the caller's files.
  LabelMeta meta;
  meta.voxel_size_um = run.params.voxel_size_um;
  meta.command = run.command;
  std::vector<fs::path> staged = write_labels(stage, m.params.format, result.labels.cview(), meta);
  label_table(metrics).write_csv(stage / "labels.csv");
  void_table(metrics).write_csv(stage / "voids.csv");
  std::vector<fs::path> tables = {stage / "labels.csv", stage / "voids.csv"};
  std::vector<fs::path> overlays;
  const auto& shape = result.labels.shape();
  s.centre_point = {shape[0] / 2, shape[1] / 2, shape[2] / 2};
  const auto crack = crack_point(result.labels.cview());
  s.crack_found = crack.has_value();
  s.crack_point = crack.value_or(s.centre_point);
  if (m.params.overlays) {
    const GreyWindow window = grey_window(grey);
    overlays = write_overlays(stage, "overlay_centre", grey, result.labels.cview(), s.centre_point,
                              window);
    const auto more =
        write_overlays(stage, "overlay_crack", grey, result.labels.cview(), s.crack_point, window);
    overlays.insert(overlays.end(), more.begin(), more.end());
  }
  std::vector<fs::path> files;
  for (const auto& [name, content] : run.files) {
    files.push_back(stage / name);
    write_file_atomic(files.back(), content);
  }
  // Into place, then the marker.
  auto move_all = [&](const std::vector<fs::path>& from, std::vector<fs::path>& to) {
    for (const auto& f : from) {
      const fs::path dest = folder / f.filename();
      std::error_code ec;
      fs::rename(f, dest, ec);
      XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot move ", f.string(), " into ", folder.string(),
                ": ", ec.message());
      to.push_back(dest);
    }
  };
  move_all(staged, s.labels);
  move_all(tables, s.tables);
  move_all(overlays, s.overlays);
  move_all(files, s.files);
  remove_path(stage);
  s.metrics = metrics_path(folder);
  s.seconds = clock.lap();
  write_file_atomic(s.metrics, metrics_document(result, metrics, run, s, m.params));
  m.finished = true;
  return s;
}

}  // namespace xct::seg
