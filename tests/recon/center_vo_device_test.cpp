// Vo's centre metric on each device against the CPU: the metrics of every candidate and the
// centre found, on the real Diamond scan (the mean sinogram of the band around row 67, as
// `xct center` measures it) and on a noisy simulated scan. This file is built twice, as
// center_vo_device_test_cpu and as center_vo_device_test_cuda (ctest label `gpu`), which skips
// its tests when no CUDA device is visible.
//
// On the CPU the tests hold the search to the centres it found before the metric could run on a
// device (recorded below), and run the device's per-element arithmetic
// (cuda/center_vo_math.hpp) against direct evaluations. On CUDA they hold the device to the CPU:
// a relative 1e-5 per metric (the transforms round differently: cuFFT against FFTW, both in
// float) and the same centre to 1e-6 px.
#include <gtest/gtest.h>

#include "tests/support/device_test.hpp"

#include "tests/support/test_support.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numbers>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/logger.hpp"
#include "cuda/center_vo.hpp"
#include "cuda/center_vo_math.hpp"
#include "cuda/device.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"
#include "recon/center.hpp"
#include "recon/center_measure.hpp"
#include "recon/fbp_device.hpp"
#include "recon/ndimage.hpp"
#include "recon/spline_shift.hpp"
#include "tests/support/sim_scan.hpp"

