// Filtered back-projection against known answers: analytic projections of uniform disks (exact
// line integrals), the simulator's cell and its attenuation truth, the angular weights, each
// filter's response against its formula, and the slab kernel against single slices.
#include <gtest/gtest.h>
#include <omp.h>

#include "tests/support/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numbers>
#include <vector>

#include "core/error.hpp"
#include "recon/fbp.hpp"
#include "recon/fft.hpp"
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

// ---------------------------------------------------------------------------------------------
// Filters and padding.

// Algotom's window centred on DC, half-summed (see fbp_filter_window), for the cosine-sum
// windows a0 - a1 cos(2 pi i / (M - 1)).
double scipy_cosine_window(double a0, double a1, std::size_t m, std::size_t k) {
  auto w = [&](std::size_t i) {
    return a0 - a1 * std::cos(2 * kPi * static_cast<double>(i % m) / static_cast<double>(m - 1));
  };
  return 0.5 * (w(k + m / 2) + w(m - k + m / 2));
}

TEST(FbpFilter, WindowsFollowTheirFormulas) {
  // f is the frequency as a fraction of Nyquist: bin k of a width-w spectrum is f = 2k / w.
  for (std::size_t width : {1024u, 1001u}) {
    for (double f : {0.0, 0.25, 0.5, 0.75, 0.96}) {
      const auto k = static_cast<std::size_t>(std::lround(f * 0.5 * static_cast<double>(width)));
      const double fk = 2.0 * static_cast<double>(k) / static_cast<double>(width);
      FbpParams p;
      auto at = [&](const std::string& name) {
        p.filter = name;
        return fbp_filter_window(width, p).at(k);
      };
      EXPECT_DOUBLE_EQ(at("ram-lak"), 1.0);
      EXPECT_DOUBLE_EQ(at("none"), 1.0);
      const double t = 0.5 * kPi * fk;
      EXPECT_NEAR(at("shepp-logan"), fk == 0 ? 1.0 : std::sin(t) / t, 1e-15) << f;
      EXPECT_NEAR(at("cosine"), std::cos(t), 1e-15) << f;
      p.butterworth_order = 2;
      p.butterworth_cutoff = 0.5;
      EXPECT_NEAR(at("butterworth"), 1.0 / (1.0 + std::pow(fk / 0.5, 4)), 1e-15) << f;
      p.butterworth_order = 5;
      p.butterworth_cutoff = 0.3;
      EXPECT_NEAR(at("butterworth"), 1.0 / (1.0 + std::pow(fk / 0.3, 10)), 1e-15) << f;
      // The SciPy windows exactly as Algotom applies them, and close to their textbook forms
      // 0.5 + 0.5 cos(pi f), 0.54 + 0.46 cos(pi f) (the SciPy window spans M - 1 intervals).
      EXPECT_NEAR(at("hann"), scipy_cosine_window(0.5, 0.5, width, k), 1e-15);
      EXPECT_NEAR(at("hamming"), scipy_cosine_window(0.54, 0.46, width, k), 1e-15);
      EXPECT_NEAR(at("hann"), 0.5 + 0.5 * std::cos(kPi * fk), 4.0 / static_cast<double>(width));
      EXPECT_NEAR(at("hamming"), 0.54 + 0.46 * std::cos(kPi * fk),
                  4.0 / static_cast<double>(width));
      // Parzen: 1 - 6 f^2 + 6 f^3 up to f = 1/2, 2 (1 - f)^3 beyond.
      const double parzen =
          fk <= 0.5 ? 1 - 6 * fk * fk + 6 * fk * fk * fk : 2 * std::pow(1 - fk, 3);
      EXPECT_NEAR(at("parzen"), parzen, 4.0 / static_cast<double>(width));
    }
  }
  FbpParams half_power;
  half_power.filter = "butterworth";
  half_power.butterworth_cutoff = 0.4;
  EXPECT_NEAR(fbp_filter_window(1000, half_power)[200], 0.5, 1e-12);  // f = 0.4: half power
}

