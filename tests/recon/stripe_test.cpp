// Ring (stripe) removal against the simulator's ground truth (the same scan exposed with and
// without the detector's stripe defects, so that the noise is identical), against cases with
// exact answers, and on bad input.
#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "core/error.hpp"
#include "recon/stripe.hpp"
#include "recon/wavelet.hpp"
#include "tests/support/sim_scan.hpp"

namespace xct::recon {
namespace {

using Sino = HostArray<float, 2>;

constexpr std::size_t kCols = 256, kRows = 8, kAngles = 361, kRow = 4;

// A flat-fielded sinogram of detector row kRow, with Algotom's rule for flat - dark = 0 (a
// dead pixel reads dark in flats too): the mean denominator is used, giving 0.
Sino flat_fielded(const test::SimScan& s) {
  const std::size_t nf = s.flats.extent(0), nd = s.darks.extent(0);
  std::vector<double> dark(kCols, 0.0), denom(kCols, 0.0);
  double mean_denom = 0.0;
  for (std::size_t c = 0; c < kCols; ++c) {
    double flat = 0.0;
    for (std::size_t f = 0; f < nf; ++f)
      flat += s.flats(f, kRow, c) / static_cast<double>(nf);
    for (std::size_t f = 0; f < nd; ++f)
      dark[c] += s.darks(f, kRow, c) / static_cast<double>(nd);
    denom[c] = flat - dark[c];
    mean_denom += denom[c] / kCols;
  }
  Sino out({kAngles, kCols});
  for (std::size_t a = 0; a < kAngles; ++a)
    for (std::size_t c = 0; c < kCols; ++c)
      out(a, c) = static_cast<float>((s.projections(a, kRow, c) - dark[c]) /
                                     (denom[c] == 0.0 ? mean_denom : denom[c]));
  return out;
}

// The same scan with only the defects of the given kinds (each over every detector row), and
// without any: the difference between the two sinograms is what the defects did.
struct Scene {
  Sino clean, striped;
  std::vector<sim::StripeDefect> defects;
};

const Scene& scene(const std::set<std::string>& kinds) {
  static std::map<std::set<std::string>, Scene> cache;
  if (auto it = cache.find(kinds); it != cache.end()) return it->second;
  auto params = test::band_params(kCols, kRows, kAngles);
  params.detector.zingers = false;  // zingers are a different step's business
  Scene s;
  const auto striped = test::simulate_scan(params, [&](sim::DetectorModel& d) {
    std::erase_if(d.stripes, [&](const auto& st) { return !kinds.count(st.kind); });
    for (auto& st : d.stripes) {
      st.row0 = 0;
      st.row1 = kRows;
    }
    s.defects = d.stripes;
  });
  const auto clean = test::simulate_scan(params, [](sim::DetectorModel& d) { d.stripes.clear(); });
  s.striped = flat_fielded(striped);
  s.clean = flat_fielded(clean);
  return cache.emplace(kinds, std::move(s)).first->second;
}

// Per column, relative to the mean of clean over the angles: with `bias`, |mean of (x -
// clean)| (what a gain stripe adds: about its gain error); otherwise the mean of |x - clean|
// (what a fluctuating or dead column adds). Noise alone gives 0 in both, the two scans having
// the same noise.
std::vector<double> column_error(const Sino& x, const Sino& clean, bool bias = true) {
  std::vector<double> err(kCols, 0.0), level(kCols, 0.0);
  for (std::size_t a = 0; a < kAngles; ++a)
    for (std::size_t c = 0; c < kCols; ++c) {
      const double d = double(x(a, c)) - clean(a, c);
      err[c] += bias ? d : std::abs(d);
      level[c] += clean(a, c);
    }
  for (std::size_t c = 0; c < kCols; ++c)
    err[c] = std::abs(err[c]) / level[c];
  return err;
}

bool is_gain_stripe(const sim::StripeDefect& d) {
  return d.kind == "full" || d.kind == "partial" || d.kind == "large";
}

// The median column bias over columns at least `margin` away from every defect.
double background_error(const Sino& x, const Scene& s, std::size_t margin = 30) {
  const auto err = column_error(x, s.clean);
  std::vector<double> far;
  for (std::size_t c = 0; c < kCols; ++c) {
    bool near = false;
    for (const auto& d : s.defects)
      near = near || (c + margin >= d.col0 && c < d.col1 + margin);
    if (!near) far.push_back(err[c]);
  }
  std::nth_element(far.begin(), far.begin() + far.size() / 2, far.end());
  return far[far.size() / 2];
}

std::size_t count_flagged(const StripeMask& m) {
  return static_cast<std::size_t>(std::count(m.begin(), m.end(), 1));
}

template <typename F>
Sino apply(const Sino& in, F f) {
  Sino out(in.shape());
  f(in.cview(), out.view());
  return out;
}

// Each defect's worst column error after removal, as a fraction of its error before.
std::vector<double> remaining_fraction(const Sino& out, const Scene& s) {
  std::vector<double> frac;
  for (const auto& d : s.defects) {
    const auto before = column_error(s.striped, s.clean, is_gain_stripe(d));
    const auto after = column_error(out, s.clean, is_gain_stripe(d));
    double b = 0.0, a = 0.0;
    for (std::size_t c = d.col0; c < d.col1; ++c) {
      b = std::max(b, before[c]);
      a = std::max(a, after[c]);
    }
    frac.push_back(a / b);
  }
  return frac;
}

// The defects as a column mask, each grown by one column on both sides (the detectors dilate
// their masks by one).
StripeMask defect_mask(const Scene& s, const std::set<std::string>& kinds) {
  StripeMask m(kCols, 0);
  for (const auto& d : s.defects)
    if (kinds.count(d.kind))
      for (std::size_t c = d.col0 - 1; c < d.col1 + 1; ++c)
        m[c] = 1;
  return m;
}

// Side effects: the median bias a method leaves in columns far from any stripe stays below a
// third of the weakest stripe's gain error (1.5 %). Sorting and median filtering across
// columns do move columns where the object's profile curves.
constexpr double kSideEffect = 0.005;

const std::set<std::string> kAllKinds = {"full", "partial",      "fluctuating",
                                         "dead", "unresponsive", "large"};

// Full stripes are 1-4 % gain errors over every angle, partial ones 2-5 % over a part.
TEST(StripeRemoval, SortingRemovesFullAndPartialStripes) {
  const Scene& s = scene({"full", "partial"});
  ASSERT_EQ(s.defects.size(), 5u);
  const Sino out = apply(s.striped, [](auto i, auto o) { remove_stripe_based_sorting(i, o); });
  for (double f : remaining_fraction(out, s))
    EXPECT_LT(f, 0.5);  // at least half of every stripe is gone
  EXPECT_LT(background_error(out, s), kSideEffect);
}

TEST(StripeRemoval, FilteringRemovesFullAndPartialStripes) {
  const Scene& s = scene({"full", "partial"});
  for (bool sort : {true, false}) {
    const Sino out = apply(s.striped, [&](auto i, auto o) {
      remove_stripe_based_filtering(i, o, FilteringStripeParams{.sort = sort});
    });
    for (double f : remaining_fraction(out, s))
      EXPECT_LT(f, 0.5) << "sort " << sort;
    EXPECT_LT(background_error(out, s), kSideEffect);
  }
}

TEST(StripeRemoval, FittingAndWaveletFftReduceFullStripes) {
  const Scene& s = scene({"full"});
  ASSERT_EQ(s.defects.size(), 3u);
  const Sino fit = apply(s.striped, [](auto i, auto o) { remove_stripe_based_fitting(i, o); });
  for (double f : remaining_fraction(fit, s))
    EXPECT_LT(f, 0.5);
  EXPECT_LT(background_error(fit, s), kSideEffect);
  const Sino wav = apply(s.striped, [](auto i, auto o) { remove_stripe_based_wavelet_fft(i, o); });
  for (double f : remaining_fraction(wav, s))
    EXPECT_LT(f, 0.6);
  EXPECT_LT(background_error(wav, s), kSideEffect);
}

TEST(StripeDetection, DeadStripesAreExactlyTheDeadUnresponsiveAndFluctuatingColumns) {
  const Scene& s = scene(kAllKinds);
  const StripeMask want = defect_mask(s, {"dead", "unresponsive", "fluctuating"});
  EXPECT_EQ(detect_dead_stripe(s.striped.cview()), want);
  // Nothing to find in the clean scan.
  EXPECT_EQ(count_flagged(detect_dead_stripe(s.clean.cview())), 0u);
}

TEST(StripeDetection, LargeStripeIsFoundAndNothingFarFromADefect) {
  const Scene& s = scene({"large"});
  ASSERT_EQ(s.defects.size(), 1u);
  const auto& d = s.defects[0];
  const StripeMask got = detect_large_stripe(s.striped.cview());
  const StripeMask near = defect_mask(s, {"large"});
  const std::size_t width = d.col1 - d.col0;
  // The raised-cosine profile is weak at its edges: its middle half must be flagged.
  for (std::size_t c = d.col0 + width / 4; c < d.col1 - width / 4; ++c)
    EXPECT_TRUE(got[c]) << "column " << c;
  for (std::size_t c = 0; c < kCols; ++c)
    EXPECT_TRUE(!got[c] || near[c]) << "column " << c << " flagged far from the stripe";
  EXPECT_EQ(count_flagged(detect_large_stripe(s.clean.cview())), 0u);
}

TEST(StripeRemoval, LargeStripeAndInterpolationRemoveTheLargeStripe) {
  const Scene& s = scene({"large"});
  const Sino large = apply(s.striped, [](auto i, auto o) { remove_large_stripe(i, o); });
  EXPECT_LT(remaining_fraction(large, s)[0], 0.2);
  const Sino interp =
      apply(s.striped, [](auto i, auto o) { remove_stripe_based_interpolation(i, o); });
  EXPECT_LT(remaining_fraction(interp, s)[0], 0.4);
}

TEST(StripeRemoval, DeadStripesAreInterpolated) {
  const Scene& s = scene({"dead", "unresponsive", "fluctuating"});
  ASSERT_EQ(s.defects.size(), 3u);
  const Sino out = apply(s.striped, [](auto i, auto o) {
    remove_dead_stripe(i, o, DeadStripeParams{.residual = false});
  });
  // A dead column reads 0 (100 % error) and an unresponsive one a constant; interpolation
  // from the neighbours leaves about 1 %.
  const auto err = column_error(out, s.clean, false);
  for (const auto& d : s.defects)
    EXPECT_LT(err[d.col0], 0.02) << d.kind;
}

TEST(StripeRemoval, AllStripeRemovesEveryKind) {
  const Scene& s = scene(kAllKinds);
  ASSERT_EQ(s.defects.size(), 9u);
  Sino out({kAngles, kCols});
  const AllStripeMasks masks = remove_all_stripe(s.striped.cview(), out.view());
  EXPECT_EQ(masks.dead, detect_dead_stripe(s.striped.cview()));
  const auto err = column_error(out, s.clean, false);
  const auto frac = remaining_fraction(out, s);
  for (std::size_t i = 0; i < s.defects.size(); ++i) {
    EXPECT_LT(frac[i], 0.5) << s.defects[i].kind;  // at least half of every defect is gone
    EXPECT_LT(err[s.defects[i].col0], 0.02) << s.defects[i].kind;  // under 2 % left
  }
  EXPECT_LT(background_error(out, s), kSideEffect);
}

// A noise-free sinogram f(angle) + slope * column, the same profile in every column up to a
// constant: sorting, the median across columns and linear interpolation across columns all
// leave it unchanged, so each method must give it back exactly once a stripe is added.
Sino separable(std::size_t angles, std::size_t cols, double slope) {
  Sino s({angles, cols});
  for (std::size_t a = 0; a < angles; ++a)
    for (std::size_t c = 0; c < cols; ++c)
      s(a, c) = static_cast<float>(1.0 + 0.3 * std::sin(0.05 * double(a)) +
                                   0.2 * std::cos(0.013 * double(a * a % 97)) + slope * double(c));
  return s;
}

double max_abs_diff(const Sino& a, const Sino& b) {
  double m = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    m = std::max(m, std::abs(double(a.data()[i]) - b.data()[i]));
  return m;
}

TEST(StripeExact, SortingRestoresAnOffsetColumn) {
  const Sino clean = separable(180, 64, 0.0);
  Sino striped = clean.clone();
  for (std::size_t a = 0; a < 180; ++a)
    striped(a, 30) += 0.05f;  // a full stripe: the same offset at every angle
  const Sino out = apply(striped, [](auto i, auto o) { remove_stripe_based_sorting(i, o); });
  EXPECT_EQ(max_abs_diff(out, clean), 0.0);
}

TEST(StripeExact, LargeStripeOnNoiseFreeDataIsDetectedAndReplaced) {
  // Without noise the detector's noise level is zero; like the paper's code (and unlike
  // Algotom, which refuses) it carries on with a floor, finds the scaled column and replaces
  // it by the median of its neighbours' sorted values: the clean column.
  const Sino clean = separable(180, 64, 0.0);
  Sino striped = clean.clone();
  for (std::size_t a = 0; a < 180; ++a)
    striped(a, 40) *= 1.04f;
  Sino out({180, 64});
  const StripeMask mask = remove_large_stripe(striped.cview(), out.view());
  StripeMask want(64, 0);
  want[39] = want[40] = want[41] = 1;  // the column, dilated by one
  EXPECT_EQ(mask, want);
  EXPECT_LT(max_abs_diff(out, clean), 1e-6);
}

TEST(StripeExact, DeadColumnIsInterpolatedFromItsNeighbours) {
  // Linear across columns, so linear interpolation is exact; the dead column reads 0.
  const Sino clean = separable(180, 64, 0.01);
  Sino striped = clean.clone();
  for (std::size_t a = 0; a < 180; ++a)
    striped(a, 20) = 0.0f;
  Sino out({180, 64});
  const StripeMask mask =
      remove_dead_stripe(striped.cview(), out.view(), DeadStripeParams{.residual = false});
  EXPECT_EQ(count_flagged(mask), 3u);  // column 20 and its two neighbours
  EXPECT_TRUE(mask[19] && mask[20] && mask[21]);
  EXPECT_LT(max_abs_diff(out, clean), 1e-5);  // float rounding of values near 1.6
}

TEST(StripeExact, ConstantSinogramIsLeftAlone) {
  const Sino flat({50, 40}, 0.75f);
  for (int method = 0; method < 8; ++method) {
    const Sino out = apply(flat, [&](auto i, auto o) {
      switch (method) {
        case 0:
          return remove_stripe_based_sorting(i, o);
        case 1:
          return remove_stripe_based_filtering(i, o);
        case 2:
          return remove_stripe_based_fitting(i, o);
        case 3:
          return void(remove_large_stripe(i, o));
        case 4:
          return void(remove_dead_stripe(i, o));
        case 5:
          return void(remove_all_stripe(i, o));
        case 6:
          return void(remove_stripe_based_interpolation(i, o));
        default:
          return remove_stripe_based_wavelet_fft(i, o);
      }
    });
    // Exact but for float rounding in the wavelet transforms (one unit in the last place).
    EXPECT_LT(max_abs_diff(out, flat), 1e-6) << "method " << method;
  }
}

TEST(StripeExact, InPlaceEqualsOutOfPlace) {
  const Scene& s = scene(kAllKinds);
  const auto check = [&](auto f) {
    const Sino out = apply(s.striped, f);
    Sino in_place = s.striped.clone();
    f(in_place.cview(), in_place.view());
    EXPECT_EQ(max_abs_diff(out, in_place), 0.0);
  };
  check([](auto i, auto o) { remove_stripe_based_sorting(i, o); });
  check([](auto i, auto o) { remove_stripe_based_filtering(i, o); });
  check([](auto i, auto o) { remove_stripe_based_fitting(i, o, {.sort = true}); });
  check([](auto i, auto o) { remove_large_stripe(i, o); });
  check([](auto i, auto o) { remove_dead_stripe(i, o); });
  check([](auto i, auto o) { remove_all_stripe(i, o); });
  check([](auto i, auto o) { remove_stripe_based_interpolation(i, o); });
  check([](auto i, auto o) { remove_stripe_based_wavelet_fft(i, o, {.sort = true}); });
}

TEST(Wavelet, OneLevelReconstructsItsInput) {
  // Orthogonal wavelets with symmetric extension reconstruct perfectly: the first rows and
  // columns of the inverse are the input (odd sizes come back one sample longer).
  Sino x({37, 50});
  for (std::size_t i = 0; i < x.size(); ++i)
    x.data()[i] = static_cast<float>(std::sin(0.37 * double(i)) + 0.001 * double(i % 13));
  for (const char* name : {"haar", "db2", "db9", "db20"}) {
    const WaveletFilters w = wavelet_filters(name);
    const WaveletBands b = dwt2(x.cview(), w);
    EXPECT_EQ(b.vertical.extent(0), (37 + w.length() - 1) / 2);
    const Sino y =
        idwt2(b.approx.cview(), b.horizontal.cview(), b.vertical.cview(), b.diagonal.cview(), w);
    double err = 0.0;
    for (std::size_t r = 0; r < 37; ++r)
      for (std::size_t c = 0; c < 50; ++c)
        err = std::max(err, std::abs(double(y(r, c)) - x(r, c)));
    EXPECT_LT(err, 1e-5) << name;  // float32 rounding of values up to 1
  }
}

TEST(Wavelet, ScalingFiltersAreOrthonormal) {
  // sum h = sqrt(2), sum h^2 = 1, and orthogonal to their even shifts.
  for (std::size_t n = 1; n <= daubechies_scaling_filters().size(); ++n) {
    const auto& h = daubechies_scaling_filters()[n - 1];
    ASSERT_EQ(h.size(), 2 * n);
    double sum = 0.0;
    for (double v : h)
      sum += v;
    EXPECT_NEAR(sum, std::sqrt(2.0), 1e-12) << "db" << n;
    for (std::size_t shift = 0; shift < h.size(); shift += 2) {
      double dot = 0.0;
      for (std::size_t k = 0; k + shift < h.size(); ++k)
        dot += h[k] * h[k + shift];
      EXPECT_NEAR(dot, shift == 0 ? 1.0 : 0.0, 1e-12) << "db" << n << " shift " << shift;
    }
  }
}

TEST(StripeInput, BadInputIsAClearError) {
  Sino good = separable(64, 48, 0.0);
  Sino out({64, 48});
  Sino nan = good.clone();
  nan(3, 7) = std::nanf("");
  const auto g = good.cview();
  const auto o = out.view();
  EXPECT_EQ(test::thrown_kind([&] { remove_all_stripe(nan.cview(), o); }), ErrorKind::BadData);
  EXPECT_EQ(test::thrown_kind([&] { remove_stripe_based_wavelet_fft(nan.cview(), o); }),
            ErrorKind::BadData);
  Sino empty({0, 48}), empty_out({0, 48});
  EXPECT_EQ(
      test::thrown_kind([&] { remove_stripe_based_sorting(empty.cview(), empty_out.view()); }),
      ErrorKind::BadData);
  EXPECT_EQ(test::thrown_kind([&] { remove_stripe_based_sorting(g, o, {.dim = 3}); }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] { remove_stripe_based_sorting(g, o, {.size = 0}); }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] { remove_stripe_based_filtering(g, o, {.sigma = 0}); }),
            ErrorKind::Usage);
  EXPECT_EQ(test::thrown_kind([&] { remove_stripe_based_fitting(g, o, {.order = 64}); }),
            ErrorKind::Usage);
  EXPECT_EQ(
      test::thrown_kind([&] { remove_stripe_based_wavelet_fft(g, o, {.wavelet_name = "db99"}); }),
      ErrorKind::Usage);
  EXPECT_EQ(
      test::thrown_kind([&] { remove_stripe_based_wavelet_fft(g, o, {.window_name = "box"}); }),
      ErrorKind::Usage);
  // Too narrow for stripe detection (a line is fitted to the middle of the sorted ratios).
  Sino narrow({64, 4}), narrow_out({64, 4});
  EXPECT_EQ(test::thrown_kind([&] { remove_large_stripe(narrow.cview(), narrow_out.view()); }),
            ErrorKind::BadData);
  // Too small for one wavelet level after padding (16 samples at the coarsest level).
  Sino tiny({20, 20}), tiny_out({20, 20});
  EXPECT_EQ(
      test::thrown_kind([&] { remove_stripe_based_wavelet_fft(tiny.cview(), tiny_out.view()); }),
      ErrorKind::BadData);
}

TEST(StripeInput, TinySinogramsGiveFiniteOutput) {
  // One angle, one or two columns: the methods without detection still run.
  for (auto shape : {std::array<std::size_t, 2>{1, 1}, {1, 2}, {2, 1}, {3, 2}, {11, 2}}) {
    Sino in(shape, 0.5f), out(shape);
    in.data()[0] = 0.7f;
    remove_stripe_based_sorting(in.cview(), out.view());
    for (float v : out)
      EXPECT_TRUE(std::isfinite(v));
    remove_stripe_based_filtering(in.cview(), out.view());
    for (float v : out)
      EXPECT_TRUE(std::isfinite(v));
  }
}

}  // namespace
}  // namespace xct::recon
