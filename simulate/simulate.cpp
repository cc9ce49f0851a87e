#include "simulate/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <sstream>

#include "core/error.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/dx_writer.hpp"
#include "io/hdf5.hpp"
#include "io/nexus_writer.hpp"
#include "io/tiff.hpp"
#include "simulate/preview.hpp"
#include "simulate/projector.hpp"
#include "simulate/random.hpp"

namespace fs = std::filesystem;
using nlohmann::json;

namespace xct::sim {

namespace {

constexpr double kPi = std::numbers::pi;

std::string step_name(const char* stem, std::size_t step, const char* ext) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_t%02zu%s", stem, step, ext);
  return buf;
}

// Where a scan's frames go: a Data Exchange file, or a folder of TIFF files.
class ScanSink {
 public:
  virtual ~ScanSink() = default;
  // `data`: uint16 or float32 samples, as the scan's type says.
  virtual void write(FrameRole role, std::size_t first, std::size_t count, const void* data) = 0;
  virtual void commit() = 0;
};

class Hdf5Sink final : public ScanSink {
 public:
  Hdf5Sink(const fs::path& file, const DxScan& layout) : w_(file, layout) {}
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    w_.write_frames(role, first, count, data);
  }
  void commit() override { w_.commit(); }

 private:
  DxWriter w_;
};

// One NXtomo stack in acquisition order: darks, flats before, projections, flats after.
class NexusSink final : public ScanSink {
 public:
  NexusSink(const fs::path& file, NxTomoLayout layout, std::size_t n_darks, std::size_t n_flats,
            std::size_t n_angles)
      : w_(file, layout), n_darks_(n_darks), n_flats_(n_flats), n_angles_(n_angles) {}
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    std::size_t at = first;  // darks come first
    if (role == FrameRole::Flat) {
      at = first < n_flats_ ? n_darks_ + first : n_darks_ + n_angles_ + first;
    }
    if (role == FrameRole::Projection) at = n_darks_ + n_flats_ + first;
    w_.write_frames(at, count, data);
  }
  void commit() override { w_.commit(); }

 private:
  NxTomoWriter w_;
  std::size_t n_darks_, n_flats_, n_angles_;
};

// proj/proj_NNNNN.tif, flat_NNNNN.tif, dark_NNNNN.tif and angles.txt (degrees) in a folder
// built under a temporary name and renamed into place when complete.
class TiffSink final : public ScanSink {
 public:
  TiffSink(fs::path folder, DType dtype, std::size_t rows, std::size_t cols,
           const std::vector<double>& deg)
      : final_(std::move(folder)), dtype_(dtype), rows_(rows), cols_(cols) {
    std::string name = final_.filename().string();
    name.insert(0, 1, '.');
    name.append(".tmp");
    temp_ = final_.parent_path() / name;
    std::error_code ec;
    fs::remove_all(temp_, ec);
    fs::create_directories(temp_ / "proj", ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", temp_.string(), ": ", ec.message());
    std::ostringstream text;
    text.precision(17);
    for (double d : deg)
      text << d << "\n";
    write_file_atomic(temp_ / "angles.txt", text.str());
  }
  ~TiffSink() override {
    if (!committed_) {
      std::error_code ec;
      fs::remove_all(temp_, ec);
    }
  }
  void write(FrameRole role, std::size_t first, std::size_t count, const void* data) override {
    const char* stem = role == FrameRole::Projection ? "proj/proj_"
                       : role == FrameRole::Flat     ? "flat_"
                                                     : "dark_";
    for (std::size_t i = 0; i < count; ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "%s%05zu.tif", stem, first + i);
      const std::size_t bytes = rows_ * cols_ * dtype_size(dtype_);
      write_tiff_pages(temp_ / name, dtype_, static_cast<const char*>(data) + i * bytes, 1, rows_,
                       cols_);
    }
  }
  void commit() override {
    std::error_code ec;
    fs::remove_all(final_, ec);
    fs::rename(temp_, final_, ec);
    XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot rename ", temp_.string(), " to ", final_.string(),
              ": ", ec.message());
    committed_ = true;
  }

 private:
  fs::path final_, temp_;
  DType dtype_;
  std::size_t rows_, cols_;
  bool committed_ = false;
};

json vec_json(const Vec3& v) {
  return json::array({v.x, v.y, v.z});
}