TEST(FbpFilter, RampIsTheDiscreteRamLakKernel) {
  // The DFT of h(0) = 1/4, h(odd n) = -1/(pi n)^2 is about |k| / w: k / w plus a small positive
  // DC term (about 0.2 / w for these widths) that keeps the sum of the filtered row right.
  for (std::size_t width : {256u, 1000u, 1331u}) {
    FbpParams p;
    p.filter = "ram-lak";
    const auto ramp = fbp_filter_response(width, p);
    ASSERT_EQ(ramp.size(), width / 2 + 1);
    const double w = static_cast<double>(width);
    EXPECT_GT(ramp[0], 0.0);
    EXPECT_LT(ramp[0], 0.25 / w);
    for (std::size_t k : {1u, 10u, 100u, 127u}) {
      EXPECT_NEAR(ramp[k], static_cast<double>(k) / w, 0.25 / w) << k;
    }
    EXPECT_NEAR(ramp[width / 2], static_cast<double>(width / 2) / w, 0.25 / w);  // Nyquist
    // Every other filter is the ramp times its window.
    for (const std::string& name : fbp_filter_names()) {
      p.filter = name;
      const auto r = fbp_filter_response(width, p), g = fbp_filter_window(width, p);
      for (std::size_t k = 0; k < r.size(); k += 37)
        EXPECT_NEAR(r[k], ramp[k] * g[k], 1e-15) << name;
    }
  }
}

TEST(FbpFilter, PaddingWidths) {
  auto smooth = [](std::size_t m) {
    for (std::size_t f : {2u, 3u, 5u, 7u})
      while (m % f == 0)
        m /= f;
    return m == 1;
  };
  for (std::size_t n = 1; n < 3000; n += 7) {
    const std::size_t m = fft_friendly_length(n);
    EXPECT_TRUE(smooth(m));
    for (std::size_t j = n; j < m; ++j)
      EXPECT_FALSE(smooth(j)) << j;
  }
  EXPECT_EQ(fft_friendly_length(1324), 1344u);
  FbpParams p;
  auto pad = fbp_padding(100, p);  // Algotom's min(int(0.15 n), 150) on each side
  EXPECT_EQ(pad.left, 15u);
  EXPECT_EQ(pad.padded, 130u);
  EXPECT_EQ(pad.width, 135u);  // 3^3 5
  pad = fbp_padding(2560, p);
  EXPECT_EQ(pad.left, 150u);
  EXPECT_EQ(pad.width, 2880u);  // 2860 -> 2^6 3^2 5
  p.fft_friendly = false;
  EXPECT_EQ(fbp_padding(2560, p).width, 2860u);
  p.pad_cols = 7;
  EXPECT_EQ(fbp_padding(2560, p).width, 2574u);
}

TEST(FbpFilter, NamesAndBadParameters) {
  const auto names = fbp_filter_names();
  for (const char* expected :
       {"ram-lak", "none", "shepp-logan", "cosine", "hamming", "hann", "parzen", "butterworth",
        "blackman", "nuttall", "bartlett", "triang"})
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  FbpParams p;
  for (const char* bad : {"kaiser", "", "Hann", "shepp_logan"}) {
    p.filter = bad;
    EXPECT_EQ(test::thrown_kind([&] { fbp_filter_window(64, p); }), ErrorKind::Usage) << bad;
  }
  p.filter = "butterworth";
  p.butterworth_order = 0;
  EXPECT_EQ(test::thrown_kind([&] { fbp_filter_window(64, p); }), ErrorKind::Usage);
  p.butterworth_order = 2;
  p.butterworth_cutoff = 0.0;
  EXPECT_EQ(test::thrown_kind([&] { fbp_filter_window(64, p); }), ErrorKind::Usage);
  FbpParams q;
  q.padding = "reflect";
  EXPECT_EQ(test::thrown_kind([&] { fbp_padding(64, q); }), ErrorKind::Usage);
  q.padding = "zero";
  q.pad_cols = -2;
  EXPECT_EQ(test::thrown_kind([&] { fbp_padding(64, q); }), ErrorKind::Usage);
}

