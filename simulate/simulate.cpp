#include "simulate/simulate.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <optional>

#include <omp.h>
#include <unistd.h>

#include "core/error.hpp"
#include "io/check.hpp"
#include "simulate/preview.hpp"
#include "simulate/projector.hpp"
#include "simulate/random.hpp"
#include "simulate/record.hpp"
#include "simulate/truth_file.hpp"

namespace fs = std::filesystem;

namespace xct::sim {

namespace {

constexpr double kPi = std::numbers::pi;

std::string step_name(const char* stem, std::size_t step, const char* ext) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s_t%02zu%s", stem, step, ext);
  return buf;
}

// Exposes one time step's frames chunk by chunk into the sink: flats before, darks,
// projections, flats after. Frames of a chunk are computed in parallel; every random draw is
// seeded per frame, so the thread count does not change them.
class StepScanner {
 public:
  StepScanner(const SimulationParams& p, const DetectorModel& det, Progress& progress)
      : p_(p),
        det_(det),
        progress_(progress),
        frame_size_(p.cell.n_rows * p.cell.n_cols),
        frames_(kChunk * frame_size_),
        counts_(p.detector.float_counts ? 0 : kChunk * frame_size_),
        angles_(scan_angles(p.n_angles)),
        geom_{p.cell.n_rows, p.cell.n_cols, true_centre(p), p.detector.pixel_size_um,
              p.supersample} {}

  ExposureStats scan(std::size_t step, const Cell& cell, const Pose& pose, ScanSink& sink,
                     SinogramTap* tap) {
    ExposureStats stats;
    const auto& d = p_.detector;
    reference(step, FrameKind::Flat, 0, d.n_flats, sink, tap, stats);
    reference(step, FrameKind::Dark, 0, d.n_darks, sink, tap, stats);
    const bool phase = d.phase_distance_mm > 0;
    for (std::size_t a0 = 0; a0 < p_.n_angles; a0 += kChunk) {
      const std::size_t count = std::min(kChunk, p_.n_angles - a0);
      std::vector<ExposureStats> local(count);
#pragma omp parallel for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(count); ++k) {
        std::vector<float> trans(frame_size_), delta(phase ? frame_size_ : 0);
        project(cell.scene, pose, geom_, angles_[a0 + k], trans.data(),
                phase ? delta.data() : nullptr);
        expose(det_, FrameKind::Projection, a0 + k, step, trans.data(),
               phase ? delta.data() : nullptr, frame(k), local[k]);
      }
      for (std::size_t k = 0; k < count; ++k) {
        stats.merge(local[k]);
        if (tap) tap->add_projection(a0 + k, frame(k));
      }
      sink.write(FrameRole::Projection, a0, count, samples(count));
      progress_.advance(count);
    }
    reference(step, FrameKind::Flat, d.n_flats, d.n_flats + d.n_flats_after, sink, tap, stats);
    return stats;
  }

 private:
  static constexpr std::size_t kChunk = 16;

  float* frame(std::size_t k) {
    return frames_.data() + k * frame_size_;
  }

  // The chunk's frames in the scan's sample type.
  const void* samples(std::size_t count) {
    if (p_.detector.float_counts) return frames_.data();
    for (std::size_t i = 0; i < count * frame_size_; ++i) {
      counts_[i] = static_cast<std::uint16_t>(frames_[i]);
    }
    return counts_.data();
  }