void write_truth_volumes(const fs::path& file, const Cell& cell, const Pose& pose,
                         const SimulationParams& p, Progress& progress) {
  const std::size_t nz = p.cell.n_rows, n = p.cell.n_cols;
  AtomicFile out(file);
  h5::File f = h5::create_file(out.temp_path());
  {
    h5::Dataset labels =
        h5::create_dataset(f.id(), "/labels", H5T_STD_U8LE, {nz, n, n}, {1, n, n}, p.deflate_level);
    const bool with_mu = p.truth_attenuation;
    h5::Dataset mu;
    if (with_mu) {
      mu = h5::create_dataset(f.id(), "/attenuation", H5T_IEEE_F32LE, {nz, n, n}, {1, n, n},
                              p.deflate_level);
      h5::write_attribute(mu.id(), "axes", "z:y:x");
      h5::write_attribute(mu.id(), "units", "1/cm");
      h5::write_attribute(mu.id(), "voxel_size_um", p.detector.pixel_size_um);
      h5::write_attribute(mu.id(), "command", p.command);
    }
    std::string names;
    for (int l = 0; l <= kChip; ++l) {
      names += (l ? ", " : "") + std::to_string(l) + " " + label_name(static_cast<std::uint8_t>(l));
    }
    h5::write_attribute(labels.id(), "axes", "z:y:x");
    h5::write_attribute(labels.id(), "labels", names);
    h5::write_attribute(labels.id(), "voxel_size_um", p.detector.pixel_size_um);
    h5::write_attribute(labels.id(), "command", p.command);
    const std::size_t slab = 8;
    std::vector<std::uint8_t> lab(slab * n * n);
    std::vector<float> att(with_mu ? slab * n * n : 0);
    for (std::size_t z0 = 0; z0 < nz; z0 += slab) {
      const std::size_t count = std::min(slab, nz - z0);
#pragma omp parallel for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(count); ++k) {
        truth_slice(cell.scene, pose, n, z0 + k, p.truth_supersample, lab.data() + k * n * n,
                    with_mu ? att.data() + k * n * n : nullptr);
      }
      h5::write_block(labels, {z0, 0, 0}, {count, n, n}, H5T_NATIVE_UINT8, lab.data());
      if (with_mu) h5::write_block(mu, {z0, 0, 0}, {count, n, n}, H5T_NATIVE_FLOAT, att.data());
      progress.advance(count);
    }
  }
  f.close();
  out.commit();
}

}  // namespace

void validate(const SimulationParams& p) {
  auto usage = [](bool ok, const std::string& what) { XCT_CHECK(ok, ErrorKind::Usage, what); };
  validate(p.cell);
  validate(p.detector);
  usage(p.n_angles >= 2 && p.n_angles <= 100000, "the scan needs between 2 and 100000 angles");
  usage(p.time_steps >= 1 && p.time_steps <= 100, "time steps must lie in [1, 100]");
  usage(!p.progress || (*p.progress >= 0 && *p.progress <= 1), "progress must lie in [0, 1]");
  usage(!p.progress || p.time_steps == 1, "progress applies to a single scan only");
  usage(std::isfinite(p.axis_offset_px) &&
            std::abs(p.axis_offset_px) <= 0.05 * static_cast<double>(p.cell.n_cols),
        "the axis offset must lie within 5% of the detector width");
  usage(p.supersample >= 1 && p.supersample <= 8, "supersampling must lie in [1, 8]");
  usage(p.truth_supersample >= 1 && p.truth_supersample <= 8,
        "truth supersampling must lie in [1, 8]");
  usage(p.drift_px >= 0 && p.drift_px <= 10, "the drift must lie in [0, 10] pixels");
  usage(p.drift_deg >= 0 && p.drift_deg <= 5, "the drift rotation must lie in [0, 5] degrees");
  // The cell must stay inside the field of view whatever the drift.
  const double W = static_cast<double>(p.cell.n_cols);
  const double reach = p.cell.housing_outer * W + std::sqrt(2.0) * p.drift_px +
                       std::sin(p.drift_deg * kPi / 180) * W + std::abs(p.axis_offset_px);
  usage(p.time_steps == 1 || reach < 0.5 * W - 1,
        "the cell would drift out of the field of view: lower --drift or --drift-deg, or use "
        "more --cols");
  usage(p.band_um > 0 && std::isfinite(p.band_um), "the interface band must be positive");
  usage(p.deflate_level >= 0 && p.deflate_level <= 9, "compression must lie in [0, 9]");
  usage(p.detector.n_flats_after == 0 || p.format == ScanFormat::Nexus,
        "flats after the projections need the NeXus format (--format nexus), which keeps them "
        "apart from those before");
}

