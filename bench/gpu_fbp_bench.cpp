// The device back-projector at full size, printed as a table (docs/gpu.md):
//
//  1. back-projection alone: n_angles x n filtered sinograms onto `slab` slices of n x n,
//     timed by CUDA events around the kernels: TUPS = n_angles n^2 slab / seconds;
//  2. filter + back-projection of a whole scan held in memory as uint16 counts
//     [rows][angles][cols] with its dark and flat (converted, flat-fielded and logged on the
//     device): wall time and TUPS; then the CPU path (the same SlabBackProjector, device cpu)
//     on the first --cpu-rows rows of the same data, its time scaled to all rows, and the ratio;
//  3. with --export DIR: the first --export-rows -log sinograms as DIR/sinos.f32 (float32,
//     [rows][angles][cols]) with DIR/sinos.json, and the device's seconds per slice on them,
//     for bench/fbp_gpu_vs_algotom.py to run Algotom's GPU FBP on the same sinograms.
//
//   xct_bench_gpu_fbp [--size 2048] [--angles 2048] [--slab 64] [--rows 2048] [--cpu-rows 8]
//                     [--export DIR] [--export-rows 8] [--json FILE] [--device cuda|cpu]
#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "recon/fbp.hpp"
#include "recon/fbp_device.hpp"

namespace {

using namespace xct;
using namespace xct::recon;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

struct Options {
  std::size_t size = 2048, angles = 2048, slab = 64, rows = 2048, cpu_rows = 8, export_rows = 8;
  std::string export_dir, json;
  std::string device = "cuda";  // cpu: the same runs on the CPU (a dry run where no GPU is)
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      XCT_CHECK(i + 1 < argc, ErrorKind::Usage, a, " needs a value");
      return argv[++i];
    };
    if (a == "--size")
      o.size = std::stoul(next());
    else if (a == "--angles")
      o.angles = std::stoul(next());
    else if (a == "--slab")
      o.slab = std::stoul(next());
    else if (a == "--rows")
      o.rows = std::stoul(next());
    else if (a == "--cpu-rows")
      o.cpu_rows = std::stoul(next());
    else if (a == "--export")
      o.export_dir = next();
    else if (a == "--export-rows")
      o.export_rows = std::stoul(next());
    else if (a == "--json")
      o.json = next();
    else if (a == "--device")
      o.device = next();
    else
      XCT_THROW(ErrorKind::Usage, "unknown option ", a);
  }
  return o;
}

std::vector<double> half_turn(std::size_t n) {
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = std::numbers::pi * static_cast<double>(i) / static_cast<double>(n);
  return a;
}

// -log line integrals of a cylinder cell cross-section (housing, pellet, two inclusions) for
// row r of `distinct` kinds; mu per pixel chosen so that transmission stays above 5 %.
void cell_sinogram(std::size_t r, std::size_t distinct, const std::vector<double>& angles,
                   std::size_t n, float* out) {
  struct Disk {
    double x, y, radius, mu;
  };
  const double s = static_cast<double>(n) / 2048.0;
  const double k = 1.0 + 0.05 * static_cast<double>(r % distinct);
  const Disk disks[] = {{0, 0, 900 * s, 0.4 / (900 * s)},
                        {0, 0, 820 * s, -0.25 / (900 * s)},
                        {120 * s * k, -80 * s, 300 * s, 0.9 / (900 * s)},
                        {-260 * s, 210 * s * k, 60 * s, 1.5 / (900 * s)}};
  const double centre = 0.5 * (static_cast<double>(n) - 1.0);
#pragma omp parallel for schedule(static)
  for (long a = 0; a < static_cast<long>(angles.size()); ++a) {
    const double c = std::cos(angles[a]), sn = std::sin(angles[a]);
    float* row = out + static_cast<std::size_t>(a) * n;
    for (std::size_t j = 0; j < n; ++j) {
      double p = 0;
      for (const Disk& d : disks) {
        const double t = static_cast<double>(j) - (d.x * c - d.y * sn + centre);
        if (std::abs(t) < d.radius) p += 2.0 * d.mu * std::sqrt(d.radius * d.radius - t * t);
      }
      row[j] = static_cast<float>(p);
    }
  }
}