  void reference(std::size_t step, FrameKind kind, std::size_t begin, std::size_t end,
                 ScanSink& sink, SinogramTap* tap, ExposureStats& stats) {
    for (std::size_t f0 = begin; f0 < end; f0 += kChunk) {
      const std::size_t count = std::min(kChunk, end - f0);
      std::vector<ExposureStats> local(count);
#pragma omp parallel for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(count); ++k) {
        expose(det_, kind, f0 + k, step, nullptr, nullptr, frame(k), local[k]);
      }
      for (const auto& l : local)
        stats.merge(l);
      for (std::size_t k = 0; tap && k < count; ++k) {
        if (kind == FrameKind::Dark) tap->add_dark(frame(k));
        if (kind == FrameKind::Flat && f0 + k < p_.detector.n_flats) tap->add_flat(frame(k));
      }
      sink.write(kind == FrameKind::Flat ? FrameRole::Flat : FrameRole::Dark, f0, count,
                 samples(count));
      progress_.advance(count);
    }
  }

  const SimulationParams& p_;
  const DetectorModel& det_;
  Progress& progress_;
  std::size_t frame_size_;
  std::vector<float> frames_;
  std::vector<std::uint16_t> counts_;
  std::vector<double> angles_;
  ProjectionGeometry geom_;
};

ScanLayout scan_layout(const SimulationParams& p) {
  ScanLayout l;
  l.format = p.format;
  l.dtype = p.detector.float_counts ? DType::Float32 : DType::UInt16;
  l.n_rows = p.cell.n_rows;
  l.n_cols = p.cell.n_cols;
  l.n_angles = p.n_angles;
  l.n_flats = p.detector.n_flats;
  l.n_flats_after = p.detector.n_flats_after;
  l.n_darks = p.detector.n_darks;
  for (double a : scan_angles(p.n_angles))
    l.theta_deg.push_back(a * 180 / kPi);
  l.pixel_size_um = p.detector.pixel_size_um;
  l.energy_kev = p.energy_kev;
  if (p.detector.phase_distance_mm > 0) l.distance_mm = p.detector.phase_distance_mm;
  l.deflate_level = p.deflate_level;
  return l;
}

// The files a run writes; refuses to replace existing ones unless asked to.
SimulationOutputs plan_outputs(const SimulationParams& p, const fs::path& out_dir) {
  SimulationOutputs o;
  for (std::size_t t = 0; t < p.time_steps; ++t) {
    o.scans.push_back(out_dir / step_name("scan", t, format_extension(p.format)));
    if (p.truth) o.truths.push_back(out_dir / step_name("truth", t, ".h5"));
  }
  o.truth_json = out_dir / "truth.json";
  if (!p.overwrite) {
    std::vector<fs::path> all = o.scans;
    all.insert(all.end(), o.truths.begin(), o.truths.end());
    all.push_back(o.truth_json);
    for (const auto& f : all) {
      XCT_CHECK(!fs::exists(f), ErrorKind::Usage, f.string(), " exists (use --overwrite)");
    }
  }
  return o;
}

