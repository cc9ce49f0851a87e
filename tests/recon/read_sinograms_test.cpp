// The preprocessing chain on scan files: read_sinograms on a simulated NeXus scan with flats
// taken before and after the projections, with and without interpolating between them.
#include <gtest/gtest.h>

#include <cmath>

#include "io/scan.hpp"
#include "recon/preprocess.hpp"
#include "simulate/detector.hpp"
#include "simulate/simulate.hpp"
#include "tests/support/test_support.hpp"

namespace xct::recon {
namespace {

// Mean -log of the `n_air` air columns at each edge (outside the cell), over every row and the
// last `n_last` angles: where the beam has lost about 1 %, which flats taken before the scan
// alone read as attenuation.
double air_at_the_end(const HostArray<float, 3>& sinos, std::size_t n_air, std::size_t n_last) {
  const std::size_t n_r = sinos.extent(0), n_a = sinos.extent(1), n_c = sinos.extent(2);
  double sum = 0;
  for (std::size_t r = 0; r < n_r; ++r)
    for (std::size_t a = n_a - n_last; a < n_a; ++a)
      for (std::size_t c = 0; c < n_air; ++c)
        sum += sinos(r, a, c) + sinos(r, a, n_c - 1 - c);
  return sum / static_cast<double>(2 * n_air * n_last * n_r);
}

TEST(ReadSinograms, InterpolatesFlatsTakenBeforeAndAfterTheScan) {
  test::TempDir dir;
  sim::SimulationParams p;
  p.cell.n_cols = 96;
  p.cell.n_rows = 8;
  p.cell.cell_height = 96;
  p.cell.first_row = 50;
  p.n_angles = 91;
  p.format = sim::ScanFormat::Nexus;
  p.detector.n_flats = 10;
  p.detector.n_flats_after = 10;
  p.detector.stripes = false;
  p.truth = false;
  p.previews = false;
  const auto out = sim::simulate(p, dir.path(), null_logger(), Progress::Style::Silent);
  auto reader = open_scan(out.scans.at(0), LayoutSpec{});
  ASSERT_EQ(reader->info().flats.n_frames, 20u);

  PreprocessParams params;
  PreprocessReport with, without;
  const auto interpolated = read_sinograms(*reader, Range{0, 8}, params, with);
  params.interpolate_flats = false;
  const auto before_only = read_sinograms(*reader, Range{0, 8}, params, without);
  EXPECT_TRUE(with.flats_interpolated);
  EXPECT_FALSE(without.flats_interpolated);
  // The beam's loss over the last 10 angles, from the simulator's own drift model; the
  // housing's outer radius is 0.42 of the width, so 8 columns at each edge are air.
  const auto det = sim::make_detector(p.detector, 8, 96, p.n_angles);
  double lost = 0;
  for (std::size_t a = p.n_angles - 10; a < p.n_angles; ++a)
    lost += -std::log(sim::beam_intensity(det, a)) / 10;
  // 1280 air samples of about 1 % noise each: their mean is good to about 0.05 %.
  EXPECT_NEAR(air_at_the_end(before_only, 8, 10), lost, 0.2 * lost);
  EXPECT_LT(std::abs(air_at_the_end(interpolated, 8, 10)), 0.3 * lost);
  for (float v : interpolated)
    ASSERT_TRUE(std::isfinite(v));
}

}  // namespace
}  // namespace xct::recon