void write_exports(const Options& o, const std::vector<double>& angles,
                   const HostArray<float, 3>& sinos, double centre, double seconds_per_slice) {
  namespace fs = std::filesystem;
  fs::create_directories(o.export_dir);
  std::ofstream f(fs::path(o.export_dir) / "sinos.f32", std::ios::binary);
  f.write(reinterpret_cast<const char*>(sinos.data()),
          static_cast<std::streamsize>(sinos.size() * sizeof(float)));
  nlohmann::json j = {{"rows", sinos.extent(0)}, {"angles", sinos.extent(1)},
                      {"cols", sinos.extent(2)}, {"centre", centre},
                      {"angles_rad", angles},    {"xct_cuda_seconds_per_slice", seconds_per_slice}};
  std::ofstream(fs::path(o.export_dir) / "sinos.json") << j.dump(1) << "\n";
}

int run(const Options& o) {
  const DeviceChoice dev = choose_device(o.device);
  const DeviceChoice cpu = choose_device("cpu");
  std::cout << "device: " << dev.description << ", host threads: " << omp_get_max_threads() << "\n";
  const std::size_t n = o.size, na = o.angles;
  const auto angles = half_turn(na);
  const double centre = 0.5 * (static_cast<double>(n) - 1.0);
  const std::size_t distinct = 8;
  nlohmann::json out = {{"device", dev.description}, {"size", n}, {"angles", na}};

  // Distinct -log sinograms, reused for every row.
  HostArray<float, 3> base({distinct, na, n});
  for (std::size_t r = 0; r < distinct; ++r)
    cell_sinogram(r, distinct, angles, n, base.data() + r * na * n);

  // 1. Back-projection alone.
  {
    FbpParams params;
    HostArray<float, 3> filtered({o.slab, na, n});
    SlabBackProjector filt(cpu, angles, n, params, distinct);
    HostArray<float, 3> f8({distinct, na, n});
    filt.filter(base.cview(), f8.view());
    for (std::size_t r = 0; r < o.slab; ++r)
      std::memcpy(filtered.data() + r * na * n, f8.data() + (r % distinct) * na * n,
                  na * n * sizeof(float));
    HostArray<float, 3> slices({o.slab, n, n});
    SlabBackProjector bp(dev, angles, n, params, o.slab);
    const std::vector<double> centres(o.slab, centre);
    bp.back_project(filtered.cview(), centres, slices.view());  // warm-up
    double best = 1e30, best_wall = 1e30;
    for (int rep = 0; rep < 3; ++rep) {
      const DeviceTiming before = bp.timing();
      const auto t0 = Clock::now();
      bp.back_project(filtered.cview(), centres, slices.view());
      best_wall = std::min(best_wall, seconds_since(t0));
      best = std::min(best, bp.timing().back_project - before.back_project);
    }
    if (dev.device == Device::Cpu) best = best_wall;  // a dry run: no kernel timers
    const double updates = static_cast<double>(na) * n * n * o.slab;
    std::size_t bad = 0;
    for (std::size_t i = 0; i < slices.size(); ++i)
      bad += std::isfinite(slices.data()[i]) ? 0 : 1;
    out["back_projection"] = {{"slices", o.slab},
                              {"kernel_seconds", best},
                              {"tups", updates / best / 1e12},
                              {"wall_seconds_with_transfers", best_wall},
                              {"nonfinite_voxels", bad}};
  }

  // 2. A whole scan of uint16 counts in memory.
  {
    const std::size_t rows = o.rows;
    std::cout << "building a " << na << " x " << rows << " x " << n << " uint16 scan in memory ("
              << (static_cast<double>(rows) * na * n * 2 / 1e9) << " GB)\n";
    HostArray<std::uint16_t, 3> counts({rows, na, n});
    HostArray<float, 2> dark({rows, n}, 100.0f), denom({rows, n}, 40000.0f);
    HostArray<std::uint16_t, 3> kinds({distinct, na, n});
    for (std::size_t i = 0; i < kinds.size(); ++i)
      kinds.data()[i] =
          static_cast<std::uint16_t>(std::lround(100.0 + 40000.0 * std::exp(-base.data()[i])));
#pragma omp parallel for schedule(static)
    for (long r = 0; r < static_cast<long>(rows); ++r)
      std::memcpy(&counts(static_cast<std::size_t>(r), 0, 0),
                  kinds.data() + (static_cast<std::size_t>(r) % distinct) * na * n,
                  na * n * sizeof(std::uint16_t));
    FbpParams params;
    auto whole = [&](const DeviceChoice& d, std::size_t n_rows, std::size_t batch,
                     DeviceTiming* timing) {
      SlabBackProjector p(d, angles, n, params, batch);
      HostArray<float, 3> slices({batch, n, n});
      CountsFixed fixed;
      const auto t0 = Clock::now();
      for (std::size_t r0 = 0; r0 < n_rows; r0 += batch) {
        const std::size_t nb = std::min(batch, n_rows - r0);
        const HostView<const std::uint16_t, 3> c(&counts(r0, 0, 0), {nb, na, n});
        const HostView<const float, 2> dk(&dark(r0, 0), {nb, n}), dn(&denom(r0, 0), {nb, n});
        const std::vector<double> centres(nb, centre);
        p.reconstruct_counts(c, dk, dn, centres, slices.view().slab(0, nb), fixed);
      }
      const double s = seconds_since(t0);
      if (timing) *timing = p.timing();
      return s;
    };
    DeviceTiming t;
    const double gpu_s = whole(dev, rows, o.slab, &t);
    const double updates = static_cast<double>(na) * n * n * rows;
    const std::size_t cpu_rows = std::min(o.cpu_rows, rows);
    const double cpu_s = whole(cpu, cpu_rows, cpu_rows, nullptr);
    const double cpu_all = cpu_s * static_cast<double>(rows) / static_cast<double>(cpu_rows);
    out["whole_scan"] = {{"rows", rows},
                         {"cuda_seconds", gpu_s},
                         {"cuda_tups", updates / gpu_s / 1e12},
                         {"cuda_stage_seconds",
                          {{"upload", t.upload},
                           {"convert", t.convert},
                           {"filter", t.filter},
                           {"back_project", t.back_project},
                           {"download", t.download}}},
                         {"cpu_rows_timed", cpu_rows},
                         {"cpu_seconds_for_those_rows", cpu_s},
                         {"cpu_seconds_scaled_to_all_rows", cpu_all},
                         {"cuda_speedup_over_cpu", cpu_all / gpu_s}};
  }

  // 3. Sinograms for Algotom's GPU FBP, and xct's device time on the same ones.
  if (!o.export_dir.empty()) {
    const std::size_t rows = o.export_rows;
    HostArray<float, 3> sinos({rows, na, n});
    for (std::size_t r = 0; r < rows; ++r)
      std::memcpy(sinos.data() + r * na * n, base.data() + (r % distinct) * na * n,
                  na * n * sizeof(float));
    FbpParams params;
    SlabBackProjector p(dev, angles, n, params, rows);
    HostArray<float, 3> slices({rows, n, n});
    const std::vector<double> centres(rows, centre);
    p.reconstruct(sinos.cview(), centres, slices.view());  // warm-up
    const auto t0 = Clock::now();
    p.reconstruct(sinos.cview(), centres, slices.view());
    const double per_slice = seconds_since(t0) / static_cast<double>(rows);
    write_exports(o, angles, sinos, centre, per_slice);
    out["export"] = {{"rows", rows}, {"xct_cuda_seconds_per_slice", per_slice}};
  }

  std::cout << out.dump(1) << "\n";
  if (!o.json.empty()) std::ofstream(o.json) << out.dump(1) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const xct::Error& e) {
    std::cerr << "xct_bench_gpu_fbp: error: " << e.what() << "\n";
    return e.exit_code();
  }
}