void make_folder(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  XCT_CHECK(!ec, ErrorKind::OutputIO, "cannot create ", dir.string(), ": ", ec.message());
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
  // The axis may sit anywhere that keeps the whole cell in the field of view.
  const double room = (0.5 - p.cell.housing_outer) * static_cast<double>(p.cell.n_cols) - 1;
  XCT_CHECK(std::isfinite(p.axis_offset_px) && std::abs(p.axis_offset_px) <= room,
            ErrorKind::Usage, "the axis offset must keep the cell in the field of view: at most ",
            std::floor(std::max(0.0, room) * 10) / 10,
            " px for this cell (a smaller --cell-radius leaves more room)");
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

// Memory a run holds at once, whatever the number of angles or time steps.
std::size_t working_memory(const SimulationParams& p) {
  const std::size_t H = p.cell.n_rows, W = p.cell.n_cols, frame = H * W;
  const auto threads = static_cast<std::size_t>(std::max(1, omp_get_max_threads()));
  std::size_t bytes = 16 * frame * (4 + 2);  // a chunk of frames, float and uint16
  bytes += threads * frame * (4 + 4 + 8);    // per thread: transmission, delta, exposure
  bytes += 3 * frame * 4;                    // the detector's beam, gain and dark maps
  if (p.truth) bytes += 8 * W * W * (p.truth_attenuation ? 5 : 1);  // a slab of truth slices
  if (p.previews) bytes += p.n_angles * W * 4;                      // the preview's sinogram
  return bytes;
}

SimulationOutputs simulate(const SimulationParams& p, const fs::path& out_dir, Logger& log,
                           Progress::Style progress_style) {
  validate(p);
  const std::size_t needed = working_memory(p);
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page > 0) {
    const auto ram = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page);
    XCT_CHECK(needed < ram / 10 * 8, ErrorKind::Usage, "simulating this detector needs about ",
              human_bytes(needed), " of memory and this machine has ", human_bytes(ram),
              ": use fewer --cols or --rows");
  }
  // Placing the voids can fail (too large a fraction asked for): find out before writing.
  build_cell(p.cell, {step_progress(p, 0)});
  const std::size_t H = p.cell.n_rows, W = p.cell.n_cols;
  SimulationOutputs outputs = plan_outputs(p, out_dir);
  make_folder(out_dir);

  const DetectorModel det = make_detector(p.detector, H, W, p.n_angles);
  const std::size_t frames =
      p.n_angles + p.detector.n_flats + p.detector.n_flats_after + p.detector.n_darks;
  log.info("simulating ", p.time_steps, " scan(s) of ", p.n_angles, " angles on a ", W, " x ", H,
           " detector; rotation axis at column ", true_centre(p), "; working memory about ",
           human_bytes(needed));
  Progress progress("simulate", p.time_steps * (frames + (p.truth ? H : 0)), stderr,
                    progress_style);
  StepScanner scanner(p, det, progress);
  TruthRecord record(p, det);
  ScanLayout layout = scan_layout(p);
  const TruthFileOptions truth_options{H,
                                       W,
                                       p.truth_supersample,
                                       p.truth_attenuation,
                                       p.detector.pixel_size_um,
                                       p.deflate_level,
                                       p.command};
  for (std::size_t t = 0; t < p.time_steps; ++t) {
    const double prog = step_progress(p, t);
    const Cell cell = build_cell(p.cell, {prog});
    const Pose pose = step_pose(p, t);
    layout.description = "xct simulate: in situ NaK | NASICON cell, time step " + std::to_string(t);
    const std::size_t shown_row = preview_row(cell.layout, H);
    std::optional<SinogramTap> tap;
    if (p.previews) tap.emplace(shown_row, p.n_angles, W);

    const auto sink = open_scan_sink(outputs.scans[t], layout);
    const ExposureStats stats = scanner.scan(t, cell, pose, *sink, tap ? &*tap : nullptr);
    sink->commit();
    if (stats.saturated > 0) {
      log.warn("time step ", t, ": ", stats.saturated, " samples saturated at 65535");
    }
    if (p.truth) write_truth_file(outputs.truths[t], cell, pose, truth_options, progress);
    if (tap) {
      make_folder(out_dir / "previews");
      outputs.previews.push_back(out_dir / "previews" / step_name("truth", t, ".png"));
      write_truth_preview(outputs.previews.back(), cell, pose, W, H, shown_row);
      outputs.previews.push_back(out_dir / "previews" / step_name("sinogram", t, ".png"));
      write_sinogram_preview(outputs.previews.back(), *tap);
    }

    const StepMetrics m = measure(cell, p.cell, p.band_um / p.detector.pixel_size_um);
    outputs.metrics.push_back(m);
    StepRecord rec;
    rec.index = t;
    rec.progress = prog;
    rec.scan_file = outputs.scans[t].filename().string();
    rec.truth_file = p.truth ? outputs.truths[t].filename().string() : "";
    rec.pose = &pose;
    rec.layout = &cell.layout;
    rec.metrics = &m;
    rec.stats = &stats;
    if (p.previews) rec.preview_row = shown_row;
    record.add_step(rec);
    log.info("time step ", t, ": progress ", prog, ", crack ", m.crack_volume, " voxels, chip ",
             m.chip_volume, " voxels, contact ", m.contact_area_fraction);
  }
  progress.finish();
  record.write(outputs.truth_json);
  return outputs;
}

}  // namespace xct::sim
