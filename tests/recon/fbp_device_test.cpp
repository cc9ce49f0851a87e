// The filter and back-projection on each device, against the CPU reference and against
// analytic answers. The same test bodies run on every device: this file is built twice, as
// fbp_device_test_cpu and as fbp_device_test_cuda (ctest label `gpu`), which skips its tests
// when no CUDA device is visible.
//
// What a number means: 1e-5 is the largest relative L2 difference the device may show against
// the CPU on the same input (the two sum the angles in different orders, in float).
#include <gtest/gtest.h>

#include "tests/support/device_test.hpp"

#include "tests/support/test_support.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "cuda/device.hpp"
#include "io/hdf5_volume.hpp"
#include "recon/fbp.hpp"
#include "recon/fbp_device.hpp"

namespace xct::recon {

namespace {

using test::relative_l2;

constexpr double kPi = std::numbers::pi;
constexpr double kDeviceTolerance = 1e-5;  // relative L2, device vs CPU on the same input

struct Disk {
  double x = 0, y = 0, radius = 0, mu = 0;  // pixels from the axis; attenuation per pixel
};

std::vector<double> half_turn(std::size_t n) {
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = kPi * static_cast<double>(i) / static_cast<double>(n);
  return a;
}

// Exact line integrals of disks, one sinogram per row; row r scales every disk's mu by
// (1 + 0.1 r) so that rows differ.
HostArray<float, 3> disk_sinograms(const std::vector<Disk>& disks,
                                   const std::vector<double>& angles, std::size_t rows,
                                   std::size_t n_cols, const std::vector<double>& centres) {
  HostArray<float, 3> s({rows, angles.size(), n_cols}, 0.0f);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t a = 0; a < angles.size(); ++a)
      for (const Disk& d : disks) {
        const double p = d.x * std::cos(angles[a]) - d.y * std::sin(angles[a]) + centres[r];
        for (std::size_t j = 0; j < n_cols; ++j) {
          const double t = static_cast<double>(j) - p;
          if (std::abs(t) < d.radius)
            s(r, a, j) += static_cast<float>(2.0 * d.mu * (1.0 + 0.1 * static_cast<double>(r)) *
                                             std::sqrt(d.radius * d.radius - t * t));
        }
      }
  return s;
}

const std::vector<Disk>& phantom() {
  static const std::vector<Disk> disks = {
      {0, 0, 30, 0.02}, {8, -6, 9, 0.03}, {-12, 10, 5, -0.015}, {15, 14, 4, 0.05}};
  return disks;
}

template <typename A>
std::size_t count_nonfinite(const A& a) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    bad += std::isfinite(a.data()[i]) ? 0 : 1;
  return bad;
}

// Output arrays start as NaN, so a voxel the device forgot to write shows.
HostArray<float, 3> poisoned(std::size_t a, std::size_t b, std::size_t c) {
  return HostArray<float, 3>({a, b, c}, std::numeric_limits<float>::quiet_NaN());
}

class FbpDevice : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (GetParam() == Device::Cuda && cuda::visible_devices().empty())
      GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
    choice_ = choose_device(GetParam() == Device::Cuda ? "cuda" : "cpu");
  }
  DeviceChoice choice_;
  DeviceChoice cpu_ = choose_device("cpu");
};

// The weighted back-projection of the same filtered sinograms: 11 rows (a group of 8 and one of
// 3), then rows with their own centres (groups of one), against the CPU's fbp_back_project.
TEST_P(FbpDevice, BackProjectionMatchesTheCpuOnTheSameFilteredSinograms) {
  const std::size_t rows = 11, n_cols = 97;
  const auto angles = half_turn(120);
  std::vector<double> centres(rows, 48.3);
  for (std::size_t r = 8; r < rows; ++r)
    centres[r] = 47.6 + 0.25 * static_cast<double>(r);
  FbpParams params;
  const auto sinos = disk_sinograms(phantom(), angles, rows, n_cols, centres);
  HostArray<float, 3> filtered({rows, angles.size(), n_cols});
  SlabBackProjector cpu(cpu_, angles, n_cols, params, rows);
  cpu.filter(sinos.cview(), filtered.view());

  SlabBackProjector dev(choice_, angles, n_cols, params, rows);
  auto got = poisoned(rows, n_cols, n_cols);
  dev.back_project(filtered.cview(), centres, got.view());
  EXPECT_EQ(count_nonfinite(got), 0u) << "every voxel written";
  for (std::size_t r = 0; r < rows; ++r) {
    HostArray<float, 2> want({n_cols, n_cols});
    fbp_back_project(filtered.cview()[r], angles, centres[r], want.view(), params);
    EXPECT_LE(relative_l2(&got(r, 0, 0), want.data(), want.size()), kDeviceTolerance)
        << "row " << r;
  }
}

