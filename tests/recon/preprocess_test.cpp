// Flat-field correction, -log and zinger removal against the simulator's ground truth and
// hand-made cases with known answers.
#include <gtest/gtest.h>

#include "tests/support/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>

#include "core/error.hpp"
#include "recon/flatfield.hpp"
#include "recon/zinger.hpp"
#include "tests/support/sim_scan.hpp"

namespace xct::recon {
namespace {

using test::SimScan;

HostArray<float, 2> reduced(const HostArray<float, 3>& frames, std::size_t begin, std::size_t end,
                            FrameReduction how) {
  const std::size_t H = frames.extent(1), W = frames.extent(2);
  HostArray<float, 2> out({H, W});
  reduce_frames(ConstStack(frames.data() + begin * H * W, {end - begin, H, W}), how, out.view());
  return out;
}

// The largest relative error of flat-fielded projections against the exact transmission.
double max_relative_error(const HostArray<float, 3>& got, const HostArray<float, 3>& truth) {
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i)
    worst = std::max(worst, std::abs(double(got.data()[i]) / truth.data()[i] - 1.0));
  return worst;
}

sim::SimulationParams exact_detector(std::size_t n_angles) {
  auto p = test::band_params(96, 8, n_angles);
  auto& d = p.detector;
  d.noise = false, d.zingers = false, d.stripes = false, d.blur_sigma_px = 0;
  d.intensity_drift = false;
  d.float_counts = true;  // unrounded counts: the only error left is float arithmetic
  return p;
}

HostArray<float, 3> correct(const SimScan& s, const FlatReference& ref,
                            std::span<const double> positions, const FlatFieldParams& params,
                            FlatFieldCounts& counts) {
  HostArray<float, 3> out(s.projections.shape());
  flat_field(s.projections.cview(), ref, positions, out.view(), params, counts);
  return out;
}

TEST(FlatField, RemovesBeamProfileGainAndDarkPatternExactly) {
  // Beam profile, pixel gain and the dark's fixed pattern are on; flat-fielding must undo
  // them to float precision.
  const SimScan s = test::simulate_scan(exact_detector(31));
  const FlatFieldParams params;
  FlatFieldCounts counts;
  const auto dark = reduced(s.darks, 0, s.darks.extent(0), FrameReduction::Mean);
  const auto flat = reduced(s.flats, 0, s.flats.extent(0), FrameReduction::Mean);
  const auto ref = make_flat_reference(dark.cview(), flat.cview(), nullptr, 0, 0, params, counts);
  const auto t = correct(s, ref, {}, params, counts);
  EXPECT_LT(max_relative_error(t, s.transmission), 1e-4);  // float32 rounding of counts
  EXPECT_EQ(counts.bad_flat_pixels, 0u);
  EXPECT_EQ(counts.nonpositive_samples, 0u);
}

TEST(FlatField, InterpolatesFlatsTakenBeforeAndAfterAcrossTheDrift) {
  // The beam loses 1 % over the scan (plus a 0.25 % wobble): flats before and after, weighted
  // by acquisition position, leave only the wobble; flats before alone leave the 1 %.
  auto p = exact_detector(61);
  p.detector.intensity_drift = true;
  p.detector.n_flats_after = 10;
  const SimScan s = test::simulate_scan(p);
  const std::size_t nf = p.detector.n_flats, n = p.n_angles;
  const auto dark = reduced(s.darks, 0, s.darks.extent(0), FrameReduction::Mean);
  const auto before = reduced(s.flats, 0, nf, FrameReduction::Mean);
  const auto after = reduced(s.flats, nf, 2 * nf, FrameReduction::Mean);
  std::vector<double> positions(n);
  for (std::size_t k = 0; k < n; ++k)
    positions[k] = double(k);
  const FlatFieldParams params;
  FlatFieldCounts counts;
  const ConstImage after_view = after.cview();
  const auto both = make_flat_reference(dark.cview(), before.cview(), &after_view, 0, double(n - 1),
                                        params, counts);
  const auto only_before =
      make_flat_reference(dark.cview(), before.cview(), nullptr, 0, 0, params, counts);
  const double err_both =
      max_relative_error(correct(s, both, positions, params, counts), s.transmission);
  const double err_before =
      max_relative_error(correct(s, only_before, {}, params, counts), s.transmission);
  // What linear interpolation cannot follow: the beam's departure from the straight line
  // between its intensities at the first and last projection.
  const double i0 = sim::beam_intensity(s.detector, 0), i1 = sim::beam_intensity(s.detector, n - 1);
  double wobble = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const double t = double(k) / double(n - 1), i = sim::beam_intensity(s.detector, k);
    wobble = std::max(wobble, std::abs(((1 - t) * i0 + t * i1) / i - 1));
  }
  EXPECT_LT(err_both, wobble + 1e-4);  // plus float rounding, as in the test above
  EXPECT_GT(err_before, 0.8 * p.detector.drift_fraction);
}

