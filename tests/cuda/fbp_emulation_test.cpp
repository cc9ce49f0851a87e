// The device FBP's arithmetic run on the CPU: the __host__ __device__ functions of
// cuda/fbp_math.hpp that the kernels are built from, driven block by block and thread by
// thread as fbp_kernels.cuh launches them, against the CPU path. This runs everywhere (no
// GPU needed), so the device's indexing, interleaved layout, lane groups, geometry and
// flat-field are checked even where the gpu-labelled tests skip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "cuda/fbp_math.hpp"
#include "recon/fbp.hpp"
#include "recon/fbp_device.hpp"
#include "recon/fft.hpp"
#include "recon/flatfield.hpp"

namespace xct::cuda {
namespace {

constexpr double kPi = std::numbers::pi;

std::vector<double> half_turn(std::size_t n) {
  std::vector<double> a(n);
  for (std::size_t i = 0; i < n; ++i)
    a[i] = kPi * static_cast<double>(i) / static_cast<double>(n);
  return a;
}

// Smooth sinograms with structure: two disks whose strength changes with the row.
HostArray<float, 3> sinograms(std::size_t rows, const std::vector<double>& angles,
                              std::size_t n_cols, double centre) {
  HostArray<float, 3> s({rows, angles.size(), n_cols}, 0.0f);
  const double disks[2][4] = {{0, 0, 0.4 * n_cols, 0.02}, {5, -3, 0.1 * n_cols, 0.05}};
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t a = 0; a < angles.size(); ++a)
      for (const auto& d : disks) {
        const double p = d[0] * std::cos(angles[a]) - d[1] * std::sin(angles[a]) + centre;
        for (std::size_t j = 0; j < n_cols; ++j) {
          const double t = static_cast<double>(j) - p;
          if (std::abs(t) < d[2])
            s(r, a, j) += static_cast<float>(2.0 * d[3] * (1 + 0.1 * static_cast<double>(r)) *
                                             std::sqrt(d[2] * d[2] - t * t));
        }
      }
  return s;
}

double relative_l2(const float* a, const float* b, std::size_t n) {
  double num = 0, den = 0;
  for (std::size_t i = 0; i < n; ++i) {
    num += (static_cast<double>(a[i]) - b[i]) * (static_cast<double>(a[i]) - b[i]);
    den += static_cast<double>(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// The engine's filter stage with FFTW standing in for cuFFT: padded rows (pad_rows), the
// setup's response (apply_response), the n_cols samples after pad_left (crop_rows).
std::vector<float> emulate_filter(const FbpSetup& s, const float* row) {
  const std::size_t half = s.width / 2 + 1;
  auto padded = recon::fft_alloc<float>(s.width);
  auto spectrum = recon::fft_alloc<recon::cfloat>(half);
  for (std::size_t j = 0; j < s.width; ++j)
    padded[j] = math::padded_sample(row, static_cast<int>(s.n_cols), static_cast<int>(s.pad_left),
                                    static_cast<int>(j), s.zero_pad);
  recon::FftPlan::r2c_1d(s.width, 1).execute(padded.get(), spectrum.get());
  for (std::size_t k = 0; k < half; ++k)
    spectrum[k] *= s.response[k];
  recon::FftPlan::c2r_1d(s.width, 1).execute(spectrum.get(), padded.get());
  return std::vector<float>(padded.get() + s.pad_left, padded.get() + s.pad_left + s.n_cols);
}

// The engine's back-projection of filtered rows [rows][angles][cols]: rows grouped by
// centre, each group interleaved (interleave) and summed tile by tile (back_project), with the
// shared ray table of each angle chunk computed first, as the block's threads do.
void emulate_back_projection(const FbpSetup& s, const HostArray<float, 3>& filtered,
                             const std::vector<double>& centres, HostArray<float, 3>& slices) {
  const int n = static_cast<int>(s.n), nc = static_cast<int>(s.n_cols),
            na = static_cast<int>(s.n_angles);
  std::vector<float> weight(s.n_angles);
  for (std::size_t a = 0; a < s.n_angles; ++a)
    weight[a] = static_cast<float>(s.weight[a]);
  std::vector<float> group(math::interleaved_floats(s.n_angles, nc));
  const double half = 0.5 * (static_cast<double>(n) - 1.0);
  for (const math::RowGroup& g : math::group_rows(0, filtered.extent(0), centres)) {
    const int lanes = g.lanes();
    std::fill(group.begin(), group.end(), 0.0f);
    for (std::size_t l = 0; l < g.count; ++l)
      for (std::size_t a = 0; a < s.n_angles; ++a)
        for (int j = 0; j < nc; ++j)
          math::interleave_sample(&filtered(g.first + l, a, 0), nc, j, weight[a], lanes, a,
                                  static_cast<int>(l), group.data());
    for (int by = 0; by * math::kTileY < n; ++by)
      for (int bx = 0; bx * math::kTileX < n; ++bx) {
        const int r0 = by * math::kTileY;
        std::vector<float> acc(static_cast<std::size_t>(math::kTileX * math::kTileY) * 8, 0.0f);
        for (int a0 = 0; a0 < na; a0 += math::kAngleChunk) {
          const int chunk = std::min(math::kAngleChunk, na - a0);
          math::Ray rays[math::kAngleChunk][math::kTileY];
          int common_lo[math::kTileY], common_hi[math::kTileY];
          for (int rr = 0; rr < math::kTileY; ++rr) {
            common_lo[rr] = 0;
            common_hi[rr] = n - 1;
          }
          for (int k = 0; k < chunk; ++k)
            for (int rr = 0; rr < math::kTileY; ++rr) {
              rays[k][rr] = math::make_ray(g.centre, static_cast<double>(r0 + rr) - half,
                                           s.cos_a[a0 + k], s.sin_a[a0 + k], n, nc);
              common_lo[rr] = std::max(common_lo[rr], rays[k][rr].lo);
              common_hi[rr] = std::min(common_hi[rr], rays[k][rr].hi);
            }
          for (int ty = 0; ty < math::kTileY; ++ty)
            for (int tx = 0; tx < math::kTileX; ++tx) {
              const int q = bx * math::kTileX + tx;
              const float x = math::slice_x(q, n);
              float* a = &acc[static_cast<std::size_t>(ty * math::kTileX + tx) * 8];
              // Inside the chunk's common range the kernel skips the per-angle test.
              const bool all_valid = q >= common_lo[ty] && q <= common_hi[ty];
              for (int k = 0; k < chunk; ++k) {
                const math::Ray& ray = rays[k][ty];
                if (!all_valid && (q < ray.lo || q > ray.hi)) continue;
                int i;
                float f;
                math::position(ray, x, i, f);
                ASSERT_GE(i, 0);
                ASSERT_LT(i, nc) << "a read past the row";
                const auto at = static_cast<std::size_t>(a0 + k);
                if (lanes == 1)
                  math::add_angle<1>(group.data(), at, nc, i, f, a);
                else if (lanes == 4)
                  math::add_angle<4>(group.data(), at, nc, i, f, a);
                else
                  math::add_angle<8>(group.data(), at, nc, i, f, a);
              }
            }
        }
        for (int ty = 0; ty < math::kTileY; ++ty)
          for (int tx = 0; tx < math::kTileX; ++tx) {
            const int q = bx * math::kTileX + tx, r = r0 + ty;
            if (q >= n || r >= n) continue;
            const bool masked = math::masked(q, r, n, s.mask_ratio);
            for (std::size_t l = 0; l < g.count; ++l)
              slices(g.first + l, static_cast<std::size_t>(r), static_cast<std::size_t>(q)) =
                  masked ? 0.0f : acc[static_cast<std::size_t>(ty * math::kTileX + tx) * 8 + l];
          }
      }
  }
}

struct Case {
  std::size_t rows, n_cols, n_angles, n;
  const char* filter;
  const char* padding;
  double mask_ratio;
};

class FbpEmulation : public ::testing::TestWithParam<Case> {};

// The filter with the setup the device receives equals the CPU's fbp_filter; the tiles,
// groups and lanes give the CPU's fbp_back_project on the same filtered rows; every voxel is
// written. Rows 0-7 share a centre (8 lanes), 8-10 another (4 lanes), 11 its own (1 lane).
TEST_P(FbpEmulation, MatchesTheCpuPath) {
  const Case c = GetParam();
  const auto angles = half_turn(c.n_angles);
  const double centre = 0.5 * (static_cast<double>(c.n_cols) - 1.0) + 0.3;
  std::vector<double> centres(c.rows, centre);
  for (std::size_t r = 8; r < c.rows; ++r)
    centres[r] = centre - (r < 11 ? 0.7 : 1.9);
  const auto sinos = sinograms(c.rows, angles, c.n_cols, centre);
  recon::FbpParams params;
  params.filter = c.filter;
  params.padding = c.padding;
  params.size = c.n;
  params.mask_ratio = c.mask_ratio;
  const FbpSetup setup = recon::fbp_device_setup(angles, c.n_cols, params);
  EXPECT_EQ(setup.n, c.n);

  HostArray<float, 3> filtered({c.rows, c.n_angles, c.n_cols});
  HostArray<float, 2> want_filtered({c.n_angles, c.n_cols});
  for (std::size_t r = 0; r < c.rows; ++r) {
    for (std::size_t a = 0; a < c.n_angles; ++a) {
      const auto row = emulate_filter(setup, &sinos(r, a, 0));
      std::copy(row.begin(), row.end(), &filtered(r, a, 0));
    }
    recon::fbp_filter(sinos.cview()[r], want_filtered.view(), params);
    // FFTW in both, so the same bits: the setup's padding and response are the CPU's.
    EXPECT_EQ(
        std::memcmp(&filtered(r, 0, 0), want_filtered.data(), want_filtered.size() * sizeof(float)),
        0)
        << "row " << r;
  }

  HostArray<float, 3> slices({c.rows, c.n, c.n}, std::numeric_limits<float>::quiet_NaN());
  emulate_back_projection(setup, filtered, centres, slices);
  HostArray<float, 2> want({c.n, c.n});
  for (std::size_t r = 0; r < c.rows; ++r) {
    recon::fbp_back_project(filtered.cview()[r], angles, centres[r], want.view(), params);
    for (std::size_t i = 0; i < want.size(); ++i)
      ASSERT_TRUE(std::isfinite(slices.data()[r * want.size() + i])) << "voxel " << i;
    // Only the order of the sum over angles differs from the CPU's (1e-5: the device's bound).
    EXPECT_LE(relative_l2(&slices(r, 0, 0), want.data(), want.size()), 1e-5) << "row " << r;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, FbpEmulation,
    ::testing::Values(Case{12, 64, 90, 64, "hann", "edge", -1.0},
                      Case{12, 37, 61, 45, "ram-lak", "zero", 0.9},        // odd, slice > width
                      Case{12, 50, 33, 31, "shepp-logan", "edge", 0.95}),  // slice < width
    [](const ::testing::TestParamInfo<Case>& i) {
      return "cols" + std::to_string(i.param.n_cols) + "_angles" +
             std::to_string(i.param.n_angles) + "_slice" + std::to_string(i.param.n);
    });

// Flat-field and -log from raw counts give the CPU's flat_field + minus_log bit for bit, with
// the same counts of fixed samples.
TEST(FbpEmulationCounts, FlatFieldAndLogMatchTheCpu) {
  const std::size_t n_a = 40, n_c = 33;
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> raw(0, 60000);
  std::vector<std::uint16_t> counts(n_a * n_c);
  for (auto& v : counts)
    v = static_cast<std::uint16_t>(raw(rng));
  counts[5] = 90;  // below the dark
  HostArray<float, 2> dark({1, n_c}, 100.0f), denom({1, n_c}, 30000.0f);
  for (const bool one : {false, true}) {
    recon::FlatReference ref;
    ref.dark = dark.clone();
    ref.denom_before = denom.clone();
    HostArray<float, 3> cpu({n_a, 1, n_c});
    for (std::size_t i = 0; i < counts.size(); ++i)
      cpu.data()[i] = static_cast<float>(counts[i]);
    recon::FlatFieldParams fp;
    fp.nonpositive = one ? recon::NonPositivePolicy::One : recon::NonPositivePolicy::HalfCount;
    recon::FlatFieldCounts fc;
    recon::flat_field(cpu.cview(), ref, {}, cpu.view(), fp, fc);
    recon::minus_log(std::span<float>(cpu.data(), cpu.size()), fc);
    std::uint64_t nonpositive = 0, clamped = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const auto r = math::counts_to_log(counts[i], dark(0, i % n_c), denom(0, i % n_c), one);
      nonpositive += r.nonpositive;
      clamped += r.clamped;
      ASSERT_EQ(r.value, cpu.data()[i]) << "sample " << i;
    }
    EXPECT_EQ(nonpositive, fc.nonpositive_samples);
    EXPECT_GE(nonpositive, 1u);
    EXPECT_EQ(clamped, fc.log_clamped_samples);
  }
}

// Rays at nearly vertical angles have their valid range clamped, never overflowed.
TEST(FbpEmulationRays, ExtremeAnglesGiveSaneRanges) {
  const int n = 64, nc = 64;
  for (double c : {1e-11, -1e-11, 1e-13, 0.0}) {
    const math::Ray r = math::make_ray(31.5, 3.0, c, 1.0, n, nc);
    EXPECT_GE(r.lo, -1);
    EXPECT_LE(r.lo, n);
    EXPECT_GE(r.hi, -1);
    EXPECT_LE(r.hi, n - 1);
  }
}

}  // namespace
}  // namespace xct::cuda
