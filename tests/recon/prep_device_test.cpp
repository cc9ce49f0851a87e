// Flat-field of uint16 counts, zinger removal and -log on each device against the CPU steps of
// recon/ (flat_field, remove_zinger, minus_log) on the same input. This file is built twice, as
// prep_device_test_cpu and as prep_device_test_cuda (ctest label `gpu`), which skips its tests
// when no CUDA device is visible.
//
// On CUDA the steps run through cuda/prep.hpp's host wrappers. On the CPU the kernels'
// arithmetic (cuda/prep_math.hpp) runs element by element, with the kernels' index maps: the
// same functions the device runs, held to the CPU's bytes.
//
// What the numbers mean: the flat-field and the zinger removal round every operation as the
// CPU does, so their output is the CPU's bit for bit, and their counts are the same. -log uses
// logf, which on the device may differ from the C library's by an ulp: a relative L2 of 1e-6
// at most, the same samples clamped (to exactly 0).
#include <gtest/gtest.h>

#include "tests/support/device_test.hpp"

#include "tests/support/test_support.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "cuda/device.hpp"
#include "cuda/prep.hpp"
#include "cuda/prep_math.hpp"
#include "recon/fbp_device.hpp"
#include "recon/flatfield.hpp"
#include "recon/zinger.hpp"

namespace xct::recon {

namespace {

using test::relative_l2;

constexpr double kLogTolerance = 1e-6;  // relative L2 of -log, device vs CPU
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// The number of positions where two float arrays differ in their bits (NaN never matches a
// number).
std::size_t differing_bits(const float* a, const float* b, std::size_t n) {
  std::size_t diff = 0;
  for (std::size_t i = 0; i < n; ++i)
    diff += std::memcmp(a + i, b + i, sizeof(float)) != 0 ? 1 : 0;
  return diff;
}

// The steps on the device under test: on CUDA the host wrappers of cuda/prep.hpp; on the CPU
// the device arithmetic element by element, indexed as the kernels index it.
class PrepDevice : public ::testing::TestWithParam<Device> {
 protected:
  void SetUp() override {
    if (GetParam() == Device::Cuda && cuda::visible_devices().empty())
      GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
    choice_ = choose_device(GetParam() == Device::Cuda ? "cuda" : "cpu");
  }
  bool on_cuda() const { return choice_.device == Device::Cuda; }

  std::uint64_t run_flat_field(HostView<const std::uint16_t, 3> raw, HostView<const float, 2> dark,
                               HostView<const float, 2> denom, cuda::NonPositive policy,
                               HostView<float, 3> out) const {
    if (on_cuda())
      return cuda::flat_field_counts(raw, dark, denom, policy, out, choice_.cuda_index);
    const std::size_t per_row = raw.extent(1) * raw.extent(2), cols = raw.extent(2);
    std::uint64_t fixed = 0;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      const std::size_t p = (i / per_row) * cols + i % cols;
      const auto t = cuda::math::counts_to_transmission(
          raw.data()[i], dark.data()[p], denom.data()[p], policy == cuda::NonPositive::One);
      out.data()[i] = t.value;
      fixed += t.nonpositive ? 1 : 0;
    }
    return fixed;
  }

  std::uint64_t run_minus_log(std::span<float> data) const {
    if (on_cuda())
      return cuda::minus_log(HostView<float, 1>(data.data(), {data.size()}), choice_.cuda_index);
    std::uint64_t clamped = 0;
    for (float& v : data) {
      const auto a = cuda::math::minus_log_value(v);
      v = a.value;
      clamped += a.clamped ? 1 : 0;
    }
    return clamped;
  }

