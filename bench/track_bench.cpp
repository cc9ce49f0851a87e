// Speed of `xct track` on a 4-step series of 256^3 float32 volumes (issue #9: under 2 minutes
// on 2 cores), with the accuracy of each step against the simulator's truth.
//
// The series is tests/segment/phantom.hpp's: the simulator's exact attenuation truth of one
// cell at four time steps (intact, crack growing twice, chip cut off), each at its own drifted
// pose as `xct simulate --time-steps 4` places it, blurred by the detector's point spread, with
// band-passed noise of 0.5 /cm, its own per step. Making it is not timed.
//
// Timed, on `--threads` threads (default 2): seg::track (read from memory, register, resample,
// segment, measure, track), then the outputs of `xct track` (labels, overlays, tables, plots,
// report) into a temporary folder. Printed: per step and stage seconds, the totals against the
// 120 s target, peak resident memory, and per step the registration error (voxels, degrees)
// and the crack volume and depth against the truth.
//
// Build and run (configure with -DXCT_BUILD_BENCH=ON -DXCT_WITH_ITK=ON):
//   cmake --build build --target xct_bench_track
//   build/bench/xct_bench_track [--size 256] [--steps 4] [--seed 1] [--threads 2]
// Exit status 0 when the run completed (the target is reported, not enforced), 2 for bad
// arguments, 1 when a step failed.
#include <omp.h>
#include <sys/resource.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/stopwatch.hpp"
#include "segment/itk_ops.hpp"
#include "segment/track.hpp"
#include "segment/track_output.hpp"
#include "tests/segment/phantom.hpp"

namespace {

using namespace xct;

constexpr double kTargetSeconds = 120;  // issue #9: 4 steps of 256^3 on 2 cores

struct Options {
  std::size_t size = 256, steps = 4;
  std::uint64_t seed = 1;
  int threads = 2;
};

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--size")
      o.size = std::strtoull(v, nullptr, 10);
    else if (a == "--steps")
      o.steps = std::strtoull(v, nullptr, 10);
    else if (a == "--seed")
      o.seed = std::strtoull(v, nullptr, 10);
    else if (a == "--threads")
      o.threads = std::atoi(v);
    else
      return false;
  }
  return o.size >= 64 && o.steps >= 2 && o.threads >= 1;
}

double peak_rss_gib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / (1024.0 * 1024.0);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr,
                 "usage: xct_bench_track [--size 256] [--steps 4] [--seed 1] [--threads 2]\n");
    return 2;
  }
  omp_set_num_threads(o.threads);
  seg::itk::set_threads(o.threads);
  try {
    std::printf("making %zu steps of %zu^3 (not timed) ...\n", o.steps, o.size);
    std::fflush(stdout);
    std::vector<test::Phantom> steps;
    for (std::size_t k = 0; k < o.steps; ++k) {
      test::PhantomParams p;
      p.n = o.size;
      p.seed = o.seed;
      p.time_steps = o.steps;
      p.step = k;
      p.progress = static_cast<double>(k) / static_cast<double>(o.steps - 1);
      steps.push_back(test::make_phantom(p));
    }
    seg::SeriesInput in;
    for (std::size_t k = 0; k < o.steps; ++k) {
      in.names.push_back(std::string("t").append(std::to_string(k)));
      in.time_labels.push_back(std::to_string(k) + " h");
      in.times.push_back(static_cast<double>(k));
    }
    in.load = [&](std::size_t k) { return steps[k].volume.clone(); };
    seg::TrackParams params;
    params.segment.threads = o.threads;
    params.registration.threads = o.threads;
    params.measure.threads = o.threads;
    const double vs = steps[0].voxel_size_um;
    params.segment.voxel_size_um = vs;

    const auto folder =
        std::filesystem::temp_directory_path() / ("xct-bench-track-" + std::to_string(::getpid()));
    NullLogger log;
    Stopwatch clock;
    seg::TrackOutputParams op;
    op.folder = folder;
    op.voxel_size_um = vs;
    seg::TrackOutput output(op);
    const seg::TrackResult r =
        seg::track(in, params, log, [&](const seg::StepView& v) { output.on_step(v); });
    const double t_track = clock.lap();
    seg::TrackRunInfo run;
    run.command = "xct_bench_track";
    output.finish(r, run, [&](std::size_t k) {
      auto v = steps[k].volume.clone();
      if (k == 0) return v;
      return seg::resample(v.cview(), r.steps[k].registration.transform, r.shape,
                           params.interpolation, 0.0f, o.threads);
    });
    const double t_out = clock.lap();
    std::error_code ec;
    std::filesystem::remove_all(folder, ec);

    std::printf(
        "\nstep  read  register  segment  measure   residual  crack um3 (truth)      "
        "depth um (truth)   chip um3 (truth)\n");
    bool ok = true;
    const double v3 = vs * vs * vs;
    for (const auto& s : r.steps) {
      const auto& m = steps[s.index].metrics;
      std::printf(
          "%4zu %5.1f %9.1f %8.1f %8.1f %10.2f %10.0f (%8.0f) %8.1f (%6.1f) %9.0f (%6.0f) %s\n",
          s.index, s.seconds_read, s.seconds_register, s.seconds_segment, s.seconds_measure,
          s.registration.residual, s.crack_volume_um3, m.crack_volume * v3, s.crack_depth_um,
          m.crack_depth * vs, s.chip_volume_um3, m.chip_volume * v3, s.ok ? "" : s.status.c_str());
      ok = ok && s.ok;
    }
    std::printf("\nchip separates at step %s (truth: step %zu)\n",
                r.chip_separation_step ? std::to_string(*r.chip_separation_step).c_str() : "none",
                o.steps - 1);
    std::printf(
        "track   %7.1f s\noutputs %7.1f s\ntotal   %7.1f s   target %.0f s on 2 cores: "
        "%.2f of it (%s)\n",
        t_track, t_out, t_track + t_out, kTargetSeconds, (t_track + t_out) / kTargetSeconds,
        t_track + t_out <= kTargetSeconds ? "met" : "missed");
    std::printf(
        "peak resident memory %.2f GiB (the %zu input volumes held by the bench: %.2f GiB)\n",
        peak_rss_gib(), o.steps,
        static_cast<double>(o.steps * o.size * o.size * o.size * 4) / (1 << 30));
    return ok ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "xct_bench_track: %s\n", e.what());
    return 1;
  }
}