double true_centre(const SimulationParams& p) {
  return (static_cast<double>(p.cell.n_cols) - 1) / 2 + p.axis_offset_px;
}

std::vector<double> scan_angles(std::size_t n_angles) {
  std::vector<double> a(n_angles);
  for (std::size_t i = 0; i < n_angles; ++i) {
    a[i] = kPi * static_cast<double>(i) / static_cast<double>(n_angles - 1);
  }
  return a;
}

double step_progress(const SimulationParams& p, std::size_t step) {
  if (p.time_steps == 1) return p.progress.value_or(0.5);
  return static_cast<double>(step) / static_cast<double>(p.time_steps - 1);
}

Pose step_pose(const SimulationParams& p, std::size_t step) {
  Pose pose;
  pose.pivot = {0, 0, (static_cast<double>(p.cell.n_rows) - 1) / 2};
  if (step == 0) return pose;
  Rng r(mix_seed(p.drift_seed, 0xD81F7, step));
  pose.shift = {r.uniform(-p.drift_px, p.drift_px), r.uniform(-p.drift_px, p.drift_px),
                r.uniform(-p.drift_px, p.drift_px)};
  Vec3 axis{r.normal(), r.normal(), r.normal()};
  if (norm(axis) < 1e-9) axis = {0, 0, 1};
  pose.axis = normalized(axis);
  pose.angle_rad = r.uniform(0, p.drift_deg) * kPi / 180;
  pose.rotation = Mat3::rotation(pose.axis, pose.angle_rad);
  return pose;
}

