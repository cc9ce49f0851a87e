// Benchmarks of the simulator:
//   BM_Simulate                     the whole of `xct simulate` for a 256 x 256 detector and
//                                   721 angles, no truth volumes, OpenMP on all cores
//   BM_Project/cols/angles/many     project() alone, single-threaded, over `angles` angles of a
//                                   cols x cols detector; many = 1 fills the cell with 50 bubbles
//                                   and 20 Na filaments (many more scene objects)
// Each reports ns_per_ray_object: wall time / (angles x rows x cols x scene objects).
// BM_Project also reports row_candidates, the mean number of objects the projector keeps per
// detector row after culling by bounding sphere, and ns_per_ray_candidate.
// After the benchmarks, one directly timed full scan prints a line against the 30 s target.
#include <benchmark/benchmark.h>
#include <omp.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/progress.hpp"
#include "simulate/cell.hpp"
#include "simulate/projector.hpp"
#include "simulate/simulate.hpp"

namespace fs = std::filesystem;
namespace sim = xct::sim;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kScanSize = 256;  // detector rows and columns
constexpr std::size_t kScanAngles = 721;
constexpr double kTargetSeconds = 30;

// A new folder under the system's temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    static std::atomic<unsigned> counter{0};
    const auto ticks = Clock::now().time_since_epoch().count();
    path_ = fs::temp_directory_path() / ("xct_bench_simulate_" + std::to_string(::getpid()) + "_" +
                                         std::to_string(ticks) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

sim::SimulationParams scan_params() {
  sim::SimulationParams sp;
  sp.cell.n_cols = kScanSize;
  sp.cell.n_rows = kScanSize;
  sp.n_angles = kScanAngles;
  sp.truth = false;
  return sp;
}

// Objects in the scene that simulate() projects (single scan: time step 0).
std::size_t scan_objects(const sim::SimulationParams& sp) {
  return sim::build_cell(sp.cell, {sim::step_progress(sp, 0)}).scene.objects().size();
}

// Mean number of objects per detector row whose bounding sphere meets the row's plane (cell in
// its identity pose): the objects the projector actually tests each ray against.
double mean_row_candidates(const sim::Scene& scene, std::size_t n_rows) {
  std::size_t total = 0;
  for (std::size_t v = 0; v < n_rows; ++v) {
    for (const auto& b : scene.bounds()) {
      if (std::abs(b.centre.z - static_cast<double>(v)) <= b.radius) ++total;
    }
  }
  return static_cast<double>(total) / static_cast<double>(n_rows);
}

// Wall seconds of one full scan written into a temporary folder (folder set-up excluded).
double time_scan(const sim::SimulationParams& sp) {
  TempDir dir;
  const auto t0 = Clock::now();
  sim::simulate(sp, dir.path(), xct::null_logger(), xct::Progress::Style::Silent);
  return seconds_since(t0);
}

void BM_Simulate(benchmark::State& state) {
  const sim::SimulationParams sp = scan_params();
  const double objects = static_cast<double>(scan_objects(sp));
  const double rays = static_cast<double>(kScanAngles * kScanSize * kScanSize);
  double total = 0;
  for (auto _ : state) {
    try {
      const double s = time_scan(sp);
      state.SetIterationTime(s);
      total += s;
    } catch (const std::exception& e) {
      state.SkipWithError(e.what());
      break;
    }
  }
  const double n = static_cast<double>(state.iterations());
  if (n == 0) return;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * rays));
  state.counters["seconds"] = total / n;
  state.counters["threads"] = omp_get_max_threads();
  state.counters["objects"] = objects;
  state.counters["ns_per_ray_object"] = total / n * 1e9 / (rays * objects);
}
BENCHMARK(BM_Simulate)->UseManualTime()->Unit(benchmark::kSecond);

void BM_Project(benchmark::State& state) {
  const auto n = static_cast<std::size_t>(state.range(0));
  const auto n_angles = static_cast<std::size_t>(state.range(1));
  sim::CellParams cp;
  cp.n_cols = n;
  cp.n_rows = n;
  if (state.range(2) != 0) {
    cp.bubbles = 50;
    cp.filaments = 20;
  }
  const sim::Cell cell = sim::build_cell(cp, {0.5});
  const sim::Pose pose;
  const sim::ProjectionGeometry g{n, n, (static_cast<double>(n) - 1) / 2 + 0.35, 1.3, 1};
  const std::vector<double> angles = sim::scan_angles(n_angles);
  std::vector<float> transmission(n * n);

  const auto t0 = Clock::now();
  for (auto _ : state) {
    for (double theta : angles) {
      sim::project(cell.scene, pose, g, theta, transmission.data(), nullptr);
      benchmark::DoNotOptimize(transmission.data());
    }
    benchmark::ClobberMemory();
  }
  const double seconds = seconds_since(t0);

  const double objects = static_cast<double>(cell.scene.objects().size());
  const double rays = static_cast<double>(n_angles * n * n);
  const double iterations = static_cast<double>(state.iterations());
  state.SetItemsProcessed(static_cast<std::int64_t>(iterations * rays));
  const double candidates = mean_row_candidates(cell.scene, n);
  const double ns_per_ray = seconds * 1e9 / (iterations * rays);
  state.counters["objects"] = objects;
  state.counters["row_candidates"] = candidates;
  state.counters["ns_per_ray_object"] = ns_per_ray / objects;
  state.counters["ns_per_ray_candidate"] = ns_per_ray / candidates;
}
// Columns at a fixed 16 angles, angles at 128 columns, and the same columns with many objects.
BENCHMARK(BM_Project)
    ->ArgNames({"cols", "angles", "many"})
    ->Args({64, 16, 0})
    ->Args({128, 16, 0})
    ->Args({256, 16, 0})
    ->Args({128, 8, 0})
    ->Args({128, 32, 0})
    ->Args({64, 16, 1})
    ->Args({128, 16, 1})
    ->Args({256, 16, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  omp_set_num_threads(omp_get_num_procs());
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  const int threads = omp_get_max_threads();
  try {
    const double s = time_scan(scan_params());
    std::printf("simulate %zux%zux%zu: %.2f s on %d threads (target < %.0f s): %s\n", kScanSize,
                kScanSize, kScanAngles, s, threads, kTargetSeconds,
                s < kTargetSeconds ? "PASS" : "FAIL");
  } catch (const std::exception& e) {
    std::printf("simulate %zux%zux%zu: error on %d threads (target < %.0f s): FAIL (%s)\n",
                kScanSize, kScanSize, kScanAngles, threads, kTargetSeconds, e.what());
    return 1;
  }
  return 0;
}