TEST(FbpFilter, RamLakAndEveryFilterKeepTheDiskLevel) {
  // Every window has gain 1 at DC, so each filter reconstructs the inside of a uniform disk at
  // its attenuation: within 1 % for the ramp alone, 1.5 % for the others (whose blur of the
  // edge reaches further in; Butterworth at 0.5 Nyquist is the smoothest).
  const Disk disk{-8.0, 6.0, 30.0, kMu};
  const double centre = 64.2;
  const auto angles = grid(360, false);
  const auto sino = disk_sinogram({disk}, angles, kCols, centre);
  for (const std::string& name : fbp_filter_names()) {
    FbpParams p;
    p.filter = name;
    const auto slice = fbp_reconstruct(sino.cview(), angles, centre, p);
    const double inside = ring_mean(slice.cview(), disk.x, disk.y, 0, disk.radius - 8);
    const double tol = name == "ram-lak" || name == "none" ? 0.01 : 0.015;
    EXPECT_NEAR(inside, kMu, tol * kMu) << name;
    EXPECT_NEAR(ring_mean(slice.cview(), disk.x, disk.y, disk.radius + 6, disk.radius + 14), 0.0,
                0.02 * kMu)
        << name;
  }
}

TEST(FbpFilter, ZeroAndEdgePaddingDifferNearTheEdges) {
  // A disk wider than the detector (a sample that fills the field of view): its rows end at a
  // high value, which zero padding turns into a step. The two paddings then differ most next
  // to the detector's edges (by about 2 mu over the outer rim, measured) and about ten times
  // less in the middle of the slice.
  const Disk disk{0.0, 0.0, 90.0, kMu};
  const double centre = 63.5;
  const auto angles = grid(360, false);
  const auto sino = disk_sinogram({disk}, angles, kCols, centre);
  FbpParams edge, zero;
  zero.padding = "zero";
  const auto a = fbp_reconstruct(sino.cview(), angles, centre, edge);
  const auto b = fbp_reconstruct(sino.cview(), angles, centre, zero);
  const double half = 0.5 * (kCols - 1.0);
  double mid = 0, mid_n = 0, rim = 0, rim_n = 0;
  for (std::size_t r = 0; r < kCols; ++r) {
    for (std::size_t q = 0; q < kCols; ++q) {
      const double d = std::hypot(q - half, r - half), diff = std::abs(a(r, q) - b(r, q));
      if (d < 0.25 * kCols) {
        mid += diff;
        mid_n += 1;
      } else if (d > 0.45 * kCols && d < 0.5 * kCols) {
        rim += diff;
        rim_n += 1;
      }
    }
  }
  mid /= mid_n;
  rim /= rim_n;
  EXPECT_GT(rim, 5 * mid) << "rim " << rim << " middle " << mid;
  EXPECT_GT(rim, kMu);  // the step is not a small effect at the edge
}