SimulationOutputs simulate(const SimulationParams& p, const fs::path& out_dir, Logger& log,
                           Progress::Style progress_style) {
  validate(p);
  const std::size_t H = p.cell.n_rows, W = p.cell.n_cols, T = p.time_steps;
  SimulationOutputs outputs;
  for (std::size_t t = 0; t < T; ++t) {
    const char* ext = p.format == ScanFormat::Hdf5    ? ".h5"
                      : p.format == ScanFormat::Nexus ? ".nxs"
                                                      : "";
    outputs.scans.push_back(out_dir / step_name("scan", t, ext));
    if (p.truth) outputs.truths.push_back(out_dir / step_name("truth", t, ".h5"));
  }
  outputs.truth_json = out_dir / "truth.json";
  if (!p.overwrite) {
    std::vector<fs::path> all = outputs.scans;
    all.insert(all.end(), outputs.truths.begin(), outputs.truths.end());
    all.push_back(outputs.truth_json);
    for (const auto& f : all) {
      XCT_CHECK(!fs::exists(f), ErrorKind::Usage, f.string(), " exists (use --overwrite)");
    }
  }
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", out_dir.string(), ": ", ec.message());

  const DetectorModel det = make_detector(p.detector, H, W, p.n_angles);
  const std::vector<double> angles = scan_angles(p.n_angles);
  std::vector<double> theta_deg(angles.size());
  for (std::size_t i = 0; i < angles.size(); ++i)
    theta_deg[i] = angles[i] * 180 / kPi;
  ProjectionGeometry geom{H, W, true_centre(p), p.detector.pixel_size_um, p.supersample};
  const double px_um = p.detector.pixel_size_um;
  const double band_px = p.band_um / px_um;
  const bool phase = p.detector.phase_distance_mm > 0;
  const std::size_t frames_per_step =
      p.n_angles + p.detector.n_flats + p.detector.n_flats_after + p.detector.n_darks;

  log.info("simulating ", T, " scan(s) of ", p.n_angles, " angles on a ", W, " x ", H,
           " detector; rotation axis at column ", geom.centre);
  Progress progress("simulate", T * (frames_per_step + (p.truth ? H : 0)), stderr, progress_style);

  json doc;
  doc["format"] = "xct simulate truth 1";
  doc["xct_version"] = kVersion;
  doc["command"] = p.command;
  doc["conventions"] = {
      {"centre_of_rotation", "detector column of the rotation axis, 0 = centre of column 0"},
      {"volume_grid",
       "z = detector row; y, x: n_cols x n_cols centred on the rotation axis, "
       "voxel (y, x) at (x - (n_cols-1)/2, y - (n_cols-1)/2) pixels"},
      {"projection", "column u = x cos(theta) - y sin(theta) + centre"},
      {"lengths", "pixels unless the key ends in _um"},
      {"volumes", "voxels (pixel^3) unless the key ends in _um3"}};
  const auto& d = p.detector;
  doc["scan"] = {{"n_angles", p.n_angles},
                 {"angles", "0 to 180 degrees, both end points"},
                 {"n_rows", H},
                 {"n_cols", W},
                 {"pixel_size_um", px_um},
                 {"energy_kev", p.energy_kev},
                 {"centre_of_rotation", geom.centre},
                 {"axis_offset_px", p.axis_offset_px},
                 {"supersample", p.supersample},
                 {"dtype", d.float_counts ? "float32" : "uint16"},
                 {"format", p.format == ScanFormat::Hdf5    ? "data-exchange"
                            : p.format == ScanFormat::Nexus ? "nexus"
                                                            : "tiff"}};
  json labels = json::object();
  for (int l = 0; l <= kChip; ++l)
    labels[std::to_string(l)] = label_name(static_cast<std::uint8_t>(l));
  doc["labels"] = labels;
  const Materials& mats = p.cell.materials;
  json materials = json::array();
  for (const Material* m : {&mats.nasicon, &mats.nak, &mats.peek, &mats.sodium, &mats.potassium,
                            &mats.aluminium, &mats.oring, &mats.air}) {
    materials.push_back({{"name", m->name}, {"mu_per_cm", m->mu_per_cm}, {"delta", m->delta}});
  }
  doc["materials"] = materials;
  const auto& c = p.cell;
  const double CH = c.cell_height > 0 ? c.cell_height : static_cast<double>(H);
  const double R0 = c.first_row;
  doc["cell"] = {{"seed", c.seed},
                 {"cell_height_rows", CH},
                 {"first_row", R0},
                 {"housing_radii_px", {c.housing_inner * W, c.housing_outer * W}},
                 {"pellet_radius_px", c.pellet_radius * W},
                 {"contact_radius_px", c.contact_radius * W},
                 {"al_rows", {c.al_top * CH - R0, c.nak_top * CH - R0}},
                 {"nak_rows", {c.nak_top * CH - R0, c.pellet_top * CH - R0}},
                 {"pellet_rows", {c.pellet_top * CH - R0, c.pellet_bottom * CH - R0}},
                 {"interface_void_fraction", c.interface_void_fraction},
                 {"bubbles", c.bubbles},
                 {"filaments", c.filaments},
                 {"crack_opening_px", c.crack_opening_px},
                 {"chip_shift_px", c.chip_shift_px}};
  json stripes = json::array();
  for (const auto& s : det.stripes) {
    stripes.push_back({{"kind", s.kind},
                       {"cols", {s.col0, s.col1}},
                       {"rows", {s.row0, s.row1}},
                       {"frames", {s.frame0, s.frame1}},
                       {"amplitude", s.amplitude}});
  }
  doc["detector"] = {{"flux", d.flux},
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
                     {"zingers_per_projection", d.zingers ? d.zingers_per_projection : 0.0},
                     {"zinger_seed", d.zinger_seed},
                     {"defect_seed", d.defect_seed},
                     {"stripes", stripes}};
  doc["drift"] = {
      {"max_shift_px", p.drift_px}, {"max_rotation_deg", p.drift_deg}, {"seed", p.drift_seed}};
  doc["time_steps"] = json::array();

  const DType dtype = d.float_counts ? DType::Float32 : DType::UInt16;
  DxScan layout;
  layout.projections = {dtype, nullptr, p.n_angles, H, W};
  layout.flats = {dtype, nullptr, d.n_flats, H, W};
  layout.darks = {dtype, nullptr, d.n_darks, H, W};
  layout.theta_deg = theta_deg;
  layout.pixel_size_um = px_um;
  layout.energy_kev = p.energy_kev;
  if (phase) layout.distance_mm = d.phase_distance_mm;
  layout.deflate_level = p.deflate_level;

  const std::size_t chunk = 16;
  std::vector<float> frames(chunk * H * W);
  std::vector<std::uint16_t> counts(d.float_counts ? 0 : chunk * H * W);
  // The frames of a chunk in the scan's type.
  auto samples = [&](std::size_t count) -> const void* {
    if (d.float_counts) return frames.data();
    for (std::size_t i = 0; i < count * H * W; ++i) {
      counts[i] = static_cast<std::uint16_t>(frames[i]);
    }
    return counts.data();
  };
  for (std::size_t t = 0; t < T; ++t) {
    const double prog = step_progress(p, t);
    const Cell cell = build_cell(p.cell, {prog});
    const Pose pose = step_pose(p, t);
    layout.description = "xct simulate: in situ NaK | NASICON cell, time step " + std::to_string(t);
    std::unique_ptr<ScanSink> sink;
    if (p.format == ScanFormat::Hdf5) {
      sink = std::make_unique<Hdf5Sink>(outputs.scans[t], layout);
    } else if (p.format == ScanFormat::Nexus) {
      NxTomoLayout nx;
      nx.dtype = dtype;
      nx.n_rows = H;
      nx.n_cols = W;
      nx.image_key.insert(nx.image_key.end(), d.n_darks, 2);
      nx.image_key.insert(nx.image_key.end(), d.n_flats, 1);
      nx.image_key.insert(nx.image_key.end(), p.n_angles, 0);
      nx.image_key.insert(nx.image_key.end(), d.n_flats_after, 1);
      nx.rotation_deg.assign(d.n_darks + d.n_flats, 0.0);
      nx.rotation_deg.insert(nx.rotation_deg.end(), theta_deg.begin(), theta_deg.end());
      nx.rotation_deg.insert(nx.rotation_deg.end(), d.n_flats_after, 180.0);
      nx.pixel_size_um = px_um;
      nx.energy_kev = p.energy_kev;
      if (phase) nx.distance_mm = d.phase_distance_mm;
      nx.title = layout.description;
      nx.deflate_level = p.deflate_level;
      sink = std::make_unique<NexusSink>(outputs.scans[t], nx, d.n_darks, d.n_flats, p.n_angles);
    } else {
      sink = std::make_unique<TiffSink>(outputs.scans[t], dtype, H, W, theta_deg);
    }
    ExposureStats stats;
    const std::size_t shown_row = preview_row(cell.layout, H);
    std::optional<SinogramTap> tap;
    if (p.previews) tap.emplace(shown_row, p.n_angles, W);
    // Flats and darks: the flats before the projections, the darks, then the flats after.
    auto reference_frames = [&](FrameKind kind, std::size_t begin, std::size_t end) {
      for (std::size_t f0 = begin; f0 < end; f0 += chunk) {
        const std::size_t count = std::min(chunk, end - f0);
#pragma omp parallel for schedule(dynamic, 1)
        for (long k = 0; k < static_cast<long>(count); ++k) {
          ExposureStats local;
          expose(det, kind, f0 + k, t, nullptr, nullptr, frames.data() + k * H * W, local);
        }
        for (std::size_t k = 0; tap && k < count; ++k) {
          if (kind == FrameKind::Dark) tap->add_dark(frames.data() + k * H * W);
          if (kind == FrameKind::Flat && f0 + k < d.n_flats)
            tap->add_flat(frames.data() + k * H * W);
        }
        sink->write(kind == FrameKind::Flat ? FrameRole::Flat : FrameRole::Dark, f0, count,
                    samples(count));
        progress.advance(count);
      }
    };
    reference_frames(FrameKind::Flat, 0, d.n_flats);
    reference_frames(FrameKind::Dark, 0, d.n_darks);
    for (std::size_t a0 = 0; a0 < p.n_angles; a0 += chunk) {
      const std::size_t count = std::min(chunk, p.n_angles - a0);
      std::vector<ExposureStats> local(count);
#pragma omp parallel for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(count); ++k) {
        std::vector<float> trans(H * W), delta(phase ? H * W : 0);
        project(cell.scene, pose, geom, angles[a0 + k], trans.data(),
                phase ? delta.data() : nullptr);
        expose(det, FrameKind::Projection, a0 + k, t, trans.data(), phase ? delta.data() : nullptr,
               frames.data() + k * H * W, local[k]);
      }
      for (auto& l : local) {
        stats.saturated += l.saturated;
        stats.zingers.insert(stats.zingers.end(), l.zingers.begin(), l.zingers.end());
      }
      for (std::size_t k = 0; tap && k < count; ++k) {
        tap->add_projection(a0 + k, frames.data() + k * H * W);
      }
      sink->write(FrameRole::Projection, a0, count, samples(count));
      progress.advance(count);
    }
    reference_frames(FrameKind::Flat, d.n_flats, d.n_flats + d.n_flats_after);
    sink->commit();
    if (stats.saturated > 0) {
      log.warn("time step ", t, ": ", stats.saturated, " samples saturated at 65535");
    }
    if (p.truth) write_truth_volumes(outputs.truths[t], cell, pose, p, progress);
    if (tap) {
      const fs::path dir = out_dir / "previews";
      fs::create_directories(dir, ec);
      XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", dir.string(), ": ", ec.message());
      outputs.previews.push_back(dir / step_name("truth", t, ".png"));
      write_truth_preview(outputs.previews.back(), cell, pose, W, H, shown_row);
      outputs.previews.push_back(dir / step_name("sinogram", t, ".png"));
      write_sinogram_preview(outputs.previews.back(), *tap);
    }

    const StepMetrics m = measure(cell, p.cell, band_px);
    outputs.metrics.push_back(m);
    const double v3 = px_um * px_um * px_um;
    const CellLayout& lay = cell.layout;
    json zingers = json::array();
    for (const auto& z : stats.zingers)
      zingers.push_back({z.frame, z.row, z.col});
    json voids = json::array();
    for (const auto& v : lay.voids) {
      voids.push_back({{"kind", v.kind}, {"centre", vec_json(v.centre)}, {"radius", v.radius}});
    }
    json step = {{"index", t},
                 {"progress", prog},
                 {"scan", outputs.scans[t].filename().string()},
                 {"truth", p.truth ? outputs.truths[t].filename().string() : ""},
                 {"pose",
                  {{"shift_px", vec_json(pose.shift)},
                   {"rotation_axis", vec_json(pose.axis)},
                   {"rotation_deg", pose.angle_rad * 180 / kPi},
                   {"pivot_px", vec_json(pose.pivot)}}},
                 {"crack",
                  {{"present", lay.crack_present},
                   {"fill", lay.crack_fill},
                   {"opening_px", lay.crack_opening_px},
                   {"volume", m.crack_volume},
                   {"volume_um3", m.crack_volume * v3},
                   {"depth_px", m.crack_depth},
                   {"depth_um", m.crack_depth * px_um},
                   {"azimuth_deg", lay.crack_azimuth_rad * 180 / kPi},
                   {"sphere_centre", vec_json(lay.crack_centre)},
                   {"sphere_radius", lay.crack_radius}}},
                 {"chip",
                  {{"separated", lay.chip_separated},
                   {"volume", m.chip_volume},
                   {"volume_um3", m.chip_volume * v3},
                   {"shift_px", vec_json(lay.chip_shift)}}},
                 {"contact_area_fraction", m.contact_area_fraction},
                 {"interface_band_px", band_px},
                 {"interface_void_volume", m.interface_void_volume},
                 {"interface_void_volume_um3", m.interface_void_volume * v3},
                 {"void_volume_in_nak", m.void_volume_in_nak},
                 {"void_volume_in_nak_um3", m.void_volume_in_nak * v3},
                 {"sodium_volume", m.sodium_volume},
                 {"pellet_top_row", lay.z_top},
                 {"preview_row", p.previews ? json(shown_row) : json(nullptr)},
                 {"voids", voids},
                 {"filament_segments", lay.filament_segments},
                 {"zingers", zingers},
                 {"saturated_samples", stats.saturated}};
    doc["time_steps"].push_back(step);
    log.info("time step ", t, ": progress ", prog, ", crack ", m.crack_volume, " voxels, chip ",
             m.chip_volume, " voxels, contact ", m.contact_area_fraction);
  }
  progress.finish();
  write_file_atomic(outputs.truth_json, doc.dump(2) + "\n");
  return outputs;
}

}  // namespace xct::sim