namespace xct::recon {

namespace {

constexpr double kMetricTolerance = 1e-5;  // relative, per metric, device vs CPU
constexpr double kCentreTolerance = 1e-6;  // px, device vs CPU

// The centres the CPU search found on these inputs before the metric could run on a device
// (the refactoring must not move them).
constexpr double kDiamondCentre = 85.555695186694351;    // Algotom: 85.5
constexpr double kDiamondVoCentre = 85.5;                // the fine search's minimum
constexpr double kSimulatedCentre = 139.75791032234818;  // the simulator's axis: 139.75
constexpr double kSimulatedVoCentre = 139.75;

// The band around row 67 of the Diamond TIFF scan (shared/data/real/dls-24737-tiff), as
// `xct center --row 67` reads it: the first half turn, flat-fielded, zingers removed, -log.
BandSinograms diamond_band() {
  LayoutSpec spec;
  spec.angles.kind = AngleSpec::Kind::TextFile;
  spec.angles.file = "angles.txt";
  spec.angles.first_line = 11;
  spec.angles.last_line = 101;
  auto reader = open_scan(test::real_data_dir() / "dls-24737-tiff", spec);
  PreprocessReport report;
  return band_sinograms(*reader, band_around(67, 16, reader->info().n_rows()), PreprocessParams{},
                        report);
}

// The band's mean sinogram, as measure_band_centre averages it.
HostArray<float, 2> mean_sinogram(const BandSinograms& band) {
  const std::size_t n_r = band.sinos.extent(0), n = band.sinos.extent(1) * band.sinos.extent(2);
  HostArray<float, 2> mean({band.sinos.extent(1), band.sinos.extent(2)}, 0.0f);
  for (std::size_t r = 0; r < n_r; ++r)
    for (std::size_t i = 0; i < n; ++i)
      mean.data()[i] += band.sinos.data()[r * n + i] / static_cast<float>(n_r);
  return mean;
}

// A noisy simulated scan as in center_test.cpp (256 columns, 361 angles, the axis 12.25 px
// right of the middle): the mean of a band of 32 flat-fielded rows, -log.
HostArray<float, 2> simulated_sinogram() {
  constexpr std::size_t kCols = 256, kRows = 32, kAngles = 361;
  sim::SimulationParams p = test::band_params(kCols, kRows, kAngles);
  p.axis_offset_px = 12.25;
  p.cell.seed = 2;
  for (double* r : {&p.cell.housing_outer, &p.cell.housing_inner, &p.cell.pellet_radius,
                    &p.cell.contact_radius})
    *r *= 0.7;
  p.detector.stripes = false;
  p.detector.zingers = false;
  p.detector.noise_seed = 2;
  p.detector.flux = 30000;
  const test::SimScan raw = test::simulate_scan(p);
  HostArray<float, 2> sino({kAngles, kCols}, 0.0f);
  for (std::size_t r = 0; r < kRows; ++r) {
    const auto t = test::corrected_sinogram(raw, r);
    for (std::size_t i = 0; i < t.size(); ++i)
      sino.data()[i] += t.data()[i] / static_cast<float>(kRows);
  }
  for (float& v : sino)
    v = std::isfinite(v) ? static_cast<float>(-std::log(std::max(double(v), 1e-3))) : 0.0f;
  return sino;
}

// Candidates that exercise every kind of shift: whole and fractional, near the middle and at
// both ends of the detector (where the overwritten columns take up most of the row).
std::vector<double> candidates(std::size_t n_cols) {
  const double last = static_cast<double>(n_cols) - 1.0, mid = 0.5 * last;
  std::vector<double> c = {0.0, 0.25, 1.0, 2.5, last - 1.75, last - 0.5, last};
  for (double d = -6; d <= 6; d += 0.25)
    c.push_back(mid + 13.0 + d);
  return c;
}

double relative(double got, double want) {
  return std::abs(got - want) / std::abs(want);
}

void expect_same_curve(const CenterCurve& got, const CenterCurve& want, const char* what) {
  ASSERT_EQ(got.centres, want.centres) << what;
  ASSERT_EQ(got.metrics.size(), want.metrics.size()) << what;
  for (std::size_t i = 0; i < want.metrics.size(); ++i)
    EXPECT_LE(relative(got.metrics[i], want.metrics[i]), kMetricTolerance)
        << what << " candidate " << want.centres[i] << ": " << got.metrics[i] << " against "
        << want.metrics[i];
}

class CenterVoDevice : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (GetParam() == Device::Cuda && cuda::visible_devices().empty())
      GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
    choice_ = choose_device(GetParam() == Device::Cuda ? "cuda" : "cpu");
  }
  // The search parameters with this test's device.
  CenterVoParams on_device(CenterVoParams p = {}) const {
    p.use_cuda = choice_.device == Device::Cuda;
    p.cuda_index = choice_.cuda_index;
    return p;
  }
  // The metrics at `centres` on this device and on the CPU, compared per candidate.
  void expect_metrics_match(ConstImage sino, const std::vector<double>& centres,
                            CenterVoParams p = {}) const {
    const auto want = center_vo_metrics(sino, centres, p);
    const auto got = center_vo_metrics(sino, centres, on_device(p));
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < want.size(); ++i) {
      EXPECT_TRUE(std::isfinite(got[i])) << centres[i];
      EXPECT_LE(relative(got[i], want[i]), kMetricTolerance)
          << "centre " << centres[i] << ": " << got[i] << " against " << want[i];
    }
  }
  // The whole search on this device against the CPU's; returns this device's result.
  CenterResult expect_search_matches(ConstImage sino, const CenterVoParams& p = {}) const {
    const CenterResult want = find_center_vo(sino, p);
    const CenterResult got = find_center_vo(sino, on_device(p));
    expect_same_curve(got.coarse, want.coarse, "coarse");
    expect_same_curve(got.fine, want.fine, "fine");
    EXPECT_EQ(got.vo_centre, want.vo_centre);
    EXPECT_NEAR(got.centre, want.centre, kCentreTolerance);
    EXPECT_EQ(got.at_edge, want.at_edge);
    return got;
  }
  DeviceChoice choice_;
};

TEST_P(CenterVoDevice, DiamondScanGivesTheCpuMetricsAndCentre) {
  const BandSinograms band = diamond_band();
  const HostArray<float, 2> sino = mean_sinogram(band);
  expect_metrics_match(sino.cview(), candidates(sino.extent(1)));
  CenterVoParams narrow;  // another wedge and other drops
  narrow.ratio = 0.3;
  narrow.hor_drop = 5;
  narrow.ver_drop = 2;
  expect_metrics_match(sino.cview(), candidates(sino.extent(1)), narrow);
  const CenterResult r = expect_search_matches(sino.cview());
  EXPECT_NEAR(r.centre, kDiamondCentre, kCentreTolerance);
  EXPECT_EQ(r.vo_centre, kDiamondVoCentre);
  EXPECT_NEAR(r.centre, 85.5, 0.5);  // Algotom's find_center_vo on row 67
  // measure_band_centre hands the parameters on as they are given.
  CentreMeasureParams mp;
  mp.vo = on_device();
  EXPECT_NEAR(measure_band_centre(band, mp, null_logger()).centre, kDiamondCentre,
              kCentreTolerance);
}