  // In place; `max_rows` sinograms per batch (0: all).
  std::uint64_t run_zinger(const cuda::ZingerSetup& setup, HostView<float, 3> sinos,
                           std::size_t max_rows = 0) const {
    const std::size_t rows = sinos.extent(0), per = sinos.extent(1) * sinos.extent(2);
    if (on_cuda()) return cuda::remove_zinger(setup, sinos, choice_.cuda_index, max_rows);
    const auto g = cuda::math::zinger_geometry(sinos.extent(1), sinos.extent(2), setup.size,
                                               setup.threshold, setup.frame_check);
    const std::size_t batch = max_rows == 0 ? rows : max_rows;
    std::uint64_t replaced = 0;
    for (std::size_t begin = 0; begin < rows; begin += batch) {
      const std::size_t n = std::min(batch, rows - begin);
      const std::vector<float> copy(sinos.data() + begin * per, sinos.data() + (begin + n) * per);
      for (std::size_t i = 0; i < n * per; ++i) {
        const std::size_t sino = i / per, within = i % per;
        const auto z = cuda::math::zinger_sample(copy.data() + sino * per, g,
                                                 static_cast<long long>(within / g.cols),
                                                 static_cast<long long>(within % g.cols));
        sinos.data()[begin * per + i] = z.value;
        replaced += z.hit ? 1 : 0;
      }
    }
    return replaced;
  }

  DeviceChoice choice_;
};

// Raw counts [rows, angles, cols] with dark and flat - dark per row: about one sample in 12 at or
// below the dark (some exactly at it), the rest across the detector's range up to 65535.
struct Counts {
  HostArray<std::uint16_t, 3> raw;
  HostArray<float, 2> dark, denom;
};

Counts make_counts(std::size_t rows, std::size_t angles, std::size_t cols, unsigned seed) {
  Counts c{HostArray<std::uint16_t, 3>({rows, angles, cols}), HostArray<float, 2>({rows, cols}),
           HostArray<float, 2>({rows, cols})};
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t i = 0; i < rows * cols; ++i) {
    c.dark.data()[i] = 90.0f + std::floor(u(rng) * 80.0f) / 4.0f;  // 90 .. 110 in quarter counts
    c.denom.data()[i] = 300.0f + u(rng) * 4000.0f;
  }
  for (std::size_t y = 0; y < rows; ++y)
    for (std::size_t a = 0; a < angles; ++a)
      for (std::size_t j = 0; j < cols; ++j) {
        const float d = c.dark(y, j), r = u(rng);
        float v;
        if (r < 0.04f)
          v = std::floor(d);  // at or below the dark
        else if (r < 0.08f)
          v = std::floor(d * u(rng));  // far below it
        else if (r < 0.085f)
          v = 65535.0f;  // saturated
        else
          v = d + 1.0f + std::floor(u(rng) * 1.3f * c.denom(y, j));
        c.raw(y, a, j) = static_cast<std::uint16_t>(std::min(v, 65535.0f));
      }
  // Samples exactly at a whole-count dark: raw - dark = 0.
  c.dark(0, 3) = 100.0f;
  for (std::size_t a = 0; a < angles; ++a)
    c.raw(0, a, 3) = 100;
  return c;
}

TEST_P(PrepDevice, FlatFieldOfCountsIsTheCpusBitForBit) {
  const std::size_t rows = 5, angles = 37, cols = 61;
  const Counts c = make_counts(rows, angles, cols, 3);
  // The CPU's flat_field works on projections [angles, rows, cols] in float.
  HostArray<float, 3> frames({angles, rows, cols});
  for (std::size_t y = 0; y < rows; ++y)
    for (std::size_t a = 0; a < angles; ++a)
      for (std::size_t j = 0; j < cols; ++j)
        frames(a, y, j) = c.raw(y, a, j);
  FlatReference ref;
  ref.dark = HostArray<float, 2>(c.dark.shape());
  ref.denom_before = HostArray<float, 2>(c.denom.shape());
  std::copy_n(c.dark.data(), c.dark.size(), ref.dark.data());
  std::copy_n(c.denom.data(), c.denom.size(), ref.denom_before.data());
  for (auto [policy, cpu_policy] :
       {std::pair{cuda::NonPositive::HalfCount, NonPositivePolicy::HalfCount},
        std::pair{cuda::NonPositive::One, NonPositivePolicy::One}}) {
    FlatFieldParams fp;
    fp.nonpositive = cpu_policy;
    FlatFieldCounts counts;
    HostArray<float, 3> want_frames({angles, rows, cols});
    flat_field(frames.cview(), ref, {}, want_frames.view(), fp, counts);
    HostArray<float, 3> want({rows, angles, cols}), got({rows, angles, cols}, kNaN);
    for (std::size_t y = 0; y < rows; ++y)
      for (std::size_t a = 0; a < angles; ++a)
        for (std::size_t j = 0; j < cols; ++j)
          want(y, a, j) = want_frames(a, y, j);
    const std::uint64_t fixed =
        run_flat_field(c.raw.cview(), c.dark.cview(), c.denom.cview(), policy, got.view());
    EXPECT_EQ(differing_bits(got.data(), want.data(), want.size()), 0u);
    EXPECT_EQ(fixed, counts.nonpositive_samples);
    EXPECT_GT(fixed, want.size() / 20);  // the input has them: about 8 %
    EXPECT_EQ(got(0, 0, 3), policy == cuda::NonPositive::One ? 1.0f : 0.5f / c.denom(0, 3));
  }
}

