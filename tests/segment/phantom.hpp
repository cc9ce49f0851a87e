// Reconstruction-like volumes of the simulated cell for the segmentation tests and bench: the
// simulator's exact attenuation truth (simulate/truth.hpp), blurred by the detector's point
// spread, plus correlated noise at the levels of the segmentation research notes (§1.3)
// and, on request, ring-artefact shells concentric with the rotation axis (§1.4). The labels
// and the metrics come from the same cell, so every score is against an exact answer.
//
// Noise: "raw FBP" mode adds white Gaussian noise band-passed in 3-D (difference of Gaussians,
// as filtered back-projection shapes it) and scaled to `noise_sigma` (1/cm); SNR_proj 100 at
// 3001 views gives 0.5 /cm. "Paganin" mode low-passes first and adds smoothed noise, as
// phase-retrieved data look.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "core/array.hpp"
#include "segment/volume_ops.hpp"
#include "simulate/cell.hpp"
#include "simulate/simulate.hpp"
#include "simulate/truth.hpp"

namespace xct::test {

// A dark shell about the rotation axis, as a defective detector column leaves over many rows.
struct RingShell {
  double radius_px = 0;
  std::size_t z0 = 0, z1 = 0;  // slices it spans
  double amplitude = -0.8;     // 1/cm at its centre
  double width_px = 0.8;       // Gaussian sigma of its radial profile
  double arc_fraction = 1.0;   // share of the full circle (partial arcs start at angle 0)
};

struct PhantomParams {
  std::size_t n = 224;  // n x n x n voxels; the cell scales with it
  std::uint64_t seed = 1;
  double progress = 0.6;  // 0 intact, (0, 1) crack growing, 1 chip cut off
  double psf_sigma_px = 0.8;
  int truth_supersample = 3;  // rays across each voxel, per direction (simulate/truth.hpp)
  double noise_sigma = 0.5;   // 1/cm
  bool paganin = false;
  std::vector<RingShell> rings;
  // The cell's pose: step `step` of a series of `time_steps` scans drifting as the simulator's
  // (simulate/simulate.hpp: up to drift_px per axis and drift_deg about a random axis; step 0
  // sits at the nominal pose).
  std::size_t time_steps = 1, step = 0;
  double drift_px = 2, drift_deg = 0.5;
  std::uint64_t drift_seed = 1;
};

struct Phantom {
  HostArray<float, 3> volume;            // 1/cm
  HostArray<std::uint8_t, 3> labels;     // the truth
  HostArray<std::uint8_t, 3> ring_mask;  // voxels a ring shell darkened by over 0.2 /cm
  sim::StepMetrics metrics;
  sim::CellLayout layout;
  sim::Pose pose;
  double voxel_size_um = 1.3;
  double band_px = 0;
};

inline Phantom make_phantom(const PhantomParams& p) {
  sim::SimulationParams sp;
  sp.cell.n_cols = p.n;
  sp.cell.n_rows = p.n;
  sp.cell.seed = p.seed;
  sp.time_steps = p.time_steps;
  sp.drift_px = p.drift_px;
  sp.drift_deg = p.drift_deg;
  sp.drift_seed = p.drift_seed;
  const sim::Cell cell = sim::build_cell(sp.cell, sim::CellState{p.progress});
  const sim::Pose pose = sim::step_pose(sp, p.step);
  Phantom out;
  out.pose = pose;
  out.layout = cell.layout;
  out.band_px = sp.band_um / 1.3;
  out.metrics = sim::measure(cell, sp.cell, out.band_px);
  const std::size_t n = p.n;
  out.labels = HostArray<std::uint8_t, 3>({n, n, n});
  HostArray<float, 3> mu({n, n, n});
#pragma omp parallel for schedule(dynamic)
  for (std::size_t z = 0; z < n; ++z)
    sim::truth_slice(cell.scene, pose, n, z, p.truth_supersample, out.labels.data() + z * n * n,
                     mu.data() + z * n * n);

  // Ring shells, before the blur (the detector's defect is sharp; the reconstruction blurs it).
  out.ring_mask = HostArray<std::uint8_t, 3>({n, n, n}, 0);
  const double c = 0.5 * static_cast<double>(n - 1);
  for (const auto& ring : p.rings)
    for (std::size_t z = ring.z0; z < std::min(ring.z1, n); ++z)
      for (std::size_t y = 0; y < n; ++y)
        for (std::size_t x = 0; x < n; ++x) {
          const double dx = static_cast<double>(x) - c, dy = static_cast<double>(y) - c;
          const double a = std::atan2(dy, dx) + M_PI;
          if (a > 2 * M_PI * ring.arc_fraction) continue;
          const double dr = std::hypot(dx, dy) - ring.radius_px;
          const double v =
              ring.amplitude * std::exp(-0.5 * dr * dr / (ring.width_px * ring.width_px));
          mu(z, y, x) += static_cast<float>(v);
          if (std::abs(v) > 0.2) out.ring_mask(z, y, x) = 1;
        }

  auto blurred = seg::gaussian(mu.cview(), p.paganin ? 1.5 : p.psf_sigma_px);
  mu = HostArray<float, 3>();
  // Noise: white, then shaped, then scaled to the requested sigma.
  HostArray<float, 3> white({n, n, n});
#pragma omp parallel for schedule(static)
  for (std::size_t z = 0; z < n; ++z) {
    // Each step of a series has its own noise (step 0 keeps the single-scan draw).
    std::mt19937_64 rng((p.seed * 1000003ull + z) ^ (p.step * 0x9E3779B97F4A7C15ull));
    std::normal_distribution<float> g(0.0f, 1.0f);
    float* w = white.data() + z * n * n;
    for (std::size_t i = 0; i < n * n; ++i)
      w[i] = g(rng);
  }
  HostArray<float, 3> shaped;
  if (p.paganin) {
    shaped = seg::gaussian(white.cview(), 1.0);
  } else {
    auto a = seg::gaussian(white.cview(), 0.6);
    auto b = seg::gaussian(white.cview(), 2.0);
    for (std::size_t i = 0; i < a.size(); ++i)
      a.data()[i] -= 0.5f * b.data()[i];
    shaped = std::move(a);
  }
  double s2 = 0;
  for (float v : shaped)
    s2 += static_cast<double>(v) * v;
  const float scale =
      static_cast<float>(p.noise_sigma / std::sqrt(s2 / static_cast<double>(shaped.size())));
  for (std::size_t i = 0; i < blurred.size(); ++i)
    blurred.data()[i] += scale * shaped.data()[i];
  out.volume = std::move(blurred);
  return out;
}

}  // namespace xct::test