// The ramp filter alone, with edge and zero padding and several windows.
TEST_P(FbpDevice, FilterMatchesTheCpu) {
  const std::size_t rows = 3, n_cols = 83;
  const auto angles = half_turn(40);
  const auto sinos = disk_sinograms(phantom(), angles, rows, n_cols, {41.0, 41.0, 41.0});
  for (const char* filter : {"ram-lak", "hann", "shepp-logan", "butterworth"}) {
    for (const char* padding : {"edge", "zero"}) {
      FbpParams params;
      params.filter = filter;
      params.padding = padding;
      SlabBackProjector dev(choice_, angles, n_cols, params, rows);
      auto got = poisoned(rows, angles.size(), n_cols);
      dev.filter(sinos.cview(), got.view());
      EXPECT_EQ(count_nonfinite(got), 0u);
      HostArray<float, 2> want({angles.size(), n_cols});
      for (std::size_t r = 0; r < rows; ++r) {
        fbp_filter(sinos.cview()[r], want.view(), params);
        EXPECT_LE(relative_l2(&got(r, 0, 0), want.data(), want.size()), kDeviceTolerance)
            << filter << ", " << padding << ", row " << r;
      }
    }
  }
}

// Filter + back-projection of disks: the attenuation inside the big disk (away from the small
// ones and the edges) is its mu within 2 %, and the whole slab matches the CPU's.
TEST_P(FbpDevice, ReconstructsDisksAndMatchesTheCpu) {
  const std::size_t rows = 9, n_cols = 96;
  const auto angles = half_turn(180);
  const std::vector<double> centres(rows, 47.5);
  const auto sinos = disk_sinograms(phantom(), angles, rows, n_cols, centres);
  FbpParams params;
  params.filter = "ram-lak";
  SlabBackProjector dev(choice_, angles, n_cols, params, 4);  // batches of 4, 4 and 1 rows
  auto got = poisoned(rows, n_cols, n_cols);
  dev.reconstruct(sinos.cview(), centres, got.view());
  EXPECT_EQ(count_nonfinite(got), 0u);
  HostArray<float, 3> want({rows, n_cols, n_cols});
  fbp_reconstruct_slab(sinos.cview(), angles, centres, params, want.view());
  EXPECT_LE(relative_l2(got.data(), want.data(), want.size()), kDeviceTolerance);
  for (std::size_t r = 0; r < rows; ++r) {
    // Pixels 18..24 from the axis, upper left, lie in the big disk only (mu 0.02 x row scale).
    double sum = 0;
    std::size_t count = 0;
    const double half = 0.5 * (static_cast<double>(n_cols) - 1.0);
    for (std::size_t y = 0; y < n_cols; ++y)
      for (std::size_t x = 0; x < n_cols; ++x) {
        const double dx = static_cast<double>(x) - half, dy = static_cast<double>(y) - half;
        const double d = std::hypot(dx, dy);
        if (d >= 18 && d < 24 && dy < -8 && dx < -4) {
          sum += got(r, y, x);
          ++count;
        }
      }
    const double mu = 0.02 * (1.0 + 0.1 * static_cast<double>(r));
    EXPECT_NEAR(sum / static_cast<double>(count), mu, 0.02 * mu) << "row " << r;
  }
}