TEST_P(PrepDevice, MinusLogMatchesTheCpuAndClampsTheSameSamples) {
  std::vector<float> t;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(1e-6f, 1.2f);
  for (int i = 0; i < 100000; ++i)
    t.push_back(u(rng));
  const float specials[] = {0.0f,
                            -0.0f,
                            -1.0f,
                            -1e-30f,
                            kNaN,
                            std::numeric_limits<float>::infinity(),
                            -std::numeric_limits<float>::infinity(),
                            std::numeric_limits<float>::max(),
                            3.4e38f,
                            std::numeric_limits<float>::denorm_min(),
                            std::numeric_limits<float>::min(),
                            1.0f,
                            1e-30f,
                            1e30f};
  for (float v : specials)
    t.push_back(v);
  std::vector<float> want = t, got = t;
  FlatFieldCounts counts;
  minus_log(std::span<float>(want), counts);
  const std::uint64_t clamped = run_minus_log(std::span<float>(got));
  EXPECT_EQ(clamped, counts.log_clamped_samples);
  // 0, -0, -1, -1e-30, NaN, +-Inf, and FLT_MAX, above the CPU's limit of 3.4e38.
  EXPECT_EQ(clamped, 8u);
  std::size_t mismatched_zeros = 0;
  for (std::size_t i = 0; i < t.size(); ++i)
    mismatched_zeros += (want[i] == 0.0f) != (got[i] == 0.0f) || !std::isfinite(got[i]) ? 1 : 0;
  EXPECT_EQ(mismatched_zeros, 0u);
  EXPECT_LE(relative_l2(got.data(), want.data(), want.size()), kLogTolerance);
}

// Sinograms [rows, angles, cols] of smooth structure with sharp edges that run along the
// angles, a block of zeros (mean 0, taken as 1) with a spike in it, and isolated zingers, some
// on the first and last rows and columns (their neighbours wrap around).
HostArray<float, 3> zinger_sinograms(std::size_t rows, std::size_t angles, std::size_t cols,
                                     unsigned seed) {
  HostArray<float, 3> s({rows, angles, cols});
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  for (std::size_t y = 0; y < rows; ++y)
    for (std::size_t a = 0; a < angles; ++a)
      for (std::size_t j = 0; j < cols; ++j) {
        const double x = static_cast<double>(j) / static_cast<double>(cols);
        float v =
            static_cast<float>(0.6 + 0.2 * std::sin(6.0 * x + 0.1 * double(a)) + 0.01 * double(y));
        if (j % 17 >= 9) v *= 0.55f;          // edges along the angles
        v *= 1.0f + 0.01f * (u(rng) - 0.5f);  // noise
        s(y, a, j) = v;
      }
  for (std::size_t y = 0; y < rows; ++y) {
    if (angles >= 6 && cols >= 6)
      for (std::size_t a = 1; a < 6; ++a)
        for (std::size_t j = 1; j < 6; ++j)
          s(y, a, j) = 0.0f;
    s(y, 3 % angles, 3 % cols) = 5.0f;  // a spike among zeros
    for (int k = 0; k < 40; ++k) {
      const auto a = static_cast<std::size_t>(u(rng) * static_cast<float>(angles)) % angles;
      const auto j = static_cast<std::size_t>(u(rng) * static_cast<float>(cols)) % cols;
      s(y, a, j) *= 1.05f + u(rng);  // from barely to clearly above the threshold
    }
    s(y, 0, 0) *= 3.0f;
    s(y, angles - 1, cols - 1) *= 3.0f;
    s(y, 0, cols - 1) *= 2.0f;
    s(y, angles - 1, 0) *= 1.5f;
  }
  return s;
}