TEST_P(CenterVoDevice, SimulatedScanGivesTheCpuMetricsAndCentre) {
  const HostArray<float, 2> sino = simulated_sinogram();
  expect_metrics_match(sino.cview(), candidates(sino.extent(1)));
  const CenterResult r = expect_search_matches(sino.cview());
  EXPECT_NEAR(r.centre, kSimulatedCentre, kCentreTolerance);
  EXPECT_EQ(r.vo_centre, kSimulatedVoCentre);
  EXPECT_NEAR(r.centre, 139.75, 0.25);  // the simulator's axis
  // Algotom's answer without the refinement, and the full-resolution coarse search.
  CenterVoParams plain;
  plain.refine = false;
  plain.downsample = false;
  plain.step = 0.5;
  expect_search_matches(sino.cview(), plain);
}

// The device's per-element arithmetic run on the CPU: the stacked spectrum value of every kind
// of column against its formula evaluated directly, and the columns a row's sum visits.
TEST_P(CenterVoDevice, StackedValuesAndSummedColumns) {
  using cuda::math::Complex;
  constexpr long n = 37;
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<Complex> a(n), coef(n);
  for (long j = 0; j < n; ++j) {
    a[j] = {u(rng), u(rng)};
    coef[j] = {u(rng), u(rng)};
  }
  const Complex phase{0.6f, -0.8f};
  const auto as_std = [](Complex c) { return std::complex<double>(c.re, c.im); };
  for (double shift : {0.0, 3.0, -5.0, 2.25, -7.75, 0.5, 36.0, -36.5, 40.0}) {
    for (bool odd : {false, true}) {
      cuda::VoShift sh;
      sh.left = static_cast<long>(std::min<double>(n, shift >= 0 ? std::ceil(shift) : 0));
      sh.right = static_cast<long>(std::min<double>(n, shift < 0 ? -std::floor(shift) : 0));
      sh.integer = shift == std::floor(shift);
      sh.rounded = std::lround(shift);
      const CubicTaps taps = cubic_shift_taps(shift);
      sh.offset = taps.offset;
      for (int h = 0; h < 4; ++h)
        sh.weight[h] = static_cast<float>(taps.weight[h]);
      for (long j = 0; j < n; ++j) {
        std::complex<double> want;
        const std::complex<double> x = as_std(a[j]);
        if (j < sh.left || j >= n - sh.right) {
          want = x + as_std(phase) * std::conj(x);
        } else if (sh.integer) {
          want = x + (odd ? -1.0 : 1.0) * as_std(a[n - 1 - j + sh.rounded]);
        } else {
          want = x;
          for (int h = 0; h < 4; ++h)
            want += static_cast<double>(sh.weight[h]) *
                    as_std(coef[mirror_index(j + sh.offset + h, n)]);
        }
        const Complex got =
            cuda::math::vo_stacked_value(a.data(), coef.data(), phase, odd, sh, n, j);
        EXPECT_NEAR(got.re, want.real(), 1e-5) << "shift " << shift << " column " << j;
        EXPECT_NEAR(got.im, want.imag(), 1e-5) << "shift " << shift << " column " << j;
      }
    }
  }
  for (long i = -80; i < 80; ++i)
    EXPECT_EQ(cuda::math::mirror_index(i, n), mirror_index(i, n)) << i;
  EXPECT_EQ(cuda::math::mirror_index(5, 1), 0);
  // The columns within `reach` of DC (either side), each once, in increasing order.
  for (long cols : {1L, 2L, 7L, 8L, 37L}) {
    for (std::size_t reach : {0u, 1u, 3u, 4u, 18u, 19u, 100u}) {
      std::vector<long> want, got;
      for (long c = 0; c < cols; ++c)
        if (static_cast<std::size_t>(std::min(c, cols - c)) <= reach) want.push_back(c);
      const auto rc = cuda::math::row_columns(reach, cols);
      for (long m = 0; m < rc.count; ++m)
        got.push_back(rc.column(m));
      EXPECT_EQ(got, want) << cols << " columns, reach " << reach;
    }
  }
  EXPECT_EQ(cuda::math::weighted_magnitude(2.0f, Complex{3.0f, 4.0f}), 10.0f);
}

