// Filtered back-projection against known answers: analytic projections of uniform disks (exact
// line integrals), the simulator's cell and its attenuation truth, and the angular weights.
#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

#include <cmath>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "recon/fbp.hpp"
#include "simulate/cell.hpp"
#include "simulate/projector.hpp"
#include "simulate/truth.hpp"

namespace xct::recon {
namespace {

constexpr double kPi = std::numbers::pi;

struct Disk {
  double x = 0, y = 0;  // centre, pixels from the rotation axis (y grows with the slice row)
  double radius = 0;    // pixels
  double mu = 0;        // attenuation per pixel
};

// Exact line integrals of disks at detector columns 0..n_cols-1 (pixel-centre rays).
HostArray<float, 2> disk_sinogram(const std::vector<Disk>& disks, const std::vector<double>& angles,
                                  std::size_t n_cols, double centre) {
  HostArray<float, 2> s({angles.size(), n_cols}, 0.0f);
  for (std::size_t a = 0; a < angles.size(); ++a) {
    for (const Disk& d : disks) {
      // The disk's centre projects onto x cos - y sin + centre (the slice geometry).
      const double p = d.x * std::cos(angles[a]) - d.y * std::sin(angles[a]) + centre;
      for (std::size_t j = 0; j < n_cols; ++j) {
        const double t = static_cast<double>(j) - p;
        if (std::abs(t) < d.radius)
          s(a, j) += static_cast<float>(2.0 * d.mu * std::sqrt(d.radius * d.radius - t * t));
      }
    }
  }
  return s;
}

std::vector<double> grid(std::size_t n, bool inclusive) {
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = kPi * static_cast<double>(i) / static_cast<double>(inclusive ? n - 1 : n);
  return a;
}

// Mean of the slice over pixels whose distance from (x, y) lies in [r0, r1).
double ring_mean(ConstImage s, double x, double y, double r0, double r1) {
  const double half = 0.5 * (static_cast<double>(s.extent(0)) - 1.0);
  double sum = 0, count = 0;
  for (std::size_t r = 0; r < s.extent(0); ++r) {
    for (std::size_t q = 0; q < s.extent(1); ++q) {
      const double d =
          std::hypot(static_cast<double>(q) - half - x, static_cast<double>(r) - half - y);
      if (d >= r0 && d < r1) {
        sum += s(r, q);
        count += 1;
      }
    }
  }
  return sum / count;
}

constexpr std::size_t kCols = 128;
constexpr double kMu = 0.01;  // attenuation per pixel of the test disks

TEST(Fbp, UniformDiskValueAndPlace) {
  // A disk of radius 12 px, off the axis by (20, -14) px. Inside it (3 px from its edge, beyond
  // the hann-smoothed edge response) the slice holds mu within 1 %: the discrete ramp's small
  // DC term and the interpolation are the only errors. Outside it the slice is near 0, and the
  // disk sits where the geometry says (x right, y down the rows).
  const Disk disk{20.0, -14.0, 12.0, kMu};
  const double centre = 66.3;
  const auto angles = grid(360, false);
  const auto sino = disk_sinogram({disk}, angles, kCols, centre);
  const auto slice = fbp_reconstruct(sino.cview(), angles, centre);
  ASSERT_EQ(slice.extent(0), kCols);
  EXPECT_NEAR(ring_mean(slice.cview(), disk.x, disk.y, 0, disk.radius - 3), kMu, 0.01 * kMu);
  EXPECT_NEAR(ring_mean(slice.cview(), disk.x, disk.y, disk.radius + 3, disk.radius + 15), 0.0,
              0.02 * kMu);
  // Nothing at the disk's mirror image (-20, 14).
  EXPECT_LT(std::abs(ring_mean(slice.cview(), -disk.x, -disk.y, 0, 5)), 0.05 * kMu);
}

TEST(Fbp, ShiftingTheAxisWithTheDataLeavesTheSlice) {
  // The slice is centred on the rotation axis: the same object scanned with the axis 3.5 px
  // further right, reconstructed at that centre, gives the same slice (to 0.2 % of mu, the
  // interpolation of a different sampling), while keeping the old centre blurs the disk.
  const std::vector<Disk> disks{{10.0, 5.0, 20.0, kMu}, {-25.0, -12.0, 8.0, 2 * kMu}};
  const auto angles = grid(240, false);
  const auto a = fbp_reconstruct(disk_sinogram(disks, angles, kCols, 62.0).cview(), angles, 62.0);
  const auto s2 = disk_sinogram(disks, angles, kCols, 65.5);
  const auto b = fbp_reconstruct(s2.cview(), angles, 65.5);
  const auto wrong = fbp_reconstruct(s2.cview(), angles, 62.0);
  double max_diff = 0, max_wrong = 0;
  const double half = 0.5 * (kCols - 1.0);
  for (std::size_t r = 0; r < kCols; ++r) {
    for (std::size_t q = 0; q < kCols; ++q) {
      if (std::hypot(q - half, r - half) > 50) continue;  // the disks lie within 40 px
      max_diff = std::max(max_diff, double(std::abs(a(r, q) - b(r, q))));
      max_wrong = std::max(max_wrong, double(std::abs(a(r, q) - wrong(r, q))));
    }
  }
  EXPECT_LT(max_diff, 0.1 * kMu);
  EXPECT_GT(max_wrong, 0.5 * kMu);
  EXPECT_NEAR(ring_mean(b.cview(), 10, 5, 0, 15), kMu, 0.01 * kMu);
}

TEST(Fbp, HalfOpenAndInclusiveGridsGiveTheSameScale) {
  // 180 angles at k pi / 180 and 181 at k pi / 180 with both ends: the weights make both
  // integrate over pi, so the disk's value agrees to 0.2 % (Algotom's pi / (n - 1) would make
  // the half-open one 0.56 % too high).
  const Disk disk{0, 0, 35.0, kMu};
  const auto open = grid(180, false), closed = grid(181, true);
  const auto a = fbp_reconstruct(disk_sinogram({disk}, open, kCols, 63.5).cview(), open, 63.5);
  const auto b = fbp_reconstruct(disk_sinogram({disk}, closed, kCols, 63.5).cview(), closed, 63.5);
  const double va = ring_mean(a.cview(), 0, 0, 0, 30), vb = ring_mean(b.cview(), 0, 0, 0, 30);
  EXPECT_NEAR(va / vb, 1.0, 0.002);
  EXPECT_NEAR(va, kMu, 0.01 * kMu);
}

TEST(Fbp, AngleWeights) {
  const auto closed = fbp_angle_weights(grid(5, true));  // step pi/4, ends half
  EXPECT_NEAR(closed[0], kPi / 8, 1e-12);
  EXPECT_NEAR(closed[2], kPi / 4, 1e-12);
  EXPECT_NEAR(closed[4], kPi / 8, 1e-12);
  for (double w : fbp_angle_weights(grid(6, false)))
    EXPECT_NEAR(w, kPi / 6, 1e-12);
  // Order does not matter; a 360-degree scan measures each line twice: half weight each.
  const auto shuffled = fbp_angle_weights(std::vector<double>{kPi / 2, 0, kPi / 4, 3 * kPi / 4});
  for (double w : shuffled)
    EXPECT_NEAR(w, kPi / 4, 1e-12);
  std::vector<double> full(8);
  for (std::size_t i = 0; i < 8; ++i)
    full[i] = 2 * kPi * static_cast<double>(i) / 8;
  for (double w : fbp_angle_weights(full))
    EXPECT_NEAR(w, kPi / 8, 1e-12);
}

TEST(Fbp, CellSliceMatchesTheSimulatorTruth) {
  // Noise-free line integrals of the simulated cell through the pellet, reconstructed at the
  // true centre, against the partial-volume attenuation truth of the same slice (converted to
  // per pixel): over the whole cell (housing, gap, pellet) the misfit is a small fraction of
  // the slice's contrast, the pellet's NASICON level is right to 2 %, and the truth mirrored
  // left-right fits far worse.
  sim::CellParams cp;
  cp.n_cols = 96;
  cp.n_rows = 8;
  cp.cell_height = 96;
  cp.first_row = 56;  // rows through the pellet below its top face
  const sim::Cell cell = sim::build_cell(cp, {0.5});
  sim::Pose pose;  // the cell off the axis by (6, -4) px, so that a mirror image cannot fit
  pose.shift = {6.0, -4.0, 0.0};
  const sim::ProjectionGeometry g{cp.n_rows, cp.n_cols, 47.8, 1.3, 1};
  const auto angles = grid(300, false);
  const std::size_t z = 4;
  HostArray<float, 2> sino({angles.size(), cp.n_cols});
  for (std::size_t a = 0; a < angles.size(); ++a)
    for (std::size_t j = 0; j < cp.n_cols; ++j)
      sino(a, j) = static_cast<float>(
          sim::line_integral(cell.scene, pose, g, angles[a], static_cast<double>(j), double(z)));
  const auto slice = fbp_reconstruct(sino.cview(), angles, g.centre);
  std::vector<float> truth(cp.n_cols * cp.n_cols);
  sim::truth_slice(cell.scene, pose, cp.n_cols, z, 3, nullptr, truth.data());
  const double per_pixel = 1.3e-4;  // cm per pixel: truth is in 1/cm
  const double half = 0.5 * (cp.n_cols - 1.0);
  double err = 0, mis = 0, sum_t = 0, sum_t2 = 0, count = 0;
  for (std::size_t r = 0; r < cp.n_cols; ++r) {
    for (std::size_t q = 0; q < cp.n_cols; ++q) {
      if (std::hypot(q - half, r - half) > 0.45 * cp.n_cols) continue;  // the housing: 0.42
      const double t = truth[r * cp.n_cols + q] * per_pixel;
      const double m = truth[r * cp.n_cols + (cp.n_cols - 1 - q)] * per_pixel;
      err += (slice(r, q) - t) * (slice(r, q) - t);
      mis += (slice(r, q) - m) * (slice(r, q) - m);
      sum_t += t;
      sum_t2 += t * t;
      count += 1;
    }
  }
  const double mean_t = sum_t / count, sd_t = std::sqrt(sum_t2 / count - mean_t * mean_t);
  const double rms = std::sqrt(err / count);
  EXPECT_LT(rms, 0.25 * sd_t) << "rms " << rms << " contrast " << sd_t;
  EXPECT_GT(std::sqrt(mis / count), 2 * rms);
  EXPECT_NEAR(ring_mean(slice.cview(), 6.0, -4.0, 0, 0.15 * cp.n_cols),
              cp.materials.nasicon.mu_per_cm * per_pixel,
              0.02 * cp.materials.nasicon.mu_per_cm * per_pixel);
}

TEST(Fbp, ManyCentresEqualSingleSlices) {
  const auto angles = grid(90, false);
  const auto sino = disk_sinogram({{5, 5, 20, kMu}}, angles, 64, 31.5);
  const std::vector<double> centres{30.0, 31.5, 33.25};
  FbpParams p;
  p.mask_ratio = 0.9;
  std::size_t calls = 0;
  fbp_reconstruct_centres(sino.cview(), angles, centres, p,
                          [&](std::size_t i, double c, ConstImage slice) {
                            const auto single = fbp_reconstruct(sino.cview(), angles, c, p);
                            EXPECT_EQ(c, centres[i]);
                            for (std::size_t k = 0; k < single.size(); ++k)
                              ASSERT_EQ(slice.data()[k], single.data()[k]);
                            ++calls;
                          });
  EXPECT_EQ(calls, centres.size());
}

TEST(Fbp, CircleMaskAndOutputSize) {
  const auto angles = grid(90, false);
  const auto sino = disk_sinogram({{0, 0, 20, kMu}}, angles, 64, 31.5);
  FbpParams p;
  p.size = 48;
  p.mask_ratio = 0.5;  // radius 12 px of the 48-px slice
  const auto s = fbp_reconstruct(sino.cview(), angles, 31.5, p);
  ASSERT_EQ(s.extent(0), 48u);
  EXPECT_EQ(s(0, 0), 0.0f);
  EXPECT_EQ(s(23, 5), 0.0f);                // 18.5 px from the centre
  EXPECT_NEAR(s(23, 23), kMu, 0.03 * kMu);  // the disk's middle
}

TEST(Fbp, BadInput) {
  const auto angles = grid(30, false);
  auto sino = disk_sinogram({{0, 0, 10, kMu}}, angles, 32, 15.5);
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview(), angles, 40.0); }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview(), angles, -0.5); }),
            ErrorKind::Usage);
  const std::vector<double> short_angles(angles.begin(), angles.begin() + 10);
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview(), short_angles, 15.5); }),
            ErrorKind::Usage);
  FbpParams bad_filter;
  bad_filter.filter = "kaiser";
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview(), angles, 15.5, bad_filter); }),
            ErrorKind::Usage);
  const std::vector<double> one{0.0};
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview().slab(0, 1), one, 15.5); }),
            ErrorKind::BadData);
  sino(3, 7) = std::nanf("");
  EXPECT_EQ(test::thrown_kind([&] { fbp_reconstruct(sino.cview(), angles, 15.5); }),
            ErrorKind::BadData);
}

}  // namespace
}  // namespace xct::recon