TEST(FlatField, MedianOfFlatsIgnoresZingersThatTheMeanKeeps) {
  // Three flat frames of 1000 counts, one with a zinger of 3000: the mean keeps a third of it.
  HostArray<float, 3> frames({3, 1, 2}, 1000.0f);
  frames(1, 0, 1) = 4000.0f;
  HostArray<float, 2> out({1, 2});
  reduce_frames(frames.cview(), FrameReduction::Median, out.view());
  EXPECT_EQ(out(0, 1), 1000.0f);
  reduce_frames(frames.cview(), FrameReduction::Mean, out.view());
  EXPECT_EQ(out(0, 1), 2000.0f);
  // An even count takes the mean of the two middle values, as numpy does.
  HostArray<float, 3> four({4, 1, 1});
  for (int i = 0; i < 4; ++i)
    four(i, 0, 0) = float(i + 1);
  reduce_frames(four.cview(), FrameReduction::Median, HostView<float, 2>(out.data(), {1, 1}));
  EXPECT_EQ(out(0, 0), 2.5f);
}

// A 1 x 4 detector: pixel 0 good, pixel 1 dead in the flat (flat = dark), pixel 2 good with a
// projection below the dark, pixel 3 good.
struct Tiny {
  HostArray<float, 2> dark{{1, 4}, 100.0f};
  HostArray<float, 2> flat{{1, 4}, 1100.0f};
  HostArray<float, 3> raw{{1, 1, 4}, 600.0f};
  Tiny() {
    flat(0, 1) = 100.0f;
    raw(0, 0, 2) = 90.0f;
  }
};

TEST(FlatField, PoliciesFixAndCountBadPixelsAndNeverLeaveNaN) {
  Tiny t;
  FlatFieldParams params;
  FlatFieldCounts counts;
  const auto ref =
      make_flat_reference(t.dark.cview(), t.flat.cview(), nullptr, 0, 0, params, counts);
  EXPECT_EQ(counts.bad_flat_pixels, 1u);
  EXPECT_FLOAT_EQ(ref.denom_before(0, 1), 1000.0f);  // the mean of the good denominators
  HostArray<float, 3> out({1, 1, 4});
  flat_field(t.raw.cview(), ref, {}, out.view(), params, counts);
  EXPECT_FLOAT_EQ(out(0, 0, 0), 0.5f);
  EXPECT_FLOAT_EQ(out(0, 0, 2), 0.5f / 1000.0f);  // half a count over the flat
  EXPECT_EQ(counts.nonpositive_samples, 1u);
  params.nonpositive = NonPositivePolicy::One;
  flat_field(t.raw.cview(), ref, {}, out.view(), params, counts);
  EXPECT_FLOAT_EQ(out(0, 0, 2), 1.0f);
  EXPECT_EQ(counts.nonpositive_samples, 2u);
  std::vector<float> values(out.begin(), out.end());
  minus_log(values, counts);
  for (float v : values)
    EXPECT_TRUE(std::isfinite(v));
  EXPECT_FLOAT_EQ(values[0], -std::log(0.5f));
}

TEST(FlatField, ErrorPoliciesAndUnusableFlatsAreBadData) {
  Tiny t;
  FlatFieldParams params;
  FlatFieldCounts counts;
  params.bad_flat = BadFlatPolicy::Error;
  EXPECT_THROW(make_flat_reference(t.dark.cview(), t.flat.cview(), nullptr, 0, 0, params, counts),
               Error);
  params.bad_flat = BadFlatPolicy::Mean;
  params.nonpositive = NonPositivePolicy::Error;
  const auto ref =
      make_flat_reference(t.dark.cview(), t.flat.cview(), nullptr, 0, 0, params, counts);
  HostArray<float, 3> out({1, 1, 4});
  EXPECT_THROW(flat_field(t.raw.cview(), ref, {}, out.view(), params, counts), Error);

  // All-zero flats, saturated flats and NaN samples are refused with BadData.
  FlatFieldParams defaults;
  HostArray<float, 2> zero({1, 4}, 0.0f);
  EXPECT_EQ(test::thrown_kind([&] {
              make_flat_reference(t.dark.cview(), zero.cview(), nullptr, 0, 0, defaults, counts);
            }),
            ErrorKind::BadData);
  HostArray<float, 2> saturated({1, 4}, 65535.0f);
  defaults.saturation = 65535.0;
  EXPECT_EQ(test::thrown_kind([&] {
              make_flat_reference(t.dark.cview(), saturated.cview(), nullptr, 0, 0, defaults,
                                  counts);
            }),
            ErrorKind::BadData);
  t.raw(0, 0, 3) = std::nanf("");
  FlatFieldParams plain;
  const auto ref2 =
      make_flat_reference(t.dark.cview(), t.flat.cview(), nullptr, 0, 0, plain, counts);
  EXPECT_EQ(
      test::thrown_kind([&] { flat_field(t.raw.cview(), ref2, {}, out.view(), plain, counts); }),
      ErrorKind::BadData);
}

