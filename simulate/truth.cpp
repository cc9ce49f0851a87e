#include "simulate/truth.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace xct::sim {

void truth_slice(const Scene& scene, const Pose& pose, std::size_t n_cols, std::size_t z,
                 int supersample, std::uint8_t* labels, float* mu) {
  const double half = (static_cast<double>(n_cols) - 1) / 2;
  const double n = static_cast<double>(n_cols);
  const int ss = std::max(1, supersample);
  std::vector<Segment> seg;
  std::vector<double> acc(n_cols);
  const auto& objects = scene.objects();
  // A world ray along +x through row y, height zz; voxel x covers t in [x, x + 1].
  auto ray_at = [&](double y, double zz) {
    return pose.to_cell(Ray{{-half - 0.5, y - half, zz}, {1, 0, 0}});
  };
  for (std::size_t y = 0; y < n_cols; ++y) {
    if (labels) {
      scene.paint(ray_at(static_cast<double>(y), static_cast<double>(z)), 0, n, seg);
      std::size_t s = 0;
      for (std::size_t x = 0; x < n_cols; ++x) {
        const double t = static_cast<double>(x) + 0.5;
        while (s + 1 < seg.size() && seg[s].t1 <= t)
          ++s;
        labels[y * n_cols + x] =
            seg[s].object < 0 ? std::uint8_t{kOutside} : objects[seg[s].object].label;
      }
    }
    if (mu) {
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int a = 0; a < ss; ++a) {
        for (int b = 0; b < ss; ++b) {
          const double yy = static_cast<double>(y) + (a + 0.5) / ss - 0.5;
          const double zz = static_cast<double>(z) + (b + 0.5) / ss - 0.5;
          scene.paint(ray_at(yy, zz), 0, n, seg);
          for (const Segment& sg : seg) {
            if (sg.object < 0) continue;
            const double m = objects[sg.object].material.mu_per_cm;
            if (m == 0) continue;
            const auto x0 = static_cast<std::size_t>(std::floor(sg.t0));
            const auto x1 = std::min(n_cols - 1, static_cast<std::size_t>(std::floor(sg.t1)));
            for (std::size_t x = x0; x <= x1; ++x) {
              const double lo = std::max(sg.t0, static_cast<double>(x));
              const double hi = std::min(sg.t1, static_cast<double>(x) + 1);
              if (hi > lo) acc[x] += m * (hi - lo);
            }
          }
        }
      }
      for (std::size_t x = 0; x < n_cols; ++x) {
        mu[y * n_cols + x] = static_cast<float>(acc[x] / (ss * ss));
      }
    }
  }
}

namespace {

// Sums, over rays along x on a (y, z) grid of spacing 1/fine covering the box, the length of
// each ray inside objects with the given label, within |x| <= chord(y) of a disc of radius
// `disc` (0: no disc). Calls visit(z, length) per ray with a non-zero length.
template <typename Visit>
double label_volume(const Scene& scene, std::uint8_t label, const Box& box, double disc, int fine,
                    Visit visit) {
  if (!(box.hi.y > box.lo.y) || !(box.hi.z > box.lo.z)) return 0;
  const double step = 1.0 / fine;
  const auto ny = static_cast<long>(std::ceil((box.hi.y - box.lo.y) / step));
  const auto nz = static_cast<long>(std::ceil((box.hi.z - box.lo.z) / step));
  const auto& objects = scene.objects();
  // Per-row sums added up in order afterwards: the result does not depend on the threads.
  std::vector<double> row_sums(static_cast<std::size_t>(nz), 0.0);
#pragma omp parallel for schedule(dynamic, 4)
  for (long iz = 0; iz < nz; ++iz) {
    std::vector<Segment> seg;
    const double z = box.lo.z + (iz + 0.5) * step;
    for (long iy = 0; iy < ny; ++iy) {
      const double y = box.lo.y + (iy + 0.5) * step;
      double x0 = box.lo.x, x1 = box.hi.x;
      if (disc > 0) {
        if (std::abs(y) >= disc) continue;
        const double c = std::sqrt(disc * disc - y * y);
        x0 = std::max(x0, -c);
        x1 = std::min(x1, c);
      }
      if (!(x1 > x0)) continue;
      scene.paint(Ray{{0, y, z}, {1, 0, 0}}, x0, x1, seg);
      double len = 0;
      for (const Segment& s : seg) {
        if (s.object >= 0 && objects[s.object].label == label) len += s.t1 - s.t0;
      }
      if (len > 0) {
        row_sums[static_cast<std::size_t>(iz)] += len * step * step;
        visit(z, len);
      }
    }
  }
  double total = 0;
  for (double r : row_sums)
    total += r;
  return total;
}

Box box_of(const Scene& scene, const char* name) {
  Box b;
  for (const auto& o : scene.objects()) {
    if (o.name == name) b = Box::hull(b, o.shape->bounds());
  }
  return b;
}

}  // namespace

StepMetrics measure(const Cell& cell, const CellParams& params, double band_px, int fine) {
  const Scene& scene = cell.scene;
  const CellLayout& lay = cell.layout;
  const double W = static_cast<double>(params.n_cols);
  StepMetrics m;
  m.band = band_px;
  auto none = [](double, double) {};

  if (lay.crack_present) {
    double deepest = -1e300;
    const Box cb = box_of(scene, "crack");
    m.crack_volume = label_volume(scene, kCrack, cb, 0, fine, [&](double z, double) {
#pragma omp critical(xct_sim_depth)
      deepest = std::max(deepest, z);
    });
    // The deepest sample row lies within half a sample of the true lowest point.
    m.crack_depth = m.crack_volume > 0 ? deepest - lay.z_top : 0;
  }
  if (lay.chip_separated)
    m.chip_volume = label_volume(scene, kChip, box_of(scene, "chip"), 0, fine, none);

  const double r_c = lay.contact_radius;
  const double z_nak = lay.z_nak;
  const Box nak{{-r_c, -r_c, z_nak}, {r_c, r_c, lay.z_top}};
  m.void_volume_in_nak = label_volume(scene, kVoid, nak, r_c, fine, none);
  const Box band{{-r_c, -r_c, lay.z_top - band_px}, {r_c, r_c, lay.z_top}};
  m.interface_void_volume = label_volume(scene, kVoid, band, r_c, fine, none);
  if (params.filaments > 0) {
    m.sodium_volume =
        label_volume(scene, kSodium, Box{{-W, -W, z_nak}, {W, W, lay.z_top}}, 0, fine, none);
  }

  // Contact: what lies just above the face, along lines across the contact disc.
  double metal = 0, gas = 0;
  const double z = lay.z_top - 1e-6;
  const double step = 1.0 / fine;
  std::vector<Segment> seg;
  for (double y = -r_c + 0.5 * step; y < r_c; y += step) {
    const double c = std::sqrt(std::max(0.0, r_c * r_c - y * y));
    scene.paint(Ray{{0, y, z}, {1, 0, 0}}, -c, c, seg);
    for (const Segment& s : seg) {
      const std::uint8_t l =
          s.object < 0 ? std::uint8_t{kOutside} : scene.objects()[s.object].label;
      if (l == kNaK || l == kSodium) metal += s.t1 - s.t0;
      if (l == kVoid) gas += s.t1 - s.t0;
    }
  }
  m.contact_area_fraction = metal + gas > 0 ? metal / (metal + gas) : 0;
  return m;
}

}  // namespace xct::sim