struct ZingerCase {
  std::size_t rows, angles, cols, size;
  bool frame_check;
  double threshold;
};

TEST_P(PrepDevice, ZingersAreRemovedAsOnTheCpuBitForBit) {
  const ZingerCase cases[] = {
      {3, 90, 71, 1, true, 0.08},  {3, 90, 71, 2, true, 0.08},  {3, 90, 71, 3, true, 0.08},
      {3, 90, 71, 1, false, 0.08}, {3, 90, 71, 2, false, 0.05}, {3, 90, 71, 3, false, 0.1},
      {2, 7, 5, 3, true, 0.08},    {2, 4, 3, 3, false, 0.08},   {1, 1, 1, 2, true, 0.08},
      {2, 2, 9, 2, false, 0.08},
  };
  std::uint64_t total = 0;
  for (const ZingerCase& k : cases) {
    const std::string what = std::to_string(k.rows) + "x" + std::to_string(k.angles) + "x" +
                             std::to_string(k.cols) + " size " + std::to_string(k.size) +
                             (k.frame_check ? " frame check" : "");
    const HostArray<float, 3> in =
        zinger_sinograms(k.rows, k.angles, k.cols, static_cast<unsigned>(k.size + 7 * k.cols));
    HostArray<float, 3> want(in.shape());
    std::uint64_t want_count = 0;
    const ZingerParams zp{k.threshold, k.size, false, k.frame_check};
    const std::size_t per = k.angles * k.cols;
    for (std::size_t y = 0; y < k.rows; ++y)
      want_count += remove_zinger(ConstImage(in.data() + y * per, {k.angles, k.cols}),
                                  Image(want.data() + y * per, {k.angles, k.cols}), zp);
    for (std::size_t max_rows : {std::size_t{0}, std::size_t{1}}) {
      HostArray<float, 3> got = in.clone();
      const std::uint64_t count =
          run_zinger({k.threshold, k.size, k.frame_check}, got.view(), max_rows);
      EXPECT_EQ(differing_bits(got.data(), want.data(), want.size()), 0u)
          << what << ", batches of " << max_rows;
      EXPECT_EQ(count, want_count) << what;
    }
    total += want_count;
  }
  EXPECT_GT(total, 200u);  // the cases do replace samples
}

TEST_P(PrepDevice, ZingerParametersAreCheckedAsOnTheCpu) {
  if (!on_cuda()) {
    // The CPU refuses what the device refuses.
    HostArray<float, 2> img({4, 4}, 1.0f);
    EXPECT_EQ(test::thrown_kind([&] {
                remove_zinger(img.cview(), img.view(), {0.08, 0, false, true});
              }),
              ErrorKind::Usage);
    EXPECT_EQ(test::thrown_kind([&] {
                remove_zinger(img.cview(), img.view(), {-1.0, 2, false, true});
              }),
              ErrorKind::Usage);
    return;
  }
  const int dev = choice_.cuda_index;
  EXPECT_EQ(test::thrown_kind([&] {
              cuda::ZingerRemover({0.08, 0, true}, 1, 4, 4, dev);
            }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] {
              cuda::ZingerRemover({-1.0, 2, true}, 1, 4, 4, dev);
            }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] {
              cuda::ZingerRemover({std::nan(""), 2, true}, 1, 4, 4, dev);
            }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] {
              cuda::ZingerRemover({0.08, 2, true}, 0, 4, 4, dev);
            }),
            ErrorKind::Usage);
  // A remover moves with its buffers.
  cuda::ZingerRemover a({0.08, 2, true}, 2, 4, 4, dev);
  cuda::ZingerRemover b = std::move(a);
  EXPECT_EQ(b.max_rows(), 2u);
  EXPECT_EQ(b.setup().size, 2u);
}

XCT_INSTANTIATE_DEVICE_SUITE(PrepDevice);

}  // namespace
}  // namespace xct::recon