TEST(Zinger, ReplacesAnIsolatedSpikeByItsNeighbourMeanWrappingAtEdges) {
  HostArray<float, 2> img({8, 8}, 1.0f);
  for (std::size_t c = 0; c < 8; ++c)
    img(6, c) = 2.0f;  // row 6 is the wrap-around neighbour of row 0 at distance 2
  img(0, 0) = 5.0f;
  HostArray<float, 2> out({8, 8});
  const std::size_t n = remove_zinger(img.cview(), out.view(), {0.08, 2, false});
  // Neighbours of (0, 0) at distance 2: rows 6 (value 2) and 2 (value 1), columns 6 and 2.
  const float expected = (3 * 2.0f + 2 * 1.0f + 3 * 1.0f) / 8.0f;
  EXPECT_FLOAT_EQ(out(0, 0), expected);
  EXPECT_EQ(out(3, 3), 1.0f);
  EXPECT_GE(n, 1u);
}

TEST(Zinger, SizeCheckKeepsSmallSpotsAndLeavesLargeOnes) {
  HostArray<float, 2> img({16, 16}, 1.0f);
  img(3, 3) = 3.0f;  // a one-pixel zinger
  for (std::size_t r = 8; r < 11; ++r)
    for (std::size_t c = 8; c < 11; ++c)
      img(r, c) = 3.0f;  // a 3 x 3 bright feature: 9 pixels, larger than size 2
  HostArray<float, 2> out({16, 16});
  remove_zinger(img.cview(), out.view(), {0.08, 2, true});
  EXPECT_LT(out(3, 3), 1.5f);
  EXPECT_EQ(out(9, 9), 3.0f);
}

TEST(Zinger, FrameCheckKeepsEdgesThatRunAlongTheAngles) {
  // A sinogram with a step from 0.4 to 1.0 at column 8, the same at every angle: the bright
  // side's 8-neighbour mean is 3/8 of the contrast lower, which Algotom's rule takes for a
  // zinger; the samples above and below in the same column are as bright, so xct keeps it.
  HostArray<float, 2> img({32, 16}, 0.4f), out({32, 16});
  for (std::size_t r = 0; r < 32; ++r)
    for (std::size_t c = 8; c < 16; ++c)
      img(r, c) = 1.0f;
  ZingerParams algotom;
  algotom.frame_check = false;
  EXPECT_GE(remove_zinger(img.cview(), out.view(), algotom), 32u);  // column 8, every angle
  EXPECT_EQ(remove_zinger(img.cview(), out.view(), {}), 0u);
  img(5, 3) = 3.0f;  // a real zinger is still found
  EXPECT_EQ(remove_zinger(img.cview(), out.view(), {}), 1u);
}

TEST(Zinger, RemovesSimulatedZingersAndLeavesCleanSamplesAlone) {
  // Realistic photon noise (10000 counts at the beam's peak) and many zingers, at the default
  // threshold; the simulator's list of zingers tells which samples are clean.
  auto p = test::band_params(192, 8, 181);
  p.detector.zingers_per_frame = 3.0;
  p.detector.stripes = false;
  const SimScan s = test::simulate_scan(p);
  std::set<std::tuple<std::size_t, std::size_t, std::size_t>> hit;  // (row, angle, col)
  for (const auto& z : s.stats.zingers)
    hit.insert({z.row, z.frame, z.col});
  ASSERT_GT(hit.size(), 300u);
  std::size_t found = 0, clean = 0, clean_changed = 0;
  for (std::size_t row = 0; row < p.cell.n_rows; ++row) {
    const auto sino = test::corrected_sinogram(s, row);
    HostArray<float, 2> out(sino.shape());
    remove_zinger(sino.cview(), out.view(), {});
    for (std::size_t a = 0; a < sino.extent(0); ++a)
      for (std::size_t c = 0; c < sino.extent(1); ++c) {
        const bool changed = out(a, c) != sino(a, c);
        if (hit.count({row, a, c}))
          found += changed;
        else
          ++clean, clean_changed += changed;
      }
  }
  EXPECT_GE(double(found), 0.95 * double(hit.size())) << found << " of " << hit.size();
  EXPECT_LT(double(clean_changed), 0.001 * double(clean)) << clean_changed << " of " << clean;
}

TEST(Zinger, RefusesNaNAndBadParameters) {
  HostArray<float, 2> img({4, 4}, 1.0f), out({4, 4});
  EXPECT_THROW(remove_zinger(img.cview(), out.view(), {0.08, 0, false}), Error);
  EXPECT_THROW(remove_zinger(img.cview(), out.view(), {-1.0, 2, false}), Error);
  img(1, 1) = std::nanf("");
  EXPECT_THROW(remove_zinger(img.cview(), out.view(), {}), Error);
}

}  // namespace
}  // namespace xct::recon