// No limit on the angle count or the width: 3001 angles, an odd width, a slice larger than the
// detector, and the circle mask, which leaves exact zeros outside.
TEST_P(FbpDevice, ThreeThousandAnglesOddWidthAndMask) {
  const std::size_t rows = 2, n_cols = 73, n = 81;
  const auto angles = half_turn(3001);
  const std::vector<double> centres(rows, 36.2);
  const auto sinos =
      disk_sinograms({{0, 0, 25, 0.02}, {5, 3, 6, 0.04}}, angles, rows, n_cols, centres);
  FbpParams params;
  params.size = n;
  params.mask_ratio = 0.9;
  SlabBackProjector dev(choice_, angles, n_cols, params, rows);
  auto got = poisoned(rows, n, n);
  dev.reconstruct(sinos.cview(), centres, got.view());
  EXPECT_EQ(count_nonfinite(got), 0u);
  HostArray<float, 3> want({rows, n, n});
  fbp_reconstruct_slab(sinos.cview(), angles, centres, params, want.view());
  EXPECT_LE(relative_l2(got.data(), want.data(), want.size()), kDeviceTolerance);
  const double half = 0.5 * (static_cast<double>(n) - 1.0), radius = 0.9 * 0.5 * n;
  std::size_t outside = 0, nonzero = 0;
  for (std::size_t y = 0; y < n; ++y)
    for (std::size_t x = 0; x < n; ++x)
      if (std::hypot(static_cast<double>(x) - half, static_cast<double>(y) - half) > radius) {
        ++outside;
        nonzero += got(0, y, x) != 0.0f;
      }
  EXPECT_GT(outside, 0u);
  EXPECT_EQ(nonzero, 0u);
}

// Raw uint16 counts with a dark and a flat: flat-field and -log (on the device for CUDA), the
// samples at or below the dark fixed and counted as the CPU's flat_field does.
TEST_P(FbpDevice, CountsAreFlatFieldedAndLoggedLikeTheCpu) {
  const std::size_t rows = 5, n_cols = 64;
  const auto angles = half_turn(90);
  const std::vector<double> centres(rows, 31.5);
  const auto line = disk_sinograms(phantom(), angles, rows, n_cols, centres);
  HostArray<std::uint16_t, 3> counts({rows, angles.size(), n_cols});
  HostArray<float, 2> dark({rows, n_cols}), denom({rows, n_cols});
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> jitter(0.9, 1.1);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < n_cols; ++j) {
      dark(r, j) = static_cast<float>(100.0 * jitter(rng));
      denom(r, j) = static_cast<float>(20000.0 * jitter(rng));
    }
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t a = 0; a < angles.size(); ++a)
      for (std::size_t j = 0; j < n_cols; ++j) {
        const double t = std::exp(-line(r, a, j));
        counts(r, a, j) = static_cast<std::uint16_t>(std::lround(dark(r, j) + denom(r, j) * t));
      }
  for (std::size_t a = 0; a < 6; ++a)
    counts(2, a, 10) = 50;  // below the dark: half a count above it instead
  FbpParams params;
  CountsFixed cpu_fixed, dev_fixed;
  HostArray<float, 3> want({rows, n_cols, n_cols});
  SlabBackProjector(cpu_, angles, n_cols, params, rows)
      .reconstruct_counts(counts.cview(), dark.cview(), denom.cview(), centres, want.view(),
                          cpu_fixed);
  SlabBackProjector dev(choice_, angles, n_cols, params, rows);
  auto got = poisoned(rows, n_cols, n_cols);
  dev.reconstruct_counts(counts.cview(), dark.cview(), denom.cview(), centres, got.view(),
                         dev_fixed);
  EXPECT_EQ(count_nonfinite(got), 0u);
  EXPECT_LE(relative_l2(got.data(), want.data(), want.size()), kDeviceTolerance);
  EXPECT_EQ(cpu_fixed.nonpositive_samples, 6u);
  EXPECT_EQ(dev_fixed.nonpositive_samples, cpu_fixed.nonpositive_samples);
  EXPECT_EQ(dev_fixed.log_clamped_samples, cpu_fixed.log_clamped_samples);
}

