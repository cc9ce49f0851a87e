#include "segment/track_output.hpp"

#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "segment/labels.hpp"
#include "segment/outputs.hpp"
#include "segment/overlay.hpp"
#include "segment/plot.hpp"
#include "segment/report.hpp"
#include "segment/volume_io.hpp"

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

namespace xct::seg {

namespace {

const char* const kStaging = ".partial";
const char* const kMarker = "track.json";

void remove_path(const fs::path& p) {
  std::error_code ec;
  fs::remove_all(p, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot remove ", p.string(), ": ", ec.message());
}

void make_dirs(const fs::path& p) {
  std::error_code ec;
  fs::create_directories(p, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", p.string(), ": ", ec.message());
}

std::string step_dir(std::size_t k) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "t%02zu", k);
  return buf;
}

// The outputs of an earlier run; recon/ (reconstructions a rerun reuses) is kept.
const std::vector<std::string> kOutputs = {"time_series.csv",
                                           "time_series.json",
                                           "registration.csv",
                                           "objects.csv",
                                           "report.html",
                                           "config.toml",
                                           "plots",
                                           "steps",
                                           kStaging};

json number(double v) {
  return std::isfinite(v) ? json(v) : json(nullptr);
}

double rotation_error_deg(const RigidTransform& a, const RigidTransform& b) {
  double trace = 0;
  for (std::size_t i = 0; i < 3; ++i)
    for (std::size_t k = 0; k < 3; ++k)
      trace += a.rotation[3 * k + i] * b.rotation[3 * k + i];
  return std::acos(std::clamp(0.5 * (trace - 1.0), -1.0, 1.0)) * 180.0 / M_PI;
}

std::string ids_text(const std::vector<std::uint32_t>& ids) {
  std::string s;
  for (auto id : ids) {
    if (!s.empty()) s += ';';
    s += std::to_string(id);
  }
  return s;
}

std::string format(double v, int digits) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

}  // namespace

TrackTruth read_track_truth(const fs::path& file, std::array<std::size_t, 3> shape) {
  std::ifstream in(file);
  XCT_CHECK(in.good(), ErrorKind::InputMissing, "truth not found: ", file.string());
  TrackTruth t;
  t.file = file;
  try {
    const auto doc = nlohmann::json::parse(in);
    const double cx = 0.5 * static_cast<double>(shape[2] - 1);
    const double cy = 0.5 * static_cast<double>(shape[1] - 1);
    for (const auto& s : doc.at("time_steps")) {
      TrackTruth::Step st;
      st.crack_volume_um3 = s.at("crack").at("volume_um3").get<double>();
      st.crack_depth_um = s.at("crack").at("depth_um").get<double>();
      st.chip_volume_um3 = s.at("chip").at("volume_um3").get<double>();
      st.chip_separated = s.at("chip").at("separated").get<bool>();
      const auto shift = s.at("chip").at("shift_px").get<std::vector<double>>();
      XCT_CHECK(shift.size() == 3, ErrorKind::BadData, "bad chip shift");
      st.chip_shift_px = {shift[0], shift[1], shift[2]};
      const auto& pose = s.at("pose");
      const auto axis = pose.at("rotation_axis").get<std::vector<double>>();
      const auto pivot = pose.at("pivot_px").get<std::vector<double>>();
      const auto move = pose.at("shift_px").get<std::vector<double>>();
      XCT_CHECK(axis.size() == 3 && pivot.size() == 3 && move.size() == 3, ErrorKind::BadData,
                "bad pose");
      const double a = pose.at("rotation_deg").get<double>() * M_PI / 180.0;
      const double n = std::sqrt(axis[0] * axis[0] + axis[1] * axis[1] + axis[2] * axis[2]);
      const double ux = n > 0 ? axis[0] / n : 0, uy = n > 0 ? axis[1] / n : 0,
                   uz = n > 0 ? axis[2] / n : 1;
      const double c = std::cos(a), si = std::sin(a), k = 1 - c;
      st.transform.rotation = {c + ux * ux * k,       ux * uy * k - uz * si, ux * uz * k + uy * si,
                               uy * ux * k + uz * si, c + uy * uy * k,       uy * uz * k - ux * si,
                               uz * ux * k - uy * si, uz * uy * k + ux * si, c + uz * uz * k};
      st.transform.centre = {pivot[0] + cx, pivot[1] + cy, pivot[2]};
      st.transform.translation = {move[0], move[1], move[2]};
      t.steps.push_back(st);
    }
  } catch (const nlohmann::json::exception& e) {
    XCT_THROW(ErrorKind::BadData, file.string(),
              " is not the truth.json of xct simulate: ", e.what());
  }
  return t;
}

Table time_table(const TrackResult& r, const std::optional<TrackTruth>& truth) {
  std::vector<std::string> cols = {"step",
                                   "name",
                                   "time",
                                   "time_label",
                                   "status",
                                   "shift_um",
                                   "rotation_deg",
                                   "registration_residual",
                                   "crack_volume_um3",
                                   "crack_depth_um",
                                   "crack_penetration_um",
                                   "crack_area_um2",
                                   "crack_opening_um",
                                   "crack_filled_fraction",
                                   "crack_pieces",
                                   "crack_ids",
                                   "chip_count",
                                   "chip_ids",
                                   "chip_volume_um3",
                                   "chip_shift_x_px",
                                   "chip_shift_y_px",
                                   "chip_shift_z_px",
                                   "chip_shift_radial_px",
                                   "chip_shift_tangential_px",
                                   "chip_displacement_um",
                                   "contact_area_fraction",
                                   "void_fraction_near",
                                   "void_volume_near_um3",
                                   "seconds"};
  if (truth)
    for (const char* c :
         {"truth_crack_volume_um3", "truth_crack_depth_um", "truth_chip_volume_um3"})
      cols.emplace_back(c);
  Table t(cols);
  for (const auto& s : r.steps) {
    std::vector<Table::Cell> row = {
        static_cast<long long>(s.index),
        s.name,
        s.time,
        s.time_label,
        s.status,
        s.ok ? s.shift_um : kNaN,
        s.ok ? s.rotation_deg : kNaN,
        s.registration.residual,
        s.crack_volume_um3,
        s.crack_depth_um,
        s.crack_penetration_um,
        s.crack_area_um2,
        s.crack_opening_um,
        s.crack_filled_fraction,
        static_cast<long long>(s.crack_pieces),
        ids_text(s.crack_ids),
        static_cast<long long>(s.chip_count),
        ids_text(s.chip_ids),
        s.chip_volume_um3,
        s.chip_shift_px[0],
        s.chip_shift_px[1],
        s.chip_shift_px[2],
        s.chip_shift_radial_px,
        s.chip_shift_tangential_px,
        s.chip_displacement_um,
        s.contact_area_fraction,
        s.void_fraction_near,
        s.void_volume_near_um3,
        s.seconds_read + s.seconds_register + s.seconds_segment + s.seconds_measure};
    if (truth) {
      const bool has = s.index < truth->steps.size();
      const auto& ts = has ? truth->steps[s.index] : TrackTruth::Step{};
      row.emplace_back(has ? ts.crack_volume_um3 : kNaN);
      row.emplace_back(has ? ts.crack_depth_um : kNaN);
      row.emplace_back(has ? ts.chip_volume_um3 : kNaN);
    }
    t.add_row(std::move(row));
  }
  return t;
}

Table registration_table(const TrackResult& r, const std::optional<TrackTruth>& truth) {
  std::vector<std::string> cols = {"step",
                                   "name",
                                   "ok",
                                   "residual",
                                   "rms_before",
                                   "rms_after",
                                   "rotation_deg",
                                   "axis_x",
                                   "axis_y",
                                   "axis_z",
                                   "translation_x_px",
                                   "translation_y_px",
                                   "translation_z_px",
                                   "iterations_translation",
                                   "iterations_rigid",
                                   "seconds",
                                   "message"};
  if (truth) {
    cols.emplace_back("error_px");
    cols.emplace_back("error_deg");
  }
  Table t(cols);
  for (const auto& s : r.steps) {
    const auto& g = s.registration;
    const auto axis = g.transform.axis();
    std::vector<Table::Cell> row = {static_cast<long long>(s.index),
                                    s.name,
                                    static_cast<long long>(g.ok ? 1 : 0),
                                    g.residual,
                                    g.rms_before,
                                    g.rms_after,
                                    g.transform.angle_deg(),
                                    axis[0],
                                    axis[1],
                                    axis[2],
                                    g.transform.translation[0],
                                    g.transform.translation[1],
                                    g.transform.translation[2],
                                    static_cast<long long>(g.iterations_translation),
                                    static_cast<long long>(g.iterations_rigid),
                                    g.seconds,
                                    g.message};
    if (truth) {
      if (s.index < truth->steps.size() && g.ok) {
        const auto& tt = truth->steps[s.index].transform;
        row.emplace_back(g.transform.max_displacement_difference(tt, r.shape));
        row.emplace_back(rotation_error_deg(g.transform, tt));
      } else {
        row.emplace_back(kNaN);
        row.emplace_back(kNaN);
      }
    }
    t.add_row(std::move(row));
  }
  return t;
}

Table objects_table(const TrackResult& r) {
  std::vector<std::string> cols = {"id", "kind", "first_step", "last_step"};
  for (const auto& s : r.steps)
    cols.push_back("volume_um3_" + step_dir(s.index));
  Table t(cols);
  for (const auto& o : r.objects) {
    std::vector<Table::Cell> row = {static_cast<long long>(o.id), std::string(label_name(o.label)),
                                    static_cast<long long>(o.first_step),
                                    static_cast<long long>(o.last_step)};
    for (std::size_t k = 0; k < r.steps.size(); ++k)
      row.emplace_back(k < o.volume_um3.size() ? o.volume_um3[k] : 0.0);
    t.add_row(std::move(row));
  }
  return t;
}

struct TrackOutput::Impl {
  TrackOutputParams params;
  fs::path stage;
  bool created = false, finished = false;
  std::vector<fs::path> labels;  // per step, staged ("" when failed)
};

TrackOutput::TrackOutput(TrackOutputParams params) : impl_(std::make_unique<Impl>()) {
  auto& m = *impl_;
  m.params = std::move(params);
  const fs::path& folder = m.params.folder;
  std::error_code ec;
  if (fs::exists(marker_path(folder), ec)) {
    XCT_CHECK(m.params.overwrite, ErrorKind::Usage, folder.string(),
              " holds a finished track (track.json); use --overwrite to replace it");
    remove_path(marker_path(folder));
  }
  m.created = !fs::exists(folder, ec);
  make_dirs(folder);
  for (const auto& name : kOutputs)
    if (fs::exists(folder / name, ec)) remove_path(folder / name);
  m.stage = folder / kStaging;
  make_dirs(m.stage);
}

TrackOutput::~TrackOutput() {
  if (!impl_ || impl_->finished) return;
  std::error_code ec;
  fs::remove_all(impl_->stage, ec);
  if (impl_->created && fs::is_empty(impl_->params.folder, ec))
    fs::remove(impl_->params.folder, ec);
}

const fs::path& TrackOutput::folder() const {
  return impl_->params.folder;
}

fs::path TrackOutput::marker_path(const fs::path& folder) {
  return folder / kMarker;
}

void TrackOutput::on_step(const StepView& step) {
  auto& m = *impl_;
  const std::size_t k = step.record.index;
  if (m.labels.size() <= k) m.labels.resize(k + 1);
  if (step.labels.size() == 0) return;
  const fs::path dir = m.stage / "steps" / step_dir(k);
  make_dirs(dir);
  LabelMeta meta;
  if (m.params.voxel_size_um > 0) meta.voxel_size_um = m.params.voxel_size_um;
  meta.command = m.params.command;
  const auto files = write_labels(dir, "h5", step.labels, meta);
  m.labels[k] = files.front();
}

TrackOutputSummary TrackOutput::finish(
    const TrackResult& r, const TrackRunInfo& run,
    const std::function<HostArray<float, 3>(std::size_t)>& grey) {
  auto& m = *impl_;
  Stopwatch clock;
  TrackOutputSummary out;
  const fs::path& folder = m.params.folder;
  const fs::path& stage = m.stage;
  m.labels.resize(r.steps.size());

  // Overlays: every step through the same point, the crack of the last step that has one.
  std::array<std::size_t, 3> point = {r.shape[0] / 2, r.shape[1] / 2, r.shape[2] / 2};
  for (std::size_t k = r.steps.size(); k-- > 0;) {
    if (m.labels[k].empty() || r.steps[k].crack_pieces == 0) continue;
    const auto labels = read_labels(m.labels[k]);
    if (const auto p = crack_point(labels.cview())) {
      point = *p;
      break;
    }
  }
  out.overlay_point = point;
  std::vector<std::vector<fs::path>> overlays(r.steps.size());
  GreyWindow window;
  for (std::size_t k = 0; k < r.steps.size(); ++k) {
    if (m.labels[k].empty()) continue;
    const auto labels = read_labels(m.labels[k]);
    const auto g = grey(k);
    if (k == 0 || window.high <= window.low) window = grey_window(g.cview());
    overlays[k] = write_overlays(m.labels[k].parent_path(), "overlay_crack", g.cview(),
                                 labels.cview(), point, window);
    if (!m.params.save_labels) remove_path(m.labels[k]);
  }

  // Tables.
  const Table times = time_table(r, run.truth);
  times.write_csv(stage / "time_series.csv");
  times.write_json(stage / "time_series.json");
  const Table reg = registration_table(r, run.truth);
  reg.write_csv(stage / "registration.csv");
  const Table objects = objects_table(r);
  objects.write_csv(stage / "objects.csv");
  if (!run.config.empty()) write_file_atomic(stage / "config.toml", run.config);

  // Plots.
  make_dirs(stage / "plots");
  std::vector<double> x, flagged;
  for (const auto& s : r.steps) {
    x.push_back(s.time);
    if (!s.ok) flagged.push_back(s.time);
  }
  std::vector<std::pair<std::string, std::string>> plots;
  auto plot = [&](const std::string& name, const std::string& title, const std::string& y_label,
                  auto value, std::function<double(const TrackTruth::Step&)> truth_value,
                  std::optional<double> y_max = std::nullopt) {
    PlotSpec spec;
    spec.title = title;
    spec.x_label = run.time_unit.empty() ? "step" : "time (" + run.time_unit + ")";
    spec.y_label = y_label;
    spec.flagged_x = flagged;
    if (r.chip_separation_step) {
      spec.event_x = {r.steps[*r.chip_separation_step].time};
      spec.event_label = "chip separates";
    }
    PlotSeries measured;
    measured.name = "measured";
    measured.x = x;
    for (const auto& s : r.steps)
      measured.y.push_back(s.ok ? value(s) : kNaN);
    spec.series.push_back(measured);
    if (run.truth && truth_value) {
      PlotSeries t;
      t.name = "truth (simulator)";
      t.dashed = true;
      t.x = x;
      for (const auto& s : r.steps)
        t.y.push_back(s.index < run.truth->steps.size() ? truth_value(run.truth->steps[s.index])
                                                        : kNaN);
      spec.series.push_back(t);
    }
    if (y_max) {
      spec.y_min = 0.0;
      spec.y_max = y_max;
    }
    const std::string svg = svg_line_plot(spec);
    write_file_atomic(stage / "plots" / (name + ".svg"), svg);
    out.plots.push_back(folder / "plots" / (name + ".svg"));
    plots.emplace_back(title, svg);
  };
  plot(
      "crack_volume", "Crack volume", "crack volume (um^3)",
      [](const StepRecord& s) { return s.crack_volume_um3; },
      [](const TrackTruth::Step& t) { return t.crack_volume_um3; });
  plot(
      "crack_depth", "Crack depth below the pellet's face", "depth (um)",
      [](const StepRecord& s) { return s.crack_depth_um; },
      [](const TrackTruth::Step& t) { return t.crack_depth_um; });
  plot("crack_opening", "Mean crack opening", "opening (um)",
       [](const StepRecord& s) { return s.crack_opening_um; }, {});
  plot("crack_area", "Crack area", "area (um^2)",
       [](const StepRecord& s) { return s.crack_area_um2; }, {});
  plot(
      "crack_filled", "Metal-filled share of the crack", "filled fraction",
      [](const StepRecord& s) { return s.crack_filled_fraction; }, {}, 1.0);
  plot(
      "chip_volume", "Chipped volume", "chip volume (um^3)",
      [](const StepRecord& s) { return s.chip_volume_um3; },
      [](const TrackTruth::Step& t) { return t.chip_volume_um3; });
  plot("chip_displacement", "Chip displacement", "displacement (um)",
       [](const StepRecord& s) { return s.chip_displacement_um; }, {});
  plot(
      "contact", "NaK / NASICON contact-area fraction", "contact fraction",
      [](const StepRecord& s) { return s.contact_area_fraction; }, {}, 1.0);
  plot("void_fraction", "Void fraction near the interface", "void fraction",
       [](const StepRecord& s) { return s.void_fraction_near; }, {});
  plot("registration_residual", "Registration residual", "residual (1: noise alone)",
       [](const StepRecord& s) { return s.registration.residual; }, {});

  // The report.
  ReportDocument doc;
  doc.title = "xct track: " + folder.filename().string();
  doc.summary.emplace_back("steps", std::to_string(r.steps.size()));
  std::size_t failed = 0;
  for (const auto& s : r.steps)
    failed += s.ok ? 0 : 1;
  doc.summary.emplace_back("failed steps", std::to_string(failed));
  doc.summary.emplace_back("chip separates at",
                           r.chip_separation_step
                               ? "step " + std::to_string(*r.chip_separation_step) + " (" +
                                     r.steps[*r.chip_separation_step].time_label + ")"
                               : "no chip");
  doc.summary.emplace_back("volume (z, y, x)", std::to_string(r.shape[0]) + " x " +
                                                   std::to_string(r.shape[1]) + " x " +
                                                   std::to_string(r.shape[2]) + " voxels of " +
                                                   format(r.voxel_size_um, 4) + " um");
  doc.summary.emplace_back("common frame", "step 0 (" + r.steps.front().name + ")");
  doc.summary.emplace_back(
      "overlay point (z, y, x)",
      std::to_string(point[0]) + ", " + std::to_string(point[1]) + ", " + std::to_string(point[2]));
  if (run.truth) doc.summary.emplace_back("scored against", run.truth->file.string());
  for (const auto& s : r.steps)
    if (!s.ok)
      doc.warnings.push_back("step " + std::to_string(s.index) + " (" + s.name + "): " + s.status);
  doc.time_table = times;
  for (const auto& s : r.steps)
    doc.highlight_rows_status.push_back(s.ok ? "" : s.status);
  doc.plots = plots;
  doc.registration = reg;
  for (const auto& s : r.steps) {
    ReportStep rs;
    rs.index = static_cast<int>(s.index);
    rs.time = s.time_label;
    rs.status = s.ok ? "ok" : s.status;
    rs.facts.emplace_back("input", s.index < run.inputs.size() ? run.inputs[s.index] : s.name);
    rs.facts.emplace_back("registration residual", format(s.registration.residual, 3));
    rs.facts.emplace_back("shift, rotation",
                          format(s.shift_um, 3) + " um, " + format(s.rotation_deg, 3) + " deg");
    rs.facts.emplace_back("crack", format(s.crack_volume_um3, 4) + " um^3, depth " +
                                       format(s.crack_depth_um, 3) + " um, ids " +
                                       (s.crack_ids.empty() ? "-" : ids_text(s.crack_ids)));
    rs.facts.emplace_back("chip", s.chip_count ? format(s.chip_volume_um3, 4) + " um^3, moved " +
                                                     format(s.chip_displacement_um, 3) + " um"
                                               : "none");
    rs.facts.emplace_back("contact fraction", format(s.contact_area_fraction, 3));
    for (const auto& f : overlays[s.index]) {
      const std::string rel = fs::relative(f, stage).generic_string();
      const std::string plane = f.stem().string().substr(f.stem().string().size() - 2);
      rs.images.push_back({rel, plane + " through the crack"});
      out.overlays.push_back(folder / rel);
    }
    doc.steps.push_back(std::move(rs));
  }
  doc.files = {{"time_series.csv", "the time table (also time_series.json)"},
               {"registration.csv", "registration residuals and transforms per step"},
               {"objects.csv", "each tracked crack and chip, its volume per step"},
               {"plots/", "each metric against time (SVG)"},
               {"steps/", "per step: labels.h5 in the common frame and the overlays"},
               {"track.json", "the run's record"}};
  doc.footer = std::string("xct ") + kGitDescribe + " — " + run.command;
  write_file_atomic(stage / "report.html", html_report(doc));

  // Into place, then the marker.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(stage, ec)) {
    const fs::path dest = folder / entry.path().filename();
    std::error_code e2;
    fs::rename(entry.path(), dest, e2);
    XCT_CHECK(!e2, ErrorKind::OutputIO, "cannot move ", entry.path().string(), " into ",
              folder.string(), ": ", e2.message());
  }
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot list ", stage.string(), ": ", ec.message());
  remove_path(stage);
  out.report = folder / "report.html";
  out.time_series_csv = folder / "time_series.csv";
  out.time_series_json = folder / "time_series.json";
  out.registration = folder / "registration.csv";
  out.objects = folder / "objects.csv";
  out.marker = marker_path(folder);

