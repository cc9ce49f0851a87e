// The projector's geometry and values: closed-form chords through the cell's concentric
// cylinders, the documented detector convention, and a noise-free scan written to disk whose
// flat-field-corrected -log equals the line integrals.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "core/logger.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"
#include "simulate/projector.hpp"
#include "simulate/simulate.hpp"
#include "tests/support/test_support.hpp"

namespace xct::sim {
namespace {

constexpr double kCmPerPx = 1.3e-4;  // 1.3 um pixels

double chord(double r, double s) {
  return std::abs(s) < r ? 2 * std::sqrt(r * r - s * s) : 0;
}

TEST(Projector, RowThroughThePelletIsTheSumOfChords) {
  // Below the NaK and the O-ring a horizontal ray crosses only the housing wall, the air gap
  // and the pellet: mu_PEEK (chord(outer) - chord(inner)) + mu_NASICON chord(pellet).
  CellParams p;
  p.n_cols = 200;
  p.n_rows = 100;
  p.bubbles = 0;
  p.interface_void_fraction = 0;
  const Cell cell = build_cell(p, {0.0});  // intact: no crack
  const ProjectionGeometry g{100, 200, 99.5 + 0.35, 1.3, 1};
  const double row = 80;  // inside the pellet (rows 52 to 90)
  for (double theta : {0.0, 0.4, 1.3, 2.9}) {
    for (double u : {5.0, 30.0, 60.0, 99.0, 120.5, 170.0, 190.0}) {
      const double s = u - g.centre;
      const double expected =
          (0.222 * (chord(0.42 * 200, s) - chord(0.385 * 200, s)) + 2.28 * chord(0.36 * 200, s)) *
          kCmPerPx;
      EXPECT_NEAR(line_integral(cell.scene, Pose{}, g, theta, u, row), expected,
                  1e-12 + 1e-9 * expected)
          << "theta " << theta << " u " << u;
    }
  }
}

TEST(Projector, PointAtXYLandsAtTheDocumentedColumn) {
  // A small ball at (x, y) projects onto u = x cos(theta) - y sin(theta) + centre: the ray
  // through that column crosses its full diameter, rays a radius away miss it.
  Scene scene;
  const double x = 17.5, y = -9.25, r = 2;
  scene.add({"ball", sphere({x, y, 4}, r), {"test", 1.0, 0}, kNasicon});
  const ProjectionGeometry g{8, 64, 31.5 + 0.8, 1.3, 1};
  for (double theta : {0.0, 0.7, std::numbers::pi / 2, 2.4, std::numbers::pi}) {
    const double u = x * std::cos(theta) - y * std::sin(theta) + g.centre;
    EXPECT_NEAR(line_integral(scene, Pose{}, g, theta, u, 4), 2 * r * kCmPerPx, 1e-12);
    EXPECT_EQ(line_integral(scene, Pose{}, g, theta, u + r + 0.01, 4), 0);
    EXPECT_EQ(line_integral(scene, Pose{}, g, theta, u - r - 0.01, 4), 0);
  }
}

TEST(Projector, NoiseFreeScanGivesTheLineIntegrals) {
  // All detector effects off: -log((proj - dark) / (flat - dark)) read back from the file is
  // the analytic line integral through each pixel centre. Counts are written as float32, so
  // no rounding to integers stands between the two.
  test::TempDir dir;
  SimulationParams sp;
  sp.cell.n_cols = 64;
  sp.cell.n_rows = 24;
  sp.cell.cell_height = 64;
  sp.cell.first_row = 24;  // the band with the NaK, the interface, the crack and the pellet
  sp.n_angles = 25;
  sp.progress = 0.7;
  sp.truth = false;
  auto& d = sp.detector;
  d.flux = 50000;
  d.float_counts = true;
  d.noise = d.beam_profile = d.intensity_drift = d.pixel_gain = d.zingers = d.stripes = false;
  d.blur_sigma_px = 0;
  d.n_flats = d.n_darks = 2;
  const auto out = simulate(sp, dir.path(), null_logger(), Progress::Style::Silent);

  auto reader = open_scan(out.scans[0].string(), LayoutSpec{}, null_logger());
  const auto proj = reader->read_projections<float>(Range{0, 25}, Range{0, 24});
  const auto flat = reader->read_flats(Range{0, 24});
  const auto dark = reader->read_darks(Range{0, 24});
  const Cell cell = build_cell(sp.cell, {0.7});
  const ProjectionGeometry g{24, 64, true_centre(sp), 1.3, 1};
  const auto angles = scan_angles(25);
  double worst = 0, largest = 0;  // relative error, largest line integral
  for (std::size_t a = 0; a < 25; ++a) {
    for (std::size_t v = 0; v < 24; ++v) {
      for (std::size_t u = 0; u < 64; ++u) {
        const double f = flat(0, v, u), dk = dark(0, v, u);
        const double measured = -std::log((proj(a, v, u) - dk) / (f - dk));
        const double exact = line_integral(cell.scene, Pose{}, g, angles[a], u, v);
        // Relative error where the ray crosses matter; below that, float32 counts near 50000
        // resolve transmissions to about 1e-7.
        if (exact > 1e-3) {
          worst = std::max(worst, std::abs(measured - exact) / exact);
        } else {
          EXPECT_LT(std::abs(measured - exact), 1e-6);
        }
        largest = std::max(largest, exact);
      }
    }
  }
  EXPECT_LT(worst, 1e-4);
  // The pellet is in view (2.28/cm across 46 pixels of 1.3 um: 0.0137), so the comparison is
  // not of zeros.
  EXPECT_GT(largest, 0.012);
}

}  // namespace
}  // namespace xct::sim
