#include "simulate/record.hpp"

#include <nlohmann/json.hpp>
#include <numbers>

#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "simulate/simulate.hpp"

using nlohmann::json;

namespace xct::sim {

namespace {

constexpr double kDegPerRad = 180 / std::numbers::pi;

json vec(const Vec3& v) {
  return json::array({v.x, v.y, v.z});
}

json conventions() {
  return {{"centre_of_rotation", "detector column of the rotation axis, 0 = centre of column 0"},
          {"volume_grid",
           "z = detector row; y, x: n_cols x n_cols centred on the rotation axis, "
           "voxel (y, x) at (x - (n_cols-1)/2, y - (n_cols-1)/2) pixels"},
          {"projection", "column u = x cos(theta) - y sin(theta) + centre"},
          {"lengths", "pixels unless the key ends in _um"},
          {"volumes", "voxels (pixel^3) unless the key ends in _um3"}};
}

json scan(const SimulationParams& p) {
  return {{"n_angles", p.n_angles},
          {"angles", "0 to 180 degrees, both end points"},
          {"n_rows", p.cell.n_rows},
          {"n_cols", p.cell.n_cols},
          {"pixel_size_um", p.detector.pixel_size_um},
          {"energy_kev", p.energy_kev},
          {"centre_of_rotation", true_centre(p)},
          {"axis_offset_px", p.axis_offset_px},
          {"supersample", p.supersample},
          {"dtype", p.detector.float_counts ? "float32" : "uint16"},
          {"format", format_name(p.format)}};
}

json materials(const Materials& m) {
  json out = json::array();
  for (const Material* x :
       {&m.nasicon, &m.nak, &m.peek, &m.sodium, &m.potassium, &m.aluminium, &m.oring, &m.air}) {
    out.push_back({{"name", x->name}, {"mu_per_cm", x->mu_per_cm}, {"delta", x->delta}});
  }
  return out;
}

json cell(const CellParams& c) {
  const double W = static_cast<double>(c.n_cols);
  const double H = c.cell_height > 0 ? c.cell_height : static_cast<double>(c.n_rows);
  const double r0 = c.first_row;
  return {{"seed", c.seed},
          {"cell_height_rows", H},
          {"first_row", r0},
          {"housing_radii_px", {c.housing_inner * W, c.housing_outer * W}},
          {"pellet_radius_px", c.pellet_radius * W},
          {"contact_radius_px", c.contact_radius * W},
          {"al_rows", {c.al_top * H - r0, c.nak_top * H - r0}},
          {"nak_rows", {c.nak_top * H - r0, c.pellet_top * H - r0}},
          {"pellet_rows", {c.pellet_top * H - r0, c.pellet_bottom * H - r0}},
          {"interface_void_fraction", c.interface_void_fraction},
          {"bubbles", c.bubbles},
          {"filaments", c.filaments},
          {"crack_opening_px", c.crack_opening_px},
          {"chip_shift_px", c.chip_shift_px}};
}

json detector(const DetectorModel& det) {
  const DetectorParams& d = det.params;
  json stripes = json::array();
  for (const auto& s : det.stripes) {
    stripes.push_back({{"kind", s.kind},
                       {"cols", {s.col0, s.col1}},
                       {"rows", {s.row0, s.row1}},
                       {"frames", {s.frame0, s.frame1}},
                       {"amplitude", s.amplitude}});
  }
  return {{"flux", d.flux},
          {"noise", d.noise},
          {"noise_seed", d.noise_seed},
          {"beam_profile", d.beam_profile},
          {"intensity_drift", d.intensity_drift ? d.drift_fraction : 0.0},
          {"dark_level", d.dark_level},
          {"read_noise", d.noise ? d.read_noise : 0.0},
          {"pixel_gain", d.pixel_gain},
          {"blur_sigma_px", d.blur_sigma_px},
          {"phase_distance_mm", d.phase_distance_mm},
          {"n_flats", d.n_flats},
          {"n_flats_after", d.n_flats_after},
          {"n_darks", d.n_darks},
          {"zingers_per_frame", d.zingers ? d.zingers_per_frame : 0.0},
          {"zinger_seed", d.zinger_seed},
          {"defect_seed", d.defect_seed},
          {"stripes", stripes}};
}

}  // namespace

struct TruthRecord::Impl {
  json doc;
  double pixel_um = 0;
};

TruthRecord::TruthRecord(const SimulationParams& p, const DetectorModel& det)
    : impl_(std::make_unique<Impl>()) {
  json& doc = impl_->doc;
  impl_->pixel_um = p.detector.pixel_size_um;

  doc["format"] = "xct simulate truth 1";
  doc["xct_version"] = kVersion;
  doc["command"] = p.command;
  doc["conventions"] = conventions();
  doc["scan"] = scan(p);
  json labels = json::object();
  for (int l = 0; l <= kChip; ++l) {
    labels[std::to_string(l)] = label_name(static_cast<std::uint8_t>(l));
  }
  doc["labels"] = labels;
  doc["materials"] = materials(p.cell.materials);
  doc["cell"] = cell(p.cell);
  doc["detector"] = detector(det);
  doc["drift"] = {
      {"max_shift_px", p.drift_px}, {"max_rotation_deg", p.drift_deg}, {"seed", p.drift_seed}};
  doc["time_steps"] = json::array();
}

TruthRecord::~TruthRecord() = default;

void TruthRecord::add_step(const StepRecord& s) {
  const double px = impl_->pixel_um, v3 = px * px * px;
  const CellLayout& lay = *s.layout;
  const StepMetrics& m = *s.metrics;
  const Pose& pose = *s.pose;
  auto zinger_list = [](const std::vector<Zinger>& list) {
    json out = json::array();
    for (const auto& z : list)
      out.push_back({z.frame, z.row, z.col});
    return out;
  };
  json voids = json::array();
  for (const auto& v : lay.voids) {
    voids.push_back({{"kind", v.kind}, {"centre", vec(v.centre)}, {"radius", v.radius}});
  }
  impl_->doc["time_steps"].push_back(
      {{"index", s.index},
       {"progress", s.progress},
       {"scan", s.scan_file},
       {"truth", s.truth_file},
       {"pose",
        {{"shift_px", vec(pose.shift)},
         {"rotation_axis", vec(pose.axis)},
         {"rotation_deg", pose.angle_rad * kDegPerRad},
         {"pivot_px", vec(pose.pivot)}}},
       {"crack",
        {{"present", lay.crack_present},
         {"fill", lay.crack_fill},
         {"opening_px", lay.crack_opening_px},
         {"volume", m.crack_volume},
         {"volume_um3", m.crack_volume * v3},
         {"depth_px", m.crack_depth},
         {"depth_um", m.crack_depth * px},
         {"azimuth_deg", lay.crack_azimuth_rad * kDegPerRad},
         {"sphere_centre", vec(lay.crack_centre)},
         {"sphere_radius", lay.crack_radius}}},
       {"chip",
        {{"separated", lay.chip_separated},
         {"volume", m.chip_volume},
         {"volume_um3", m.chip_volume * v3},
         {"shift_px", vec(lay.chip_shift)}}},
       {"contact_area_fraction", m.contact_area_fraction},
       {"interface_band_px", m.band},
       {"interface_void_volume", m.interface_void_volume},
       {"interface_void_volume_um3", m.interface_void_volume * v3},
       {"void_volume_in_nak", m.void_volume_in_nak},
       {"void_volume_in_nak_um3", m.void_volume_in_nak * v3},
       {"sodium_volume", m.sodium_volume},
       {"pellet_top_row", lay.z_top},
       {"preview_row", s.preview_row ? json(*s.preview_row) : json(nullptr)},
       {"voids", voids},
       {"filament_segments", lay.filament_segments},
       {"zingers", zinger_list(s.stats->zingers)},
       {"flat_zingers", zinger_list(s.stats->flat_zingers)},
       {"dark_zingers", zinger_list(s.stats->dark_zingers)},
       {"saturated_samples", s.stats->saturated}});
}

void TruthRecord::write(const std::filesystem::path& file) const {
  write_file_atomic(file, impl_->doc.dump(2) + "\n");
}

}  // namespace xct::sim
