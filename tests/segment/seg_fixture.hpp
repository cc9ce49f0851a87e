// Volumes from the whole chain for the segmentation bench: the simulator's raw
// scan of the cell at its default beam (flux 10000, projection SNR about 100; every detector
// effect on) reconstructed by xct's own CPU chain as `xct recon --rings all --rotation-axis C`
// runs it (median flats and darks, zingers, Vo's combined ring removal, Hann-filtered FBP,
// 1/cm), with the simulator's truth beside it. The noise (0.4-0.45 /cm per voxel), the
// residual rings, the blur and the partial volume are the ones a user sees.
//
// A case is made once into a cache folder and reused while complete (case.json, written
// last, marks it): $XCT_SEG_CACHE/xct-seg-cache-<hash> or /tmp/xct-seg-cache-<hash>, the hash
// over the parameters and the xct version. Processes making the same case at once take turns
// (a lock file beside the folder), so ctest running tests in parallel makes each case once.
// The raw scan is deleted once reconstructed: a case keeps truth_t00.h5, truth.json and
// recon/recon.h5 (20 MB at 160^3). The key does not see uncommitted edits to the simulator or
// the reconstruction: after one, remove the folders (rm -rf /tmp/xct-seg-cache-*).
//
// Header-only, so that bench/segment_bench.cpp (and any test) can use it without a library of
// its own; it needs xct_simulate, xct_recon, xct_io and xct_core.
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <system_error>

#include "core/array.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/stopwatch.hpp"
#include "core/version.hpp"
#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "io/hdf5_volume.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"
#include "io/volume_output.hpp"
#include "recon/pipeline.hpp"
#include "recon/rings.hpp"
#include "simulate/simulate.hpp"

