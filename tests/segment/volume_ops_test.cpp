// The voxel operations of segment/volume_ops.hpp against references that know the answer:
// ITK's median filter, sums of known masks, a convex polygon.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "segment/itk_ops.hpp"
#include "segment/volume_ops.hpp"

namespace xct::seg {
namespace {

TEST(VolumeOps, Median3IsItksMedianExactly) {
  // Odd sizes, ties (values rounded to a few levels) and the edges, where both replicate.
  HostArray<float, 3> v({7, 13, 29});
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> level(0, 9);
  for (auto& x : v)
    x = static_cast<float>(level(rng)) * 0.25f;
  auto ours = median3(v.cview());
  auto itk = itk::median(v.cview(), 1);
  ASSERT_EQ(ours.size(), itk.size());
  std::size_t bad_inner = 0, bad_edge = 0;
  for (std::size_t z = 0; z < 7; ++z)
    for (std::size_t y = 0; y < 13; ++y)
      for (std::size_t x = 0; x < 29; ++x) {
        const bool edge = z == 0 || y == 0 || x == 0 || z == 6 || y == 12 || x == 28;
        if (ours(z, y, x) != itk(z, y, x)) (edge ? bad_edge : bad_inner)++;
      }
  EXPECT_EQ(bad_inner, 0u);
  EXPECT_EQ(bad_edge, 0u);
}

TEST(VolumeOps, MaskedGaussianIgnoresTheMaskedMaterial) {
  // A constant 0.2 beside a bright slab at 2.3: the smoothing over the unmasked voxels keeps
  // 0.2 right up to the slab, where a plain smoothing rises.
  constexpr float kLow = 0.2f, kBright = 2.3f;
  HostArray<float, 3> v({16, 16, 16}, kLow);
  HostArray<std::uint8_t, 3> keep({16, 16, 16}, 1);
  for (std::size_t z = 8; z < 16; ++z)
    for (std::size_t y = 0; y < 16; ++y)
      for (std::size_t x = 0; x < 16; ++x) {
        v(z, y, x) = kBright;
        keep(z, y, x) = 0;
      }
  auto masked = masked_gaussian(v.cview(), keep.cview(), 2.0, 0.02, -1.0f);
  auto plain = gaussian(v.cview(), 2.0);
  EXPECT_NEAR(masked(7, 8, 8), kLow, 1e-5);
  EXPECT_GT(plain(7, 8, 8), kLow + 0.5f);  // a plain smoothing sees the slab
}

TEST(VolumeOps, ConvexHullOfAnLShapeIsItsTriangleClosure) {
  // Pixels on two sides of a right angle (x = 0 and y = 0, 0..10): the hull is the triangle
  // x + y <= 10, 66 pixels.
  HostArray<std::uint8_t, 2> in({12, 12}, 0), out({12, 12}, 0);
  for (std::size_t i = 0; i <= 10; ++i) {
    in(0, i) = 1;
    in(i, 0) = 1;
  }
  const std::size_t n = fill_convex_hull(in.cview(), out.view());
  EXPECT_EQ(n, 66u);
  for (std::size_t y = 0; y < 12; ++y)
    for (std::size_t x = 0; x < 12; ++x)
      EXPECT_EQ(out(y, x) != 0, x + y <= 10) << y << "," << x;
}

TEST(VolumeOps, ErosionUndoesDilationOfABox) {
  HostArray<std::uint8_t, 3> m({12, 12, 12}, 0);
  for (std::size_t z = 4; z < 8; ++z)
    for (std::size_t y = 4; y < 8; ++y)
      for (std::size_t x = 4; x < 8; ++x)
        m(z, y, x) = 1;
  auto grown = dilate6(m.cview(), 2);
  std::size_t count = 0;
  for (auto b : grown)
    count += b;
  // A 4^3 cube grown by a diamond of radius 2: the voxels within city-block distance 2 of it.
  std::size_t expect = 0;
  for (int z = 0; z < 12; ++z)
    for (int y = 0; y < 12; ++y)
      for (int x = 0; x < 12; ++x) {
        auto d = [](int c) { return c < 4 ? 4 - c : c > 7 ? c - 7 : 0; };
        expect += d(z) + d(y) + d(x) <= 2;
      }
  EXPECT_EQ(count, expect);
  auto back = erode6(grown.cview(), 2);
  for (std::size_t i = 0; i < m.size(); ++i)
    ASSERT_EQ(back.data()[i], m.data()[i]);
}

}  // namespace
}  // namespace xct::seg