TEST(FbpFilter, FftFriendlyPaddingChangesTheSliceLittle) {
  // A sample inside the field of view: rounding the padded width up to a 2^a 3^b 5^c 7^d
  // length (128 + 2 x 19 = 166 -> 168 here) changes the slice by less than 1e-4 (relative L2;
  // 6e-5 measured), the windows' width and the ramp's discretisation being the only changes.
  const std::vector<Disk> disks{{10.0, 5.0, 20.0, kMu}, {-25.0, -12.0, 8.0, 2 * kMu}};
  const auto angles = grid(300, false);
  const auto sino = disk_sinogram(disks, angles, kCols, 62.7);
  for (const char* name : {"hann", "ram-lak", "shepp-logan"}) {
    FbpParams on, off;
    on.filter = off.filter = name;
    off.fft_friendly = false;
    ASSERT_NE(fbp_padding(kCols, on).width, fbp_padding(kCols, off).width);
    const auto a = fbp_reconstruct(sino.cview(), angles, 62.7, on);
    const auto b = fbp_reconstruct(sino.cview(), angles, 62.7, off);
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      num += (a.data()[i] - b.data()[i]) * (a.data()[i] - b.data()[i]);
      den += b.data()[i] * b.data()[i];
    }
    EXPECT_LT(std::sqrt(num / den), 1e-4) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Slabs.

// Sinograms [rows, angles, cols] of disks that move and change from row to row.
HostArray<float, 3> slab_sinograms(std::size_t rows, const std::vector<double>& angles,
                                   std::size_t cols, const std::vector<double>& centres) {
  HostArray<float, 3> s({rows, angles.size(), cols});
  for (std::size_t i = 0; i < rows; ++i) {
    const double di = static_cast<double>(i);
    const auto one = disk_sinogram({{10.0 - di, 5.0 + 0.5 * di, 20.0, kMu * (1 + 0.1 * di)},
                                    {-25.0, -12.0 + di, 8.0, 2 * kMu}},
                                   angles, cols, centres[centres.size() == 1 ? 0 : i]);
    std::copy(one.begin(), one.end(), &s(i, 0, 0));
  }
  return s;
}

double max_rel_diff(ConstImage a, ConstImage b) {
  double diff = 0, scale = 0;
  for (std::size_t r = 0; r < a.extent(0); ++r) {
    for (std::size_t q = 0; q < a.extent(1); ++q) {
      diff = std::max(diff, double(std::abs(a(r, q) - b(r, q))));
      scale = std::max(scale, double(std::abs(b(r, q))));
    }
  }
  return diff / scale;
}

TEST(FbpSlab, EverySliceEqualsTheSingleSlice) {
  // 11 rows at one centre run as a group of 8 and a group of 3 (the 4-lane kernel); each slice
  // equals fbp_reconstruct of its row (to 1e-6 of the slice's largest value; the kernels do the
  // same float operations per lane, so the match is exact on x86-64). Also with a smaller
  // output, a mask and another filter, and with 181 angles (not a multiple of 4).
  for (std::size_t n_angles : {180u, 181u}) {
    const auto angles = grid(n_angles, n_angles % 2 == 1);
    const std::vector<double> centre{61.75};
    const auto sinos = slab_sinograms(11, angles, kCols, centre);
    for (int variant = 0; variant < 2; ++variant) {
      FbpParams p;
      if (variant == 1) {
        p.size = 100;
        p.mask_ratio = 0.9;
        p.filter = "shepp-logan";
        p.padding = "zero";
      }
      const std::size_t n = variant == 1 ? 100 : kCols;
      HostArray<float, 3> slices({11, n, n}, -1.0f);
      fbp_reconstruct_slab(sinos.cview(), angles, centre, p, slices.view());
      for (std::size_t i = 0; i < 11; ++i) {
        const auto single = fbp_reconstruct(sinos.cview()[i], angles, centre[0], p);
        EXPECT_LE(max_rel_diff(slices.cview()[i], single.cview()), 1e-6) << i;
      }
    }
  }
}

TEST(FbpSlab, PerRowCentres) {
  // Runs of equal centres share positions; rows whose centres all differ take the one-lane
  // path. Each slice equals the single slice at its row's centre.
  const auto angles = grid(120, false);
  for (const std::vector<double>& centres :
       {std::vector<double>{60.0, 60.0, 60.0, 61.5, 61.5, 60.0, 62.25},
        std::vector<double>{60.0, 60.5, 61.0, 61.5, 62.0, 62.5, 63.0}}) {
    const auto sinos = slab_sinograms(centres.size(), angles, kCols, centres);
    HostArray<float, 3> slices({centres.size(), kCols, kCols});
    fbp_reconstruct_slab(sinos.cview(), angles, centres, {}, slices.view());
    for (std::size_t i = 0; i < centres.size(); ++i) {
      const auto single = fbp_reconstruct(sinos.cview()[i], angles, centres[i]);
      EXPECT_LE(max_rel_diff(slices.cview()[i], single.cview()), 1e-6) << i;
      // The disk reconstructs at its level at the right place: the centre was used.
      EXPECT_NEAR(ring_mean(slices.cview()[i], 10.0 - double(i), 5.0 + 0.5 * double(i), 0, 14),
                  kMu * (1 + 0.1 * double(i)), 0.02 * kMu);
    }
  }
}

TEST(FbpSlab, SameBytesForAnyThreadCount) {
  const auto angles = grid(150, false);
  const std::vector<double> centres{63.0, 63.0, 63.0, 63.0, 63.0, 64.5};
  const auto sinos = slab_sinograms(centres.size(), angles, kCols, centres);
  const int threads = omp_get_max_threads();
  std::vector<HostArray<float, 3>> runs;
  for (int t : {1, 2, 1, 3}) {
    omp_set_num_threads(t);
    runs.emplace_back(HostArray<float, 3>::Shape{centres.size(), kCols, kCols});
    fbp_reconstruct_slab(sinos.cview(), angles, centres, {}, runs.back().view());
  }
  omp_set_num_threads(threads);
  for (std::size_t i = 1; i < runs.size(); ++i)
    EXPECT_EQ(std::memcmp(runs[0].data(), runs[i].data(), runs[0].size() * sizeof(float)), 0) << i;
}

TEST(FbpSlab, WorkBytes) {
  // The interleaved filtered rows dominate: 8 lanes x angles x (cols + 1) floats from 8 rows
  // on, fewer lanes below; per-thread buffers add a little.
  const std::size_t a = 1801, c = 2560;
  const std::size_t eight = fbp_slab_work_bytes(8, a, c, c, 2);
  EXPECT_GE(eight, 8 * a * (c + 1) * sizeof(float));
  EXPECT_LT(eight, 8 * a * (c + 1) * sizeof(float) * 11 / 10);
  EXPECT_EQ(fbp_slab_work_bytes(64, a, c, c, 2), eight);
  EXPECT_LT(fbp_slab_work_bytes(1, a, c, c, 2), fbp_slab_work_bytes(4, a, c, c, 2));
  EXPECT_LT(fbp_slab_work_bytes(4, a, c, c, 2), eight);
  EXPECT_LT(eight, fbp_slab_work_bytes(8, a, c, c, 16));
}

TEST(FbpSlab, BadInput) {
  const auto angles = grid(30, false);
  const std::vector<double> centre{15.5};
  const auto sinos = slab_sinograms(3, angles, 32, centre);
  HostArray<float, 3> slices({3, 32, 32});
  auto run = [&](std::span<const double> c, HostView<float, 3> out, const FbpParams& p) {
    return test::thrown_kind([&] { fbp_reconstruct_slab(sinos.cview(), angles, c, p, out); });
  };
  const std::vector<double> two{15.5, 15.5}, outside{15.5, 15.5, 31.5};
  EXPECT_EQ(run(two, slices.view(), {}), ErrorKind::Usage);
  EXPECT_EQ(run(outside, slices.view(), {}), ErrorKind::Usage);
  HostArray<float, 3> too_few({2, 32, 32}), not_square({3, 32, 31});
  EXPECT_EQ(run(centre, too_few.view(), {}), ErrorKind::Usage);
  EXPECT_EQ(run(centre, not_square.view(), {}), ErrorKind::Usage);
  FbpParams sized;
  sized.size = 40;
  EXPECT_EQ(run(centre, slices.view(), sized), ErrorKind::Usage);
  FbpParams bad_filter;
  bad_filter.filter = "kaiser";
  EXPECT_EQ(run(centre, slices.view(), bad_filter), ErrorKind::Usage);
  auto nan = slab_sinograms(3, angles, 32, centre);
  nan(2, 5, 9) = std::nanf("");
  EXPECT_EQ(test::thrown_kind(
                [&] { fbp_reconstruct_slab(nan.cview(), angles, centre, {}, slices.view()); }),
            ErrorKind::BadData);
}

}  // namespace
}  // namespace xct::recon