// Batches do not change a single value: 10 rows in batches of 3 equal one batch of 16.
TEST_P(FbpDevice, BatchSizeDoesNotChangeTheSlices) {
  const std::size_t rows = 10, n_cols = 64;
  const auto angles = half_turn(60);
  const std::vector<double> centres(rows, 32.0);
  const auto sinos = disk_sinograms(phantom(), angles, rows, n_cols, centres);
  HostArray<float, 3> a({rows, n_cols, n_cols}), b({rows, n_cols, n_cols});
  SlabBackProjector(choice_, angles, n_cols, {}, 3).reconstruct(sinos.cview(), centres, a.view());
  SlabBackProjector(choice_, angles, n_cols, {}, 16).reconstruct(sinos.cview(), centres, b.view());
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)), 0);
}

TEST_P(FbpDevice, NonFiniteSinogramIsBadData) {
  const std::size_t rows = 2, n_cols = 32;
  const auto angles = half_turn(20);
  const std::vector<double> centres(rows, 15.5);
  auto sinos = disk_sinograms(phantom(), angles, rows, n_cols, centres);
  sinos(1, 7, 3) = std::numeric_limits<float>::infinity();
  SlabBackProjector dev(choice_, angles, n_cols, {}, rows);
  HostArray<float, 3> out({rows, n_cols, n_cols});
  EXPECT_EQ(test::thrown_kind([&] { dev.reconstruct(sinos.cview(), centres, out.view()); }),
            ErrorKind::BadData);
  EXPECT_EQ(test::thrown_kind([&] {
              dev.reconstruct(sinos.cview(), std::vector<double>(rows, 40.0), out.view());
            }),
            ErrorKind::Usage)
      << "a centre off the detector";
}

// The whole command: `xct recon --device D` against `--device cpu` on the sample scan, with the
// default chain (float sinograms to the device) and with flat-field and -log alone (raw
// counts to the device, flat-fielded there).
TEST_P(FbpDevice, ReconCommandMatchesTheCpuRun) {
  test::TempDir dir;
  const std::string scan = (test::source_dir() / "sample_data" / "tiny_dx.h5").string();
  const std::string device = GetParam() == Device::Cuda ? "cuda" : "cpu";
  for (const bool raw : {false, true}) {
    auto run = [&](const std::string& dev, const std::string& name) {
      std::vector<std::string> args{
          "recon",           scan,    "--device",     dev,
          "--rotation-axis", "32.75", "-o",           (dir / name).string(),
          "--save-format",   "h5",    "--no-progress"};
      if (raw) args.insert(args.end(), {"--rings", "none", "--no-zingers"});
      const auto r = test::run_xct(args);
      EXPECT_EQ(r.exit_code, 0) << r.err;
      return r;
    };
    const std::string tag = raw ? "raw" : "float";
    const auto r = run(device, "dev_" + tag);
    run("cpu", "cpu_" + tag);
    const auto report = test::read_json(dir / ("dev_" + tag) / "report.json");
    EXPECT_EQ(report["device"]["kind"], device);
    // The CPU takes raw counts to the back-projector for flat-field and -log alone; CUDA
    // streams raw counts through the whole chain (stream_device_test.cpp).
    EXPECT_EQ(report["device"]["raw_counts"], raw || GetParam() == Device::Cuda);
    EXPECT_NE(r.err.find("filter and back-projection on"), std::string::npos) << r.err;
    const auto cpu_file = dir / ("cpu_" + tag) / "recon.h5";
    const std::size_t nz = hdf5_volume_shape(cpu_file).nz;
    ASSERT_GT(nz, 0u);
    const auto got = read_hdf5_volume(dir / ("dev_" + tag) / "recon.h5", Range{0, nz});
    const auto want = read_hdf5_volume(cpu_file, Range{0, nz});
    ASSERT_EQ(got.size(), want.size());
    EXPECT_EQ(count_nonfinite(got), 0u);
    EXPECT_LE(relative_l2(got.data(), want.data(), want.size()), kDeviceTolerance) << tag;
  }
}

XCT_INSTANTIATE_DEVICE_SUITE(FbpDevice);

}  // namespace
}  // namespace xct::recon
