// The SciPy-compatible building blocks against brute-force definitions and SciPy's values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "recon/ndimage.hpp"
#include "recon/windows.hpp"

namespace xct::recon {
namespace {

HostArray<float, 2> random_image(std::size_t rows, std::size_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  HostArray<float, 2> a({rows, cols});
  for (float& v : a)
    v = std::round(u(gen) * 20.0f) / 20.0f;  // many ties, as in sorted or clipped data
  return a;
}

// scipy.ndimage.median_filter by definition: the rank-(count/2) value of the window that
// starts size/2 before each sample, "reflect" (b a | a b) outside the image.
float brute_median(const HostArray<float, 2>& a, std::ptrdiff_t r, std::ptrdiff_t c,
                   std::ptrdiff_t sr, std::ptrdiff_t sc) {
  const auto rows = static_cast<std::ptrdiff_t>(a.extent(0));
  const auto cols = static_cast<std::ptrdiff_t>(a.extent(1));
  std::vector<float> w;
  for (std::ptrdiff_t i = 0; i < sr; ++i)
    for (std::ptrdiff_t j = 0; j < sc; ++j)
      w.push_back(a(reflect_index(r - sr / 2 + i, rows), reflect_index(c - sc / 2 + j, cols)));
  std::sort(w.begin(), w.end());
  return w[w.size() / 2];
}

TEST(Ndimage, ReflectAndMirrorIndicesFollowScipyAndNumpy) {
  // scipy "reflect" on 3 samples: ... c b a | a b c | c b a ...
  EXPECT_EQ(reflect_index(-1, 3), 0);
  EXPECT_EQ(reflect_index(-3, 3), 2);
  EXPECT_EQ(reflect_index(3, 3), 2);
  EXPECT_EQ(reflect_index(5, 3), 0);
  // numpy "reflect" (scipy "mirror"): ... b c | a b c | b a ...
  EXPECT_EQ(mirror_index(-1, 3), 1);
  EXPECT_EQ(mirror_index(3, 3), 1);
  EXPECT_EQ(mirror_index(4, 3), 0);
  EXPECT_EQ(nearest_index(-4, 3), 0);
  EXPECT_EQ(nearest_index(7, 3), 2);
}

TEST(Ndimage, MedianFiltersEqualTheirDefinition) {
  const auto a = random_image(23, 31, 5);
  HostArray<float, 2> out(a.shape());
  // Odd and even windows along rows, down columns, and 2-D.
  for (auto [sr, sc] : {std::pair{1, 5}, {1, 4}, {7, 1}, {6, 1}, {3, 3}, {2, 4}}) {
    median_filter(a.cview(), out.view(), sr, sc);
    for (std::ptrdiff_t r = 0; r < 23; ++r)
      for (std::ptrdiff_t c = 0; c < 31; ++c)
        ASSERT_EQ(out(r, c), brute_median(a, r, c, sr, sc))
            << sr << "x" << sc << " at " << r << "," << c;
  }
  // A window longer than the line wraps by reflection more than once.
  std::vector<float> line = {3, 1, 2}, res(3);
  median_filter1d(line.data(), res.data(), 3, 7);
  HostArray<float, 2> one({1, 3});
  std::copy(line.begin(), line.end(), one.data());
  for (std::ptrdiff_t c = 0; c < 3; ++c)
    EXPECT_EQ(res[c], brute_median(one, 0, c, 1, 7));
}

TEST(Ndimage, UniformAndGaussianFiltersEqualTheirDefinition) {
  const auto a = random_image(17, 9, 7);
  HostArray<float, 2> out(a.shape());
  uniform_filter1d_rows(a.cview(), out.view(), 10);  // window j-5 ... j+4
  for (std::ptrdiff_t r = 0; r < 17; ++r)
    for (std::ptrdiff_t c = 0; c < 9; ++c) {
      double sum = 0;
      for (std::ptrdiff_t k = r - 5; k < r + 5; ++k)
        sum += a(reflect_index(k, 17), c);
      EXPECT_NEAR(out(r, c), sum / 10, 1e-6);
    }
  // A unit impulse gives the normalised taps: radius int(4 sigma + 0.5) = 8 for sigma 2.
  HostArray<float, 2> delta({1, 41}, 0.0f), g({1, 41});
  delta(0, 20) = 1.0f;
  gaussian_filter1d(delta.cview(), g.view(), 1, 2.0);
  double norm = 0;
  for (int k = -8; k <= 8; ++k)
    norm += std::exp(-0.5 * k * k / 4.0);
  for (int c = 0; c < 41; ++c) {
    const int k = c - 20;
    const double want = std::abs(k) <= 8 ? std::exp(-0.5 * k * k / 4.0) / norm : 0.0;
    EXPECT_NEAR(g(0, c), want, 1e-7) << c;
  }
}

TEST(Windows, MatchScipyValues) {
  // scipy.signal.windows.*(M) (sym=True), printed by SciPy 1.10.
  const std::vector<double> parzen7 = {0.0058309,  0.1574344, 0.65014577, 1.0,
                                       0.65014577, 0.1574344, 0.0058309};
  const std::vector<double> triang8 = {0.125, 0.375, 0.625, 0.875, 0.875, 0.625, 0.375, 0.125};
  const std::vector<double> hann5 = {0.0, 0.5, 1.0, 0.5, 0.0};
  const auto near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (std::size_t i = 0; i < got.size(); ++i)
      EXPECT_NEAR(got[i], want[i], 1e-7) << i;
  };
  near(named_window("parzen", 7), parzen7);
  near(named_window("triang", 8), triang8);
  near(named_window("hann", 5), hann5);
  near(gaussian_window(3, 1.0), {std::exp(-0.5), 1.0, std::exp(-0.5)});
  EXPECT_THROW(named_window("boxcar", 5), Error);
}

}  // namespace
}  // namespace xct::recon