  json steps = json::array();
  for (const auto& s : r.steps) {
    json j = {{"step", s.index},
              {"name", s.name},
              {"input", s.index < run.inputs.size() ? run.inputs[s.index] : ""},
              {"volume", s.index < run.volumes.size() ? run.volumes[s.index] : ""},
              {"time", s.time},
              {"time_label", s.time_label},
              {"status", s.status},
              {"registration",
               {{"ok", s.registration.ok},
                {"residual", number(s.registration.residual)},
                {"rotation_deg", number(s.registration.transform.angle_deg())},
                {"translation_px", s.registration.transform.translation},
                {"centre_px", s.registration.transform.centre},
                {"rotation", s.registration.transform.rotation}}},
              {"crack_volume_um3", number(s.crack_volume_um3)},
              {"crack_depth_um", number(s.crack_depth_um)},
              {"chip_volume_um3", number(s.chip_volume_um3)}};
    steps.push_back(j);
  }
  std::size_t n_failed = 0;
  for (const auto& s : r.steps)
    n_failed += s.ok ? 0 : 1;
  json doc_json = {{"status", n_failed ? "finished with failed steps" : "done"},
                   {"command", run.command},
                   {"xct_version", kGitDescribe},
                   {"failed_steps", n_failed},
                   {"chip_separation_step",
                    r.chip_separation_step ? json(*r.chip_separation_step) : json(nullptr)},
                   {"shape_zyx", r.shape},
                   {"voxel_size_um", r.voxel_size_um},
                   {"max_residual", run.max_residual},
                   {"registration_mask_voxels", r.mask_voxels},
                   {"overlay_point_zyx", point},
                   {"truth", run.truth ? json(run.truth->file.string()) : json(nullptr)},
                   {"steps", steps},
                   {"files",
                    {{"report", "report.html"},
                     {"time_series", {"time_series.csv", "time_series.json"}},
                     {"registration", "registration.csv"},
                     {"objects", "objects.csv"}}},
                   {"seconds", {{"track", r.seconds}, {"outputs", clock.lap()}}}};
  write_file_atomic(out.marker, doc_json.dump(2) + "\n");
  m.finished = true;
  return out;
}

}  // namespace xct::seg