namespace xct::test {

struct SegCaseParams {
  double progress = 0.6;   // failure progress: 0 intact, 0.6 a growing crack, 1 a chip cut off
  std::uint64_t seed = 1;  // every seed of the simulator (cell, noise, zingers, defects)
  std::size_t n_cols = 160;
  std::size_t n_rows = 0;  // detector rows = slices; 0: n_cols (the whole cell)
  std::size_t angles = 3001;
  double flux = 10000;  // counts per pixel in a flat: projection SNR about 100
  // Ring removal of the reconstruction. "all" (Vo's combination) leaves rings of at most
  // 0.03 /cm in air and 0.08 /cm in the pellet here, inside the notes' 0.02-0.2 /cm after
  // correction, at the cost of some of the housing's contrast (0.12 instead of 0.19 /cm over
  // air: the detection takes part of a tube concentric with the axis for a stripe). "sort"
  // (xct recon's default) leaves the simulator's large stripe as a ring of +-0.5 /cm.
  std::string rings = "all";
  // false: the simulator's true centre, given as `xct recon --rotation-axis` would; true:
  // measured as `xct recon` does by default (Vo's method on the middle rows), which on a
  // cell a few hundred pixels wide at 1.3 um is about 1 px off (docs/centre.md: a small cell
  // absorbs too little for the metric), a blur no real scan is reconstructed with.
  bool measure_centre = false;
  std::filesystem::path cache;  // folder for the cases; empty: $XCT_SEG_CACHE, else /tmp
  // What make_seg_case reads back (not part of the case): the volume and the truth labels.
  bool load_volume = true, load_labels = true;
};

// The truth of the case's time step, from truth.json (volumes in voxels).
struct SegTruthMetrics {
  double crack_volume = 0, crack_depth_px = 0, chip_volume = 0;
  double contact_area_fraction = 0, void_volume_in_nak = 0, interface_void_volume = 0;
  double pellet_top_row = 0;
  bool crack_present = false, chip_separated = false;
};

struct SegCase {
  SegCaseParams params;
  std::filesystem::path folder;       // the cache folder
  std::filesystem::path truth_file;   // truth_t00.h5 (/labels)
  std::filesystem::path volume_file;  // recon/recon.h5
  HostArray<float, 3> volume;         // (z, y, x), 1/cm
  HostArray<std::uint8_t, 3> labels;  // truth labels (z, y, x), simulate/scene.hpp values
  SegTruthMetrics truth;
  nlohmann::json truth_step;  // truth.json's time_steps[0]
  double voxel_size_um = 0;
  double true_centre = 0, centre = 0;  // detector columns; centre: the one reconstructed with
  double seconds_simulate = 0, seconds_recon = 0;  // when made (not this call, if reused)
  bool reused = false;                             // read from the cache
};

namespace seg_fixture_detail {

inline std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// The simulator's parameters of a case: one scan at the case's progress, no drift (step 0),
// every detector effect on; labels as truth, no previews.
inline sim::SimulationParams sim_params(const SegCaseParams& c) {
  sim::SimulationParams p;
  p.cell.n_cols = c.n_cols;
  p.cell.n_rows = c.n_rows ? c.n_rows : c.n_cols;
  p.cell.seed = c.seed;
  p.detector.noise_seed = p.detector.zinger_seed = p.detector.defect_seed = c.seed;
  p.detector.flux = c.flux;
  p.drift_seed = c.seed;
  p.n_angles = c.angles;
  p.time_steps = 1;
  p.progress = c.progress;
  p.truth = true;
  p.truth_attenuation = false;
  p.previews = false;
  p.overwrite = true;
  p.command = "xct test seg_fixture";
  return p;
}

// The reconstruction as `xct recon SCAN --device cpu --rings R` runs it (cli/prep_options.cpp,
// cli/recon_options.cpp): median flats and darks, zingers (0.08, 2, frame check), R ring
// removal, Hann-filtered FBP with edge padding, no mask; the centre the true one, or measured
// with Vo's method on the middle rows after sorting-based ring removal.
inline recon::ReconParams recon_params(const SegCaseParams& c, double true_centre) {
  recon::ReconParams p;
  p.device = "cpu";
  p.prep.rings.method = recon::canonical_ring_method(c.rings);
  p.centre.prep.rings.method = "sort";
  if (!c.measure_centre) p.centre.value = true_centre;
  return p;
}

// Holds an exclusive lock on a file while alive.
class FileLock {
 public:
  explicit FileLock(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    XCT_CHECK(fd_ >= 0, ErrorKind::OutputIO, "cannot open lock file ", file.string());
    while (::flock(fd_, LOCK_EX) != 0) {
      XCT_CHECK(errno == EINTR, ErrorKind::OutputIO, "cannot lock ", file.string());
    }
  }
  ~FileLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

inline HostArray<std::uint8_t, 3> read_labels(const std::filesystem::path& file) {
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, "/labels");
  const h5::DatasetInfo info = h5::dataset_info(d);
  XCT_CHECK(info.rank() == 3 && info.type_class == h5::TypeClass::Integer && info.type_size == 1,
            ErrorKind::BadData, f.where("/labels"), " is not a uint8 volume");
  HostArray<std::uint8_t, 3> labels({info.shape[0], info.shape[1], info.shape[2]});
  h5::read_all(d, H5T_NATIVE_UINT8, labels.data());
  return labels;
}

inline SegTruthMetrics truth_metrics(const nlohmann::json& step) {
  SegTruthMetrics t;
  t.crack_present = step.at("crack").at("present").get<bool>();
  t.crack_volume = step.at("crack").at("volume").get<double>();
  t.crack_depth_px = step.at("crack").at("depth_px").get<double>();
  t.chip_separated = step.at("chip").at("separated").get<bool>();
  t.chip_volume = step.at("chip").at("volume").get<double>();
  t.contact_area_fraction = step.at("contact_area_fraction").get<double>();
  t.void_volume_in_nak = step.at("void_volume_in_nak").get<double>();
  t.interface_void_volume = step.at("interface_void_volume").get<double>();
  t.pellet_top_row = step.at("pellet_top_row").get<double>();
  return t;
}

}  // namespace seg_fixture_detail

// The cache folder of a case (not necessarily made yet).
inline std::filesystem::path seg_case_folder(const SegCaseParams& c) {
  std::filesystem::path root = c.cache;
  if (root.empty()) {
    const char* env = std::getenv("XCT_SEG_CACHE");
    root = env && *env ? std::filesystem::path(env) : std::filesystem::temp_directory_path();
  }
  char key[512];
  std::snprintf(key, sizeof key,
                "seg-case 1|%s|%s|p=%.6f|seed=%llu|cols=%zu|rows=%zu|a=%zu|"
                "flux=%.3f|rings=%s|measure=%d",
                kVersion, kGitDescribe, c.progress, static_cast<unsigned long long>(c.seed),
                c.n_cols, c.n_rows ? c.n_rows : c.n_cols, c.angles, c.flux, c.rings.c_str(),
                c.measure_centre ? 1 : 0);
  char name[64];
  std::snprintf(name, sizeof name, "xct-seg-cache-%016llx",
                static_cast<unsigned long long>(seg_fixture_detail::fnv1a(key)));
  return root / name;
}

// Makes the case (simulate, reconstruct) or reads it from its cache folder.
inline SegCase make_seg_case(const SegCaseParams& params, Logger& log = null_logger()) {
  namespace fs = std::filesystem;
  namespace d = seg_fixture_detail;
  SegCase out;
  out.params = params;
  out.folder = seg_case_folder(params);
  fs::create_directories(out.folder.parent_path());
  const fs::path marker = out.folder / "case.json";
  {
    d::FileLock lock(out.folder.string() + ".lock");
    if (fs::exists(marker)) {
      out.reused = true;
    } else {
      fs::remove_all(out.folder);  // leftovers of an interrupted run
      fs::create_directories(out.folder);
      const sim::SimulationParams sp = d::sim_params(params);
      Stopwatch sw;
      const sim::SimulationOutputs so = sim::simulate(sp, out.folder, log, Progress::Style::Silent);
      out.seconds_simulate = sw.lap();
      XCT_CHECK(so.scans.size() == 1 && so.truths.size() == 1, ErrorKind::Internal,
                "the simulator wrote no scan for ", out.folder.string());
      const double true_centre = sim::true_centre(sp);

      Stopwatch sr;
      auto reader = open_scan(so.scans[0], LayoutSpec{}, log);
      const recon::ReconParams rp = d::recon_params(params, true_centre);
      const recon::ReconShape shape = recon::recon_shape(reader->info(), rp);
      VolumeOutputParams vo;
      vo.folder = out.folder / "recon";
      vo.format = "h5";
      vo.dtype = DType::Float32;
      vo.meta.units = "1/cm";
      vo.meta.voxel_size_um = sp.detector.pixel_size_um;
      vo.meta.command = "xct recon (test seg_fixture)";
      VolumeOutput volume(vo, shape.n_slices, shape.slice_size, shape.slice_size);
      const recon::ReconReport rep =
          recon::reconstruct(*reader, rp, volume, log, Progress::Style::Silent);
      const VolumeOutputSummary summary = volume.finish();
      reader.reset();
      out.seconds_recon = sr.lap();
      XCT_CHECK(summary.files.size() == 1, ErrorKind::Internal, "the reconstruction of ",
                out.folder.string(), " wrote no single HDF5 file");
      XCT_CHECK(rep.units == "1/cm", ErrorKind::Internal,
                "the simulated scan carries no pixel size: the volume is in ", rep.units);
      fs::remove(so.scans[0]);  // the raw scan: the bulk of the case, no longer needed

      const double mid = 0.5 * static_cast<double>(rep.rows.begin + rep.rows.end);
      const nlohmann::json record = {
          {"params",
           {{"progress", params.progress},
            {"seed", params.seed},
            {"n_cols", sp.cell.n_cols},
            {"n_rows", sp.cell.n_rows},
            {"angles", params.angles},
            {"flux", params.flux},
            {"rings", params.rings},
            {"measure_centre", params.measure_centre}}},
          {"xct_version", kGitDescribe},
          {"truth", fs::relative(so.truths[0], out.folder).string()},
          {"volume", fs::relative(summary.files[0], out.folder).string()},
          {"voxel_size_um", sp.detector.pixel_size_um},
          {"true_centre", true_centre},
          {"centre", rep.centre.at(mid)},
          {"centre_source", rep.centre.source},
          {"seconds",
           {{"simulate", out.seconds_simulate},
            {"recon", out.seconds_recon},
            {"recon_stages",
             {{"centre", rep.seconds_centre},
              {"read", rep.prep.seconds_read},
              {"flat_field", rep.prep.seconds_flat_field},
              {"zingers", rep.prep.seconds_zingers},
              {"rings", rep.prep.seconds_rings},
              {"log", rep.prep.seconds_log},
              {"filter_backproject", rep.seconds_filter_backproject},
              {"write", rep.seconds_write}}}}}};
      write_file_atomic(marker, record.dump(2) + "\n");
    }
  }
  const nlohmann::json record = nlohmann::json::parse(std::ifstream(marker));
  out.truth_file = out.folder / record.at("truth").get<std::string>();
  out.volume_file = out.folder / record.at("volume").get<std::string>();
  out.voxel_size_um = record.at("voxel_size_um").get<double>();
  out.true_centre = record.at("true_centre").get<double>();
  out.centre = record.at("centre").get<double>();
  out.seconds_simulate = record.at("seconds").at("simulate").get<double>();
  out.seconds_recon = record.at("seconds").at("recon").get<double>();
  if (params.load_volume) {
    const VolumeShape vs = hdf5_volume_shape(out.volume_file);
    out.volume = read_hdf5_volume(out.volume_file, Range{0, vs.nz});
  }
  if (params.load_labels) out.labels = d::read_labels(out.truth_file);
  XCT_CHECK(!params.load_volume || !params.load_labels || out.labels.shape() == out.volume.shape(),
            ErrorKind::BadData, "truth ", out.truth_file.string(), " and volume ",
            out.volume_file.string(), " differ in shape");
  const nlohmann::json truth = nlohmann::json::parse(std::ifstream(out.folder / "truth.json"));
  out.truth_step = truth.at("time_steps").at(0);
  out.truth = d::truth_metrics(out.truth_step);
  return out;
}

// The rotation axis (x, y) of an n x n slice as xct recon writes it: the slice's centre.
inline std::array<double, 2> slice_axis(std::size_t n) {
  const double c = 0.5 * (static_cast<double>(n) - 1.0);
  return {c, c};
}

// Adds a ring artefact to `volume` (z, y, x): a shell concentric with the rotation axis `axis`
// (x, y in voxels) at radius `radius_px`, over slices [z0, z1), with a Gaussian radial profile
// of standard deviation `sigma_px` (0.6: 1.4 voxels full width at half maximum) and peak
// `amplitude` (1/cm; negative: dark), over the arc of `arc_deg` degrees starting at
// `arc_start_deg` (angle atan2(y, x) about the axis; 360: a full ring). Returns the mask of the
// voxels it changed by at least a quarter of the amplitude (within 1.67 sigma of the radius):
// the shell as a segmentation would see it.
inline HostArray<std::uint8_t, 3> inject_ring_shell(HostView<float, 3> volume, double radius_px,
                                                    std::size_t z0, std::size_t z1,
                                                    double amplitude, std::array<double, 2> axis,
                                                    double arc_start_deg = 0, double arc_deg = 360,
                                                    double sigma_px = 0.6) {
  constexpr double kMaskFraction = 0.25;  // share of the peak that marks a voxel as touched
  constexpr double kPi = 3.14159265358979323846;
  const std::size_t nz = volume.extent(0), ny = volume.extent(1), nx = volume.extent(2);
  HostArray<std::uint8_t, 3> mask({nz, ny, nx}, 0);
  const double reach = sigma_px * std::sqrt(-2.0 * std::log(kMaskFraction));
  const double cutoff = 4.0 * sigma_px;  // profile below 0.04 % of the peak beyond
  for (std::size_t y = 0; y < ny; ++y) {
    for (std::size_t x = 0; x < nx; ++x) {
      const double dx = static_cast<double>(x) - axis[0], dy = static_cast<double>(y) - axis[1];
      const double dr = std::hypot(dx, dy) - radius_px;
      if (std::abs(dr) > cutoff) continue;
      if (arc_deg < 360) {
        double a = std::atan2(dy, dx) * 180.0 / kPi - arc_start_deg;
        a -= 360.0 * std::floor(a / 360.0);
        if (a > arc_deg) continue;
      }
      const float add =
          static_cast<float>(amplitude * std::exp(-0.5 * dr * dr / (sigma_px * sigma_px)));
      const bool touched = std::abs(dr) <= reach;
      for (std::size_t z = z0; z < std::min(z1, nz); ++z) {
        volume(z, y, x) += add;
        if (touched) mask(z, y, x) = 1;
      }
    }
  }
  return mask;
}

}  // namespace xct::test