TEST_P(CenterVoDevice, BadInputIsRefusedAsOnTheCpu) {
  HostArray<float, 2> flat({20, 32}, 0.5f);
  EXPECT_EQ(test::thrown_kind([&] { find_center_vo(flat.cview(), on_device()); }),
            ErrorKind::BadData);
  HostArray<float, 2> sino({20, 32});
  for (std::size_t i = 0; i < sino.size(); ++i)
    sino.data()[i] = static_cast<float>((i * 7919) % 113) / 113.0f;
  CenterVoParams outside = on_device();
  outside.start = 10;
  outside.stop = 40;
  EXPECT_EQ(test::thrown_kind([&] { find_center_vo(sino.cview(), outside); }), ErrorKind::Usage);
  const std::vector<double> beyond = {33.0};
  EXPECT_EQ(test::thrown_kind([&] { center_vo_metrics(sino.cview(), beyond, on_device()); }),
            ErrorKind::Usage);
  // No candidate: no metric, on either device.
  EXPECT_TRUE(center_vo_metrics(sino.cview(), std::vector<double>{}, on_device()).empty());
}

#if XCT_TEST_DEVICE_CUDA
// Exact line integrals of a few disks over 1800 angles of a half turn on 2048 columns, the axis
// off the middle, with deterministic noise: the size of a real detector row.
HostArray<float, 2> large_sinogram() {
  constexpr std::size_t kAngles = 1800, kCols = 2048;
  constexpr double kAxis = 1061.3;
  struct Disk {
    double x, y, r, mu;
  };
  const Disk disks[] = {
      {0, 0, 600, 0.002}, {150, -80, 200, 0.004}, {-300, 210, 90, 0.006}, {40, 380, 60, 0.01}};
  HostArray<float, 2> s({kAngles, kCols}, 0.0f);
  std::mt19937 rng(11);
  std::normal_distribution<float> noise(0.0f, 0.01f);
  for (std::size_t a = 0; a < kAngles; ++a) {
    const double t = std::numbers::pi * static_cast<double>(a) / kAngles;
    for (const Disk& d : disks) {
      const double p = d.x * std::cos(t) - d.y * std::sin(t) + kAxis;
      for (std::size_t j = 0; j < kCols; ++j) {
        const double q = static_cast<double>(j) - p;
        if (std::abs(q) < d.r)
          s(a, j) += static_cast<float>(2 * d.mu * std::sqrt(d.r * d.r - q * q));
      }
    }
    for (std::size_t j = 0; j < kCols; ++j)
      s(a, j) += noise(rng);
  }
  return s;
}

// The search on 1800 x 2048: the same result as the CPU, and the time of each (printed and
// recorded as test properties).
TEST(CenterVoDeviceSpeed, LargeSinogramMatchesTheCpuAndIsTimed) {
  if (cuda::visible_devices().empty())
    GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
  const HostArray<float, 2> sino = large_sinogram();
  using Clock = std::chrono::steady_clock;
  const auto seconds = [](Clock::time_point t0) {
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };
  CenterVoParams gpu;
  gpu.use_cuda = true;
  find_center_vo(sino.cview(), gpu);  // the first call pays for the context and cuFFT's setup
  auto t0 = Clock::now();
  const CenterResult want = find_center_vo(sino.cview());
  const double cpu_s = seconds(t0);
  t0 = Clock::now();
  const CenterResult got = find_center_vo(sino.cview(), gpu);
  const double gpu_s = seconds(t0);
  std::printf("find_center_vo 1800 x 2048: cpu %.3f s, cuda %.3f s (%zu + %zu candidates)\n", cpu_s,
              gpu_s, want.coarse.centres.size(), want.fine.centres.size());
  RecordProperty("cpu_seconds", std::to_string(cpu_s));
  RecordProperty("cuda_seconds", std::to_string(gpu_s));
  expect_same_curve(got.coarse, want.coarse, "coarse");
  expect_same_curve(got.fine, want.fine, "fine");
  EXPECT_NEAR(got.centre, want.centre, kCentreTolerance);
  EXPECT_NEAR(want.centre, 1061.3, 0.5);  // measured 1061.07
  EXPECT_LT(gpu_s, cpu_s);
}
#endif

XCT_INSTANTIATE_DEVICE_SUITE(CenterVoDevice);

}  // namespace
}  // namespace xct::recon
