// Ring removal on the GPU (cuda/stripe.hpp) against the CPU's remove_rings, row by row, and
// the parts that run everywhere: the host detection from per-column statistics that the CPU
// and the device share, the device setup, and the device arithmetic (cuda/stripe_math.hpp)
// run on the CPU against recon/'s functions. This file is built twice, as
// stripe_device_test_cpu and stripe_device_test_cuda (ctest label `gpu`); the device
// comparisons exist in the CUDA build only and skip themselves where no device is visible.
//
// What a number means: 1e-5 is the largest relative L2 difference the device may show against
// the CPU on the same input. Every step but Filter's Fourier low-pass is exact on the device,
// so those methods give the CPU's bits. Filter's low-pass is computed in double on both
// devices (cuFFT's and FFTW's double transforms, the same double gain) and rounded to float
// once, so both give the correctly rounded float of the exact low-pass except where it lies
// within the transforms' rounding (about 1e-16 of the column's scale) of a float rounding
// boundary. Within 1e-12, ten thousand times that, lie about 3 samples in 10^5
// (FilterWithSortingFollowsTheLowPassRounding), so a sample rounded differently is expected
// far less often than once per test; it would move the sorted output by an exchange of
// neighbouring medians. Filter, sorted or not, is therefore held to 1e-6 (it is expected to
// be identical), constant columns included, and to at most 1 % of the samples differing (a
// float low-pass changes most low-pass samples and moved the sorted output by up to 3e-5, a
// constant column's by far more). Stripe masks and flagged counts must be identical.
#include <gtest/gtest.h>

#include "tests/support/device_test.hpp"

#include "tests/support/test_support.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "cuda/device.hpp"
#include "cuda/stripe.hpp"
#include "cuda/stripe_math.hpp"
#include "io/tiff.hpp"
#include "recon/ndimage.hpp"
#include "recon/rings.hpp"
#include "recon/stripe.hpp"
#include "recon/stripe_device.hpp"
#include "recon/stripe_util.hpp"
#include "recon/windows.hpp"

namespace xct::recon {
namespace {

using test::relative_l2;

namespace sm = cuda::stripe_math;

using Sino = HostArray<float, 2>;
using Stack = HostArray<float, 3>;

constexpr double kPi = std::numbers::pi;
constexpr double kDeviceTolerance = 1e-5;  // relative L2, device vs CPU on the same input
// Filter: its low-pass in double rounds to the CPU's floats (see the top of the file).
constexpr double kLowPassTolerance = 1e-6;

// The real 360-degree neutron sinogram (459 angles x 503 columns) normalised by the mean of
// its open-beam columns 0-29 per angle. XCT_REAL_DATA_DIR in the environment overrides the
// folder the build recorded (the GPU machine keeps the file elsewhere).
Sino neutron() {
  const char* moved = std::getenv("XCT_REAL_DATA_DIR");
  const std::filesystem::path dir = moved && *moved ? moved : test::real_data_dir();
  const auto file = dir / "sarepy-neutron" / "sinogram_360_neutron_image.tif";
  EXPECT_TRUE(std::filesystem::exists(file)) << "real data missing: " << file;
  Sino raw = read_tiff_image(file);
  const std::size_t rows = raw.extent(0), cols = raw.extent(1);
  for (std::size_t a = 0; a < rows; ++a) {
    double open = 0.0;
    for (std::size_t c = 0; c < 30; ++c)
      open += raw(a, c);
    const auto mean = static_cast<float>(open / 30.0);
    for (std::size_t c = 0; c < cols; ++c)
      raw(a, c) /= mean;
  }
  return raw;
}

// A transmission sinogram over a half turn: three disks, 1 % multiplicative noise, and one
// stripe of every kind at columns that move with `seed`: a full and a partial gain error, a
// dead column reading zero (every 7th sample -0), an unresponsive column (constant 0.8; with
// `constant` false a column of 0.8 times the gain instead), a fluctuating one, a large stripe
// of 9 columns; six columns quantised to 1/64 (ties along the angles); with `air`, the first
// fifth of the angles of the three outer columns on each side exactly 1.
Sino striped_sinogram(std::size_t n_angles, std::size_t n_cols, unsigned seed, bool constant = true,
                      bool air = true) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0.0, 0.01);
  std::uniform_real_distribution<double> fluctuation(0.3, 1.2);
  const double w = static_cast<double>(n_cols);
  const double disks[3][4] = {{0.0, 0.0, 0.35 * w, 0.004},
                              {0.1 * w, -0.05 * w, 0.08 * w, 0.01},
                              {-0.15 * w, 0.1 * w, 0.05 * w, 0.02}};
  const double centre = 0.5 * (w - 1.0) + 0.3 * seed;
  Sino s({n_angles, n_cols});
  for (std::size_t a = 0; a < n_angles; ++a) {
    const double theta = kPi * static_cast<double>(a) / static_cast<double>(n_angles);
    for (std::size_t c = 0; c < n_cols; ++c) {
      double integral = 0.0;
      for (const auto& d : disks) {
        const double p = d[0] * std::cos(theta) - d[1] * std::sin(theta) + centre;
        const double t = static_cast<double>(c) - p;
        if (std::abs(t) < d[2]) integral += 2.0 * d[3] * std::sqrt(d[2] * d[2] - t * t);
      }
      s(a, c) = static_cast<float>(std::exp(-integral) * (1.0 + noise(rng)));
    }
  }
  const std::size_t full = 2 * n_cols / 10 + seed, partial = 3 * n_cols / 10 + seed,
                    dead = n_cols / 2 + 2 * seed, unresponsive = 6 * n_cols / 10 + seed,
                    fluctuating = 7 * n_cols / 10 + seed, large = 8 * n_cols / 10 + seed,
                    ties = n_cols / 10;
  for (std::size_t a = 0; a < n_angles; ++a) {
    s(a, full) *= 1.06f;
    if (a >= n_angles / 4 && a < n_angles / 2) s(a, partial) *= 0.93f;
    s(a, dead) = a % 7 == 3 ? -0.0f : 0.0f;
    s(a, unresponsive) = constant ? 0.8f : 0.8f * s(a, unresponsive);
    s(a, fluctuating) = static_cast<float>(fluctuation(rng));
    for (std::size_t k = 0; k < 9; ++k)
      s(a, large + k) *= static_cast<float>(1.0 + 0.05 * std::sin(kPi * (k + 0.5) / 9.0));
    for (std::size_t c = ties; c < ties + 6; ++c)
      s(a, c) = std::round(s(a, c) * 64.0f) / 64.0f;
    if (air && a < n_angles / 5)
      for (std::size_t c = 0; c < 3; ++c) {
        s(a, c) = 1.0f;
        s(a, n_cols - 1 - c) = 1.0f;
      }
  }
  return s;
}

// The same over columns [c0, c1) of two images, or over every column but `skip`.
double relative_l2_columns(const Sino& a, const Sino& b, std::size_t c0, std::size_t c1,
                           std::size_t skip = std::numeric_limits<std::size_t>::max()) {
  double num = 0, den = 0;
  for (std::size_t r = 0; r < a.extent(0); ++r)
    for (std::size_t c = c0; c < c1; ++c) {
      if (c == skip) continue;
      const double d = static_cast<double>(a(r, c)) - b(r, c);
      num += d * d;
      den += static_cast<double>(b(r, c)) * b(r, c);
    }
  return std::sqrt(num / den);
}

// Column c of an image, sorted.
std::vector<float> sorted_column(const Sino& a, std::size_t c) {
  std::vector<float> v(a.extent(0));
  for (std::size_t r = 0; r < a.extent(0); ++r)
    v[r] = a(r, c);
  std::sort(v.begin(), v.end());
  return v;
}

std::size_t count_flagged(const StripeMask& m) {
  return static_cast<std::size_t>(std::count(m.begin(), m.end(), std::uint8_t{1}));
}

RingOptions method(const std::string& name) {
  RingOptions o;
  o.method = name;
  return o;
}

// The image transposed into the device's lines: element (a, c) at [c * n_angles + a].
std::vector<float> to_lines(ConstImage img) {
  const std::size_t a = img.extent(0), c = img.extent(1);
  std::vector<float> t(a * c);
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < c; ++j)
      t[j * a + i] = img(i, j);
  return t;
}

// The large-stripe trimmed means as the device computes them: the CPU's sorted columns and
// their median across columns, each column's mean by stripe_math::segment_mean.
void large_means(ConstImage sino, const LargeStripeParams& p, std::vector<double>& l1,
                 std::vector<double>& l2) {
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  const std::size_t drop = stripe::large_drop_rows(rows, p);
  const stripe::ColumnSort cs = stripe::sort_columns(sino);
  Sino smooth({rows, cols});
  stripe::median_across_columns(cs.sorted.cview(), smooth.view(), p.size, 1);
  const std::vector<float> sorted_lines = to_lines(cs.sorted.cview());
  const std::vector<float> smooth_lines = to_lines(smooth.cview());
  l1.resize(cols);
  l2.resize(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    const int first = static_cast<int>(drop), last = static_cast<int>(rows - drop);
    l1[c] = sm::segment_mean(sorted_lines.data() + c * rows, first, last);
    l2[c] = sm::segment_mean(smooth_lines.data() + c * rows, first, last);
  }
}

// Each column's summed deviation from its running mean, by stripe_math::column_deviation.
std::vector<float> dead_deviation(ConstImage sino, std::size_t smooth_strength) {
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  std::vector<float> dev(cols);
  for (std::size_t c = 0; c < cols; ++c)
    dev[c] = sm::column_deviation(sino.data() + c, static_cast<std::ptrdiff_t>(cols),
                                  static_cast<int>(rows), static_cast<int>(smooth_strength));
  return dev;
}

// ---------------------------------------------------------------------------------------------
// The host detection from statistics, and the setup (every build).

// The setup's detectors, fed with the statistics the device computes (here by the device
// arithmetic on the CPU), flag exactly the columns detect_large_stripe and detect_dead_stripe
// flag, on the real neutron sinogram and on synthetic stripes, for several parameter sets.
TEST(StripeDeviceHost, DetectionFromStatisticsMatchesTheCpuDetectors) {
  std::vector<Sino> sinos;
  sinos.push_back(neutron());
  sinos.push_back(striped_sinogram(181, 203, 1));
  sinos.push_back(striped_sinogram(181, 203, 2));
  const std::vector<LargeStripeParams> large = {{}, {2.5, 31, 0.3, true}, {3.0, 11, 0.0, false}};
  const std::vector<DeadStripeParams> dead = {{}, {3.0, 21, true, 5}, {2.0, 51, false, 1}};
  std::size_t flagged_large = 0, flagged_dead = 0;
  for (std::size_t i = 0; i < sinos.size(); ++i) {
    const ConstImage s = sinos[i].cview();
    for (const auto& p : large) {
      RingOptions o = method("large");
      o.large = p;
      const cuda::StripeSetup setup = stripe_device_setup(o, s.extent(0), s.extent(1));
      std::vector<double> l1, l2;
      large_means(s, p, l1, l2);
      const cuda::LargeDetection got = setup.detect_large(l1, l2);
      const StripeMask want = detect_large_stripe(s, p);
      EXPECT_EQ(got.mask, want) << "sinogram " << i << ", large size " << p.size;
      EXPECT_EQ(got.mask, stripe::large_ratio_and_mask(l1, l2, p).mask);
      flagged_large += count_flagged(want);
    }
    for (const auto& p : dead) {
      RingOptions o = method("dead");
      o.dead = p;
      const cuda::StripeSetup setup = stripe_device_setup(o, s.extent(0), s.extent(1));
      const std::vector<std::uint8_t> got = setup.detect_dead(dead_deviation(s, p.smooth_strength));
      const StripeMask want = detect_dead_stripe(s, p);
      EXPECT_EQ(got, want) << "sinogram " << i << ", smooth_strength " << p.smooth_strength;
      flagged_dead += count_flagged(want);
    }
  }
  // The data hold stripes of both kinds, so the masks compared are not all empty.
  EXPECT_GT(flagged_large, 0u);
  EXPECT_GT(flagged_dead, 0u);
}

TEST(StripeDeviceHost, SetupFollowsTheOptionsAndRefusesWhatTheCpuRefuses) {
  for (const char* m : {"none", "sort", "filter", "large", "dead", "all", "remove_all_stripe",
                        "remove_stripe_based_sorting"})
    EXPECT_TRUE(rings_on_device(method(m))) << m;
  for (const char* m : {"fit", "interpolation", "wavelet-fft"})
    EXPECT_FALSE(rings_on_device(method(m))) << m;
  EXPECT_EQ(test::thrown_kind([] { rings_on_device(method("median")); }), ErrorKind::Usage);

  // Filter: lowpass_columns' padding, min(150, n_angles / 10), and its gain in double: the
  // Gaussian window of 217 bins centred at 108, averaged with its mirror image, over 217.
  RingOptions f = method("filter");
  f.filtering.sigma = 2.5;
  f.filtering.sort = false;
  const cuda::StripeSetup fs = stripe_device_setup(f, 181, 203);
  EXPECT_EQ(fs.method, cuda::StripeMethod::Filter);
  EXPECT_EQ(fs.shift, 18u);
  EXPECT_EQ(fs.n_fft, 217u);
  EXPECT_FALSE(fs.filter_sort);
  EXPECT_EQ(fs.gain, stripe::lowpass_gain(217, 2.5));
  ASSERT_EQ(fs.gain.size(), 109u);
  for (std::size_t b : {0u, 1u, 50u, 108u}) {
    auto window = [](double k) {
      return std::exp(-0.5 * ((k - 108.0) / 2.5) * ((k - 108.0) / 2.5));
    };
    const double want =
        0.5 * (window(static_cast<double>(b)) + window(static_cast<double>((217 - b) % 217))) /
        217.0;
    EXPECT_NEAR(fs.gain[b], want, 1e-15 * want + 1e-300) << b;
  }
  EXPECT_NE(fs.gain[108], static_cast<double>(static_cast<float>(fs.gain[108])));  // not rounded
  EXPECT_EQ(stripe_device_setup(f, 3000, 10).shift, 150u);

  // Large: the rows dropped at each end, int(0.5 drop n_angles).
  RingOptions l = method("large");
  l.large.drop_ratio = 0.1;
  EXPECT_EQ(stripe_device_setup(l, 181, 203).large_drop, 9u);
  l.large.drop_ratio = 2.0;  // clipped to 0.8
  EXPECT_EQ(stripe_device_setup(l, 181, 203).large_drop, 72u);

  // Dead: the residual step brings the large-stripe detector with dead's snr and size.
  RingOptions d = method("dead");
  const cuda::StripeSetup ds = stripe_device_setup(d, 181, 203);
  EXPECT_TRUE(ds.dead_residual && ds.detect_dead && ds.detect_large);
  EXPECT_EQ(ds.large_size, d.dead.size);
  d.dead.residual = false;
  EXPECT_FALSE(stripe_device_setup(d, 181, 203).detect_large);

  // All: dead and large with la_size, sorting with sm_size and dim.
  RingOptions a = method("all");
  a.all.sm_size = 15;
  a.all.la_size = 31;
  a.all.dim = 2;
  const cuda::StripeSetup as = stripe_device_setup(a, 181, 203);
  EXPECT_EQ(as.size, 15u);
  EXPECT_EQ(as.dim, 2);
  EXPECT_EQ(as.large_size, 31u);
  EXPECT_FALSE(as.dead_residual);

  auto kind = [](RingOptions o, std::size_t angles = 181, std::size_t cols = 203) {
    return test::thrown_kind([&] { stripe_device_setup(o, angles, cols); });
  };
  RingOptions bad = method("sort");
  bad.sorting.dim = 3;
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  bad.sorting = {0, 1};
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  bad = method("filter");
  bad.filtering.sigma = 0;
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  bad = method("large");
  bad.large.snr = std::numeric_limits<double>::quiet_NaN();
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  bad = method("dead");
  bad.dead.smooth_strength = 0;
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  bad = method("all");
  bad.all.sm_size = 0;
  EXPECT_EQ(kind(bad), ErrorKind::Usage);
  EXPECT_EQ(kind(method("none")), ErrorKind::Usage);
  EXPECT_EQ(kind(method("fit")), ErrorKind::Usage);
  EXPECT_EQ(kind(method("sort"), 0, 203), ErrorKind::BadData);

  // Without a device a remover cannot be made: one clear error kind.
  if (cuda::visible_devices().empty()) {
    EXPECT_EQ(test::thrown_kind(
                  [] { cuda::StripeRemover r(stripe_device_setup(method("sort"), 181, 203), 2); }),
              ErrorKind::DeviceUnavailable);
  }
}

// ---------------------------------------------------------------------------------------------
// Filter's low-pass in double and the rounding of its transforms (every build).

// The device's route to lowpass_columns' line samples (cuda/stripe.cu: filter_step), in long
// double, far more precise than either device's double transforms: the column extended and
// modulated by stripe_math::lowpass_input, its full DFT, every bin times
// stripe_math::spectrum_gain of the setup's double gain, the real part of the inverse DFT at
// k = shift ... shift + n_angles - 1. Returned [angle][column] before the demodulation and the
// rounding to float, which lowpass_output does.
std::vector<long double> lowpass_exact(ConstImage sino, double sigma) {
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  RingOptions o = method("filter");
  o.filtering.sigma = sigma;
  const cuda::StripeSetup setup = stripe_device_setup(o, rows, cols);
  const std::size_t n = setup.n_fft, pad = setup.shift;
  const long double two_pi = 2.0L * std::numbers::pi_v<long double>;
  std::vector<long double> cs(n), sn(n), x(n), re(n), im(n), out(rows * cols);
  for (std::size_t k = 0; k < n; ++k) {
    cs[k] = std::cos(two_pi * static_cast<long double>(k) / static_cast<long double>(n));
    sn[k] = std::sin(two_pi * static_cast<long double>(k) / static_cast<long double>(n));
  }
  for (std::size_t c = 0; c < cols; ++c) {
    for (std::size_t k = 0; k < n; ++k) {
      const auto a = static_cast<std::size_t>(sm::mirror_index(
          static_cast<long long>(k) - static_cast<long long>(pad), static_cast<long long>(rows)));
      x[k] = sm::lowpass_input(sino(a, c), static_cast<long long>(k), true);
    }
    for (std::size_t f = 0; f <= n / 2; ++f) {  // the spectrum of real samples is hermitian
      long double a = 0.0L, b = 0.0L;
      for (std::size_t k = 0; k < n; ++k) {
        a += x[k] * cs[(f * k) % n];
        b -= x[k] * sn[(f * k) % n];
      }
      re[f] = a;
      im[f] = b;
      re[(n - f) % n] = a;
      im[(n - f) % n] = -b;
    }
    for (std::size_t f = 0; f < n; ++f) {
      const long double g =
          sm::spectrum_gain(setup.gain.data(), static_cast<int>(f), static_cast<int>(n));
      re[f] *= g;
      im[f] *= g;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t k = r + pad;
      long double y = 0.0L;
      for (std::size_t f = 0; f < n; ++f)
        y += re[f] * cs[(f * k) % n] - im[f] * sn[(f * k) % n];
      out[r * cols + c] = y;
    }
  }
  return out;
}

// The exact line samples of lowpass_exact as a device with other transforms would see them:
// each times (1 + e), e uniform in [-relative, relative] (none for 0), to double, then
// demodulated and rounded to float by stripe_math::lowpass_output.
Sino round_lowpass(const std::vector<long double>& y, std::size_t rows, std::size_t cols,
                   std::size_t pad, double relative = 0.0, unsigned seed = 0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<long double> e(-relative, relative);
  Sino out({rows, cols});
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      const long double v = y[r * cols + c] * (relative > 0.0 ? 1.0L + e(rng) : 1.0L);
      out(r, c) = sm::lowpass_output(static_cast<double>(v), static_cast<long long>(r + pad), true);
    }
  return out;
}

// How far each exact line sample lies from a float rounding boundary (the midpoint between
// two floats), over its column's largest magnitude: where that is within the rounding of the
// double transforms, and only there, they may round it to the other float.
std::vector<long double> boundary_distance(const std::vector<long double>& y, std::size_t rows,
                                           std::size_t cols) {
  std::vector<long double> dist(rows * cols, 0.0L);
  for (std::size_t c = 0; c < cols; ++c) {
    long double scale = 0.0L;
    for (std::size_t r = 0; r < rows; ++r)
      scale = std::max(scale, std::abs(y[r * cols + c]));
    for (std::size_t r = 0; r < rows; ++r) {
      const long double v = y[r * cols + c];
      const float f = static_cast<float>(v);
      const float next = std::nextafter(f, v >= f ? std::numeric_limits<float>::infinity()
                                                  : -std::numeric_limits<float>::infinity());
      const long double boundary = 0.5L * (static_cast<long double>(f) + next);
      dist[r * cols + c] = scale > 0.0L ? std::abs(boundary - v) / scale : 1.0L;
    }
  }
  return dist;
}

// The samples within `margin` of a rounding boundary (boundary_distance).
std::vector<std::uint8_t> near_boundary(const std::vector<long double>& y, std::size_t rows,
                                        std::size_t cols, long double margin) {
  const std::vector<long double> dist = boundary_distance(y, rows, cols);
  std::vector<std::uint8_t> near(dist.size());
  for (std::size_t i = 0; i < dist.size(); ++i)
    near[i] = dist[i] <= margin ? 1 : 0;
  return near;
}

// remove_stripe_based_filtering with `low` in place of its own low-pass.
Sino filtering_with(ConstImage sino, const Sino& low, const FilteringStripeParams& p) {
  const std::size_t n = sino.size();
  Sino smooth = low.clone(), out(sino.shape()), sharp(sino.shape());
  for (std::size_t i = 0; i < n; ++i)
    sharp.data()[i] = sino.data()[i] - smooth.data()[i];
  if (p.sort) {
    const stripe::ColumnSort cs = stripe::sort_columns(smooth.cview());
    stripe::median_across_columns(cs.sorted.cview(), smooth.view(), p.size, p.dim);
    stripe::unsort_columns(smooth.cview(), cs.source, out.view());
  } else {
    stripe::median_across_columns(smooth.cview(), out.view(), p.size, p.dim);
  }
  for (std::size_t i = 0; i < n; ++i)
    out.data()[i] += sharp.data()[i];
  return out;
}

std::size_t count_unequal(const Sino& a, const Sino& b,
                          const std::vector<std::uint8_t>* except = nullptr) {
  std::size_t d = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    d += (a.data()[i] != b.data()[i] && (except == nullptr || !(*except)[i])) ? 1 : 0;
  return d;
}

// What the device's tolerance for Filter rests on, on the CPU alone. Sorting the low-pass
// makes the output follow the low-pass's rounding: samples that tie, or nearly, change places
// when their rounding changes, which exchanges the medians put back at their angles. A float
// low-pass (FFTW's float transforms and gain, as xct computed it before) differs from the
// correctly rounded one in most samples, and the sorted output then by more than 1e-6
// relative L2 (measured 1.6e-6 and 2e-6 on the real sinogram, 4e-4 to 4e-3 on the synthetic
// ones, whose unresponsive column is ordered by the rounding noise). In double, the rounding
// of the transforms (about 1e-16) can change a float sample only where its exact value lies
// that close to a rounding boundary: lowpass_columns gives the correctly rounded float of the
// exact low-pass (the device's route in long double) in every sample not within 1e-12 of one
// (measured: in every sample), so do double transforms perturbed by 1e-15, as cuFFT's differ
// from FFTW's, and the outputs, sorted or not, stay within 1e-6 (measured: identical).
TEST(StripeDeviceHost, FilterWithSortingFollowsTheLowPassRounding) {
  constexpr long double kNear = 1e-12L;  // of the column's scale: far above double rounding
  std::vector<Sino> sinos;
  sinos.push_back(neutron());
  for (unsigned seed = 1; seed <= 3; ++seed)
    sinos.push_back(striped_sinogram(181, 203, seed));
  double worst_float = 0.0, worst_double = 0.0;
  std::size_t samples = 0, near_samples = 0, float_changed = 0, fftw_changed = 0;
  for (std::size_t i = 0; i < sinos.size(); ++i) {
    const ConstImage s = sinos[i].cview();
    const std::size_t rows = s.extent(0), cols = s.extent(1);
    for (const double sigma : {3.0, 2.0}) {
      if (i == 0 && sigma != 3.0) continue;  // the real sinogram's exact low-pass takes longest
      const std::size_t pad = stripe_device_setup(method("filter"), rows, cols).shift;
      const std::size_t n = rows + 2 * pad;
      const std::vector<long double> y = lowpass_exact(s, sigma);
      const std::vector<std::uint8_t> near = near_boundary(y, rows, cols, kNear);
      const Sino exact = round_lowpass(y, rows, cols, pad);
      Sino fftw(s.shape()), in_float(s.shape());
      stripe::lowpass_columns(s, fftw.view(), sigma);
      stripe::filter_columns(s, in_float.view(), n, pad,
                             stripe::hermitian_gain(gaussian_window(n, sigma)), true);
      // The CPU's low-pass is the correctly rounded float wherever rounding can tell.
      EXPECT_EQ(count_unequal(fftw, exact, &near), 0u) << "sinogram " << i << ", sigma " << sigma;
      fftw_changed += count_unequal(fftw, exact);
      std::vector<Sino> perturbed;
      for (unsigned seed : {1u, 2u})
        perturbed.push_back(round_lowpass(y, rows, cols, pad, 1e-15, seed));
      for (const Sino& low : perturbed)
        EXPECT_EQ(count_unequal(low, exact, &near), 0u) << "sinogram " << i;
      const std::size_t changed = count_unequal(in_float, exact);
      samples += s.size();
      near_samples += static_cast<std::size_t>(std::count(near.begin(), near.end(), 1));
      float_changed += changed;
      for (const FilteringStripeParams& p :
           {FilteringStripeParams{sigma, 21, 1, false}, FilteringStripeParams{sigma, 21, 1, true},
            FilteringStripeParams{sigma, 11, 2, true}}) {
        Sino want(s.shape());
        remove_stripe_based_filtering(s, want.view(), p);
        double e_double = 0.0;
        for (const Sino& low : perturbed) {
          const Sino got = filtering_with(s, low, p);
          e_double = std::max(e_double, relative_l2(got.data(), want.data(), s.size()));
        }
        const Sino got_float = filtering_with(s, in_float, p);
        const double e_float = relative_l2(got_float.data(), want.data(), s.size());
        EXPECT_LE(e_double, 1e-6) << "sinogram " << i << ", sort " << p.sort << ", dim " << p.dim;
        worst_double = std::max(worst_double, e_double);
        if (p.sort) worst_float = std::max(worst_float, e_float);
        std::printf(
            "[ stripes  ] filter (sigma %.0f, sort %d, dim %d), sinogram %zu: rel L2 %.2e with a "
            "float low-pass, %.2e with perturbed double transforms\n",
            sigma, p.sort, p.dim, i, e_float, e_double);
      }
    }
  }
  std::printf(
      "[ stripes  ] low-pass: %zu of %zu samples near a float rounding boundary; not correctly "
      "rounded: %zu by lowpass_columns, %zu by float transforms\n",
      near_samples, samples, fftw_changed, float_changed);
  // Rounding boundaries within reach of double transforms are rare; float transforms change
  // a large share of the samples, and reordered near-ties move the sorted output.
  EXPECT_LE(near_samples, samples / 10000);
  EXPECT_GT(float_changed, samples / 20);
  EXPECT_GT(worst_float, 1e-6);
  EXPECT_LE(worst_double, 1e-6);

  // An unresponsive column (constant 0.8): its exact low-pass is a plateau with a roll-off
  // at both ends, symmetric about the middle angle, so most of its samples tie in exact
  // arithmetic. No sample of it lies near a float rounding boundary, so the ties round to
  // equal floats and keep their angle order on either device. A float low-pass orders the
  // column as its rounding noise does: the same values, in another order.
  const Sino s = striped_sinogram(181, 203, 1);
  const std::size_t constant = 6 * 203 / 10 + 1, rows = 181, cols = 203;
  const FilteringStripeParams p;
  const std::size_t pad = stripe_device_setup(method("filter"), rows, cols).shift;
  const std::vector<long double> y = lowpass_exact(s.cview(), p.sigma);
  const std::vector<long double> dist = boundary_distance(y, rows, cols);
  Sino fftw(s.shape());
  stripe::lowpass_columns(s.cview(), fftw.view(), p.sigma);
  const Sino exact = round_lowpass(y, rows, cols, pad);
  long double closest = 1.0L;
  for (std::size_t r = 0; r < rows; ++r) {
    EXPECT_GT(dist[r * cols + constant], kNear) << r;
    closest = std::min(closest, dist[r * cols + constant]);
    EXPECT_EQ(fftw(r, constant), exact(r, constant)) << r;
  }
  std::vector<float> levels = sorted_column(fftw, constant);
  levels.erase(std::unique(levels.begin(), levels.end()), levels.end());
  EXPECT_LT(levels.size(), rows / 2);  // ties
  std::printf(
      "[ stripes  ] constant column: %zu float values in %zu samples, the closest %.1Le of the "
      "column's scale from a rounding boundary\n",
      levels.size(), rows, closest);
  Sino want(s.shape());
  remove_stripe_based_filtering(s.cview(), want.view(), p);
  const Sino got = filtering_with(s.cview(), round_lowpass(y, rows, cols, pad, 1e-15, 3), p);
  EXPECT_EQ(count_unequal(got, want), 0u);
  const std::size_t n = rows + 2 * pad;
  Sino in_float(s.shape());
  stripe::filter_columns(s.cview(), in_float.view(), n, pad,
                         stripe::hermitian_gain(gaussian_window(n, p.sigma)), true);
  const Sino got_float = filtering_with(s.cview(), in_float, p);
  EXPECT_GT(relative_l2_columns(got_float, want, constant, constant + 1), 1e-3);
  const std::vector<float> a = sorted_column(got_float, constant),
                           b = sorted_column(want, constant);
  EXPECT_LE(relative_l2(a.data(), b.data(), a.size()), 1e-5);
}

// ---------------------------------------------------------------------------------------------
// The device arithmetic on the CPU (every build).

// A 200 x 41 image with ties (values on a 1/32 grid), both zeros, negative values and a
// denormal: the inputs the sort and the medians must order exactly as the CPU does.
Sino tied_image(std::size_t rows = 200, std::size_t cols = 41) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> level(-20, 40);
  Sino s({rows, cols});
  for (std::size_t a = 0; a < rows; ++a)
    for (std::size_t c = 0; c < cols; ++c)
      s(a, c) = static_cast<float>(level(rng)) / 32.0f;
  s(3, 4) = -0.0f;
  s(5, 4) = 0.0f;
  s(7, 4) = std::numeric_limits<float>::denorm_min();
  s(9, 4) = -std::numeric_limits<float>::denorm_min();
  for (std::size_t a = 0; a < rows; ++a)
    s(a, 6) = 0.25f;  // a constant column
  return s;
}

// The block sort as sort_lines runs it (keys of each line, a stable sort on the low bits in
// which they differ, padding keys of all ones) gives sort_columns' values and sources.
TEST(StripeDeviceMath, SortKeysGiveTheCpuOrder) {
  for (const Sino& s : {tied_image(), striped_sinogram(181, 203, 2)}) {
    const std::size_t rows = s.extent(0), cols = s.extent(1);
    const stripe::ColumnSort want = stripe::sort_columns(s.cview());
    const std::size_t tile = 256;  // a block of 128 x 2 items, padded
    for (std::size_t c = 0; c < cols; ++c) {
      std::vector<std::uint32_t> keys(tile, 0xffffffffu), order(tile);
      std::uint32_t varying = 0;
      for (std::size_t a = 0; a < rows; ++a) {
        keys[a] = sm::order_key(s(a, c));
        varying |= keys[a] ^ keys[0];
      }
      const int end_bit = sm::sort_end_bit(varying);
      const std::uint32_t low = end_bit == 32 ? 0xffffffffu : (1u << end_bit) - 1u;
      for (std::size_t i = 0; i < tile; ++i)
        order[i] = static_cast<std::uint32_t>(i);
      std::stable_sort(order.begin(), order.end(), [&](std::uint32_t x, std::uint32_t y) {
        return (keys[x] & low) < (keys[y] & low);
      });
      for (std::size_t a = 0; a < rows; ++a) {
        const float v = sm::from_key(keys[order[a]]);
        ASSERT_EQ(sm::float_bits(v), sm::float_bits(want.sorted(a, c))) << a << ", " << c;
        ASSERT_EQ(order[a], want.source(a, c)) << a << ", " << c;
      }
    }
  }
}

// The sliding median of median_lines (runs of 64 columns, each window built afresh) and the
// selection of median_select give median_filter's values for every window size, also wider
// than the image (repeated reflection), and for 2-D windows.
TEST(StripeDeviceMath, MediansMatchMedianFilter) {
  for (const Sino& s : {tied_image(), tied_image(30, 7), striped_sinogram(181, 203, 3)}) {
    const std::size_t rows = s.extent(0), cols = s.extent(1);
    const std::vector<float> lines = to_lines(s.cview());
    for (std::size_t size : {1u, 2u, 4u, 20u, 21u, 51u}) {
      Sino want({rows, cols});
      median_filter(s.cview(), want.view(), 1, size);
      std::vector<float> slid(rows * cols), picked(rows * cols), win(3 * size);
      for (std::size_t a = 0; a < rows; ++a) {
        for (int c0 = 0; c0 < static_cast<int>(cols); c0 += 64)
          sm::median_run(lines.data() + a, static_cast<std::ptrdiff_t>(rows),
                         static_cast<int>(cols), static_cast<int>(size), c0,
                         std::min(c0 + 64, static_cast<int>(cols)), sm::Window{win.data() + 1, 3},
                         slid.data() + a, static_cast<std::ptrdiff_t>(rows));
        for (std::size_t c = 0; c < cols; ++c)
          picked[c * rows + a] =
              sm::window_select(lines.data(), static_cast<std::ptrdiff_t>(rows),
                                static_cast<int>(rows), static_cast<int>(cols), static_cast<int>(a),
                                static_cast<int>(c), 1, static_cast<int>(size));
      }
      for (std::size_t a = 0; a < rows; ++a)
        for (std::size_t c = 0; c < cols; ++c) {
          ASSERT_EQ(slid[c * rows + a], want(a, c)) << "size " << size << " at " << a << ", " << c;
          ASSERT_EQ(picked[c * rows + a], want(a, c))
              << "size " << size << " at " << a << ", " << c;
        }
    }
    for (std::size_t size : {2u, 3u, 9u, 21u}) {
      Sino want({rows, cols});
      median_filter(s.cview(), want.view(), size, size);
      for (std::size_t a = 0; a < rows; ++a)
        for (std::size_t c = 0; c < cols; ++c)
          ASSERT_EQ(sm::window_select(lines.data(), static_cast<std::ptrdiff_t>(rows),
                                      static_cast<int>(rows), static_cast<int>(cols),
                                      static_cast<int>(a), static_cast<int>(c),
                                      static_cast<int>(size), static_cast<int>(size)),
                    want(a, c))
              << "2-D size " << size << " at " << a << ", " << c;
    }
  }
}

// column_deviation gives measure_dead's float sums bit for bit: uniform_filter1d_rows, then
// |sample - mean| summed over the angles, also for windows longer than the column.
TEST(StripeDeviceMath, ColumnDeviationMatchesTheRunningMean) {
  for (const Sino& s : {striped_sinogram(181, 203, 1), tied_image(30, 7)}) {
    const std::size_t rows = s.extent(0), cols = s.extent(1);
    for (std::size_t size : {1u, 2u, 10u, 11u, 400u}) {
      Sino running({rows, cols});
      uniform_filter1d_rows(s.cview(), running.view(), size);
      std::vector<float> want(cols, 0.0f);
      for (std::size_t a = 0; a < rows; ++a)
        for (std::size_t c = 0; c < cols; ++c)
          want[c] += std::abs(s(a, c) - running(a, c));
      const std::vector<float> got = dead_deviation(s.cview(), size);
      for (std::size_t c = 0; c < cols; ++c)
        ASSERT_EQ(sm::float_bits(got[c]), sm::float_bits(want[c])) << "size " << size << ", " << c;
    }
  }
}

// column_fills, applied by fill_value, gives interpolate_columns' samples bit for bit: single
// columns, runs, runs at the edges (the first and last two columns are never filled).
TEST(StripeDeviceMath, ColumnFillsMatchInterpolateColumns) {
  const Sino s = striped_sinogram(181, 203, 1);
  const std::size_t rows = s.extent(0), cols = s.extent(1);
  StripeMask mask(cols, 0);
  for (std::size_t c :
       {0u, 1u, 2u, 3u, 10u, 50u, 51u, 52u, 53u, 54u, 120u, 122u, 199u, 200u, 201u, 202u})
    mask[c] = 1;
  Sino want = s.clone();
  stripe::interpolate_columns(want.view(), mask);
  Sino got = s.clone();
  const auto fills = sm::column_fills(mask, 0);
  EXPECT_EQ(fills.size(), 12u);  // 2, 3, 10, 50 ... 54, 120, 122, 199, 200
  for (std::size_t a = 0; a < rows; ++a)
    for (const auto& f : fills)
      got(a, f.col) = sm::fill_value(got(a, f.left), got(a, f.right), f.t);
  EXPECT_EQ(std::memcmp(got.data(), want.data(), s.size() * sizeof(float)), 0);
}

#if XCT_TEST_DEVICE_CUDA

// ---------------------------------------------------------------------------------------------
// The device against the CPU (CUDA build).

// Rows stacked into one batch [rows, angles, cols].
Stack stack(const std::vector<const Sino*>& rows) {
  const std::size_t a = rows[0]->extent(0), c = rows[0]->extent(1);
  Stack s({rows.size(), a, c});
  for (std::size_t r = 0; r < rows.size(); ++r)
    std::memcpy(s.data() + r * a * c, rows[r]->data(), a * c * sizeof(float));
  return s;
}

// Three synthetic rows of 181 angles x 203 columns with their stripes in different places.
Stack synthetic_batch(bool constant = true, bool air = true) {
  const Sino s1 = striped_sinogram(181, 203, 1, constant, air),
             s2 = striped_sinogram(181, 203, 2, constant, air),
             s3 = striped_sinogram(181, 203, 3, constant, air);
  return stack({&s1, &s2, &s3});
}

// The neutron sinogram, its mirror image, and a copy rolled by 100 angles and scaled by 0.97.
Stack neutron_batch() {
  const Sino n = neutron();
  const std::size_t a = n.extent(0), c = n.extent(1);
  Sino mirrored({a, c}), rolled({a, c});
  for (std::size_t i = 0; i < a; ++i)
    for (std::size_t j = 0; j < c; ++j) {
      mirrored(i, j) = n(i, c - 1 - j);
      rolled(i, j) = 0.97f * n((i + 100) % a, j);
    }
  return stack({&n, &mirrored, &rolled});
}

std::size_t count_nonfinite(const float* p, std::size_t n) {
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i)
    bad += std::isfinite(p[i]) ? 0 : 1;
  return bad;
}

std::size_t count_different(const float* a, const float* b, std::size_t n) {
  std::size_t d = 0;
  for (std::size_t i = 0; i < n; ++i)
    d += a[i] == b[i] ? 0 : 1;
  return d;
}

class StripeDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda::visible_devices().empty())
      GTEST_SKIP() << "no CUDA device: " << cuda::unavailable_reason();
  }
};

// The CPU's masks for one sinogram, as the device reports them.
cuda::StripeMasks cpu_masks(ConstImage sino, const RingOptions& o) {
  const std::string m = canonical_ring_method(o.method);
  Sino tmp(sino.shape());
  cuda::StripeMasks masks;
  if (m == "large") masks.large = remove_large_stripe(sino, tmp.view(), o.large);
  if (m == "dead") masks.dead = remove_dead_stripe(sino, tmp.view(), o.dead);
  if (m == "all") {
    AllStripeMasks a = remove_all_stripe(sino, tmp.view(), o.all);
    masks.dead = std::move(a.dead);
    masks.large = std::move(a.large);
  }
  return masks;
}

// The tolerance for a method: Filter has its own (see the top of the file).
double tolerance(const RingOptions& o) {
  return canonical_ring_method(o.method) == "filter" ? kLowPassTolerance : kDeviceTolerance;
}

// Runs `o` on the device over `sinos` (batches of max_rows) and compares every row with the
// CPU's remove_rings on that row: relative L2, masks, flagged counts, and for Filter the
// share of samples that differ at all; the output starts as NaN. Returns the CPU's flagged
// count.
std::size_t expect_cpu_result(const Stack& sinos, const RingOptions& o, std::size_t max_rows,
                              const std::string& what) {
  const std::size_t rows = sinos.extent(0), a = sinos.extent(1), c = sinos.extent(2);
  cuda::StripeRemover dev(stripe_device_setup(o, a, c), max_rows);
  Stack out({rows, a, c}, std::numeric_limits<float>::quiet_NaN());
  std::vector<cuda::StripeMasks> masks;
  const std::size_t flagged = dev.run_host(sinos.cview(), out.view(), &masks);
  EXPECT_EQ(masks.size(), rows) << what;
  std::size_t cpu_flagged = 0, different = 0;
  double worst = 0.0;
  for (std::size_t r = 0; r < rows; ++r) {
    const ConstImage in = sinos.cview()[r];
    Sino want({a, c});
    cpu_flagged += remove_rings(in, want.view(), o);
    const float* got = out.data() + r * a * c;
    EXPECT_EQ(count_nonfinite(got, a * c), 0u) << what << ", row " << r;
    const double l2 = relative_l2(got, want.data(), a * c);
    EXPECT_LE(l2, tolerance(o)) << what << ", row " << r;
    worst = std::max(worst, l2);
    different += count_different(got, want.data(), a * c);
    if (r < masks.size()) {
      const cuda::StripeMasks m = cpu_masks(in, o);
      EXPECT_EQ(masks[r].dead, m.dead) << what << ", row " << r;
      EXPECT_EQ(masks[r].large, m.large) << what << ", row " << r;
    }
  }
  EXPECT_EQ(flagged, cpu_flagged) << what;
  if (canonical_ring_method(o.method) == "filter") {
    EXPECT_LE(different, rows * a * c / 100) << what;
  }
  std::printf("[ stripes  ] %-28s rel L2 %.2e, %zu of %zu samples differ, %zu flagged, %.2f ms\n",
              what.c_str(), worst, different, rows * a * c, cpu_flagged, 1e3 * dev.last_seconds());
  return cpu_flagged;
}

// The parameter sets every batch is run with.
std::vector<std::pair<std::string, RingOptions>> cases() {
  std::vector<std::pair<std::string, RingOptions>> c;
  auto add = [&](const std::string& name, RingOptions o) { c.emplace_back(name, std::move(o)); };
  add("sort", method("sort"));
  RingOptions o = method("sort");
  o.sorting = {51, 1};
  add("sort size 51", o);
  o.sorting = {21, 2};
  add("sort dim 2", o);
  add("filter", method("filter"));
  o = method("filter");
  o.filtering.sort = false;
  add("filter without sort", o);
  o.filtering = {2.0, 11, 2, true};
  add("filter dim 2", o);
  add("large", method("large"));
  o = method("large");
  o.large = {2.5, 31, 0.3, false};
  add("large without norm", o);
  add("dead", method("dead"));
  o = method("dead");
  o.dead = {3.0, 21, false, 5};
  add("dead without residual", o);
  add("all", method("all"));
  o = method("all");
  o.all.dim = 2;
  o.all.sm_size = 11;
  add("all dim 2", o);
  return c;
}

// Synthetic stripes of every kind with ties, 181 angles x 203 columns, three rows in batches
// of two (the last batch holds one).
TEST_F(StripeDevice, EveryMethodMatchesTheCpuOnSyntheticStripes) {
  const Stack sinos = synthetic_batch();
  for (const auto& [name, o] : cases()) {
    const std::size_t flagged = expect_cpu_result(sinos, o, 2, "synthetic " + name);
    const std::string m = canonical_ring_method(o.method);
    if (m == "large" || m == "dead" || m == "all") {
      EXPECT_GT(flagged, 0u) << name;
    }
  }
}

// The real neutron sinogram, its mirror image and a rolled, scaled copy in one batch.
TEST_F(StripeDevice, EveryMethodMatchesTheCpuOnTheRealNeutronSinogram) {
  const Stack sinos = neutron_batch();
  for (const auto& [name, o] : cases()) {
    if (name.find("dim 2") != std::string::npos) continue;
    expect_cpu_result(sinos, o, 3, "neutron " + name);
  }
}

// Columns longer than one block sorts (8300 angles): the segmented sort and the scattered
// unsort; and tiny sinograms (5 angles, 7 columns) with windows wider than the sinogram.
TEST_F(StripeDevice, LongAndTinySinogramsMatchTheCpu) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0.5f, 1.0f);
  Stack tall({2, 8300, 24});
  for (float& v : tall)
    v = std::round(u(rng) * 256.0f) / 256.0f;  // ties
  for (std::size_t a = 0; a < 8300; ++a) {
    tall(0, a, 9) *= 1.1f;
    tall(1, a, 13) = 0.0f;  // a dead pixel: zeros stay zeros through the low-pass
  }
  for (const char* m : {"sort", "large", "filter", "all"})
    expect_cpu_result(tall, method(m), 2, std::string("8300 x 24 ") + m);
  Stack tiny({3, 5, 7});
  for (float& v : tiny)
    v = u(rng);
  for (const auto& [name, o] : cases())
    expect_cpu_result(tiny, o, 3, "5 x 7 " + name);
}

// Filter with sorting on rows with an unresponsive (constant) column: its low-pass, in double,
// is one value to within the transforms' rounding and rounds to one float on both devices
// (FilterWithSortingFollowsTheLowPassRounding checks the margin), so its samples tie and keep
// their angle order: the column comes back as the CPU's, sample for sample, in order, and the
// other columns within the tolerance.
TEST_F(StripeDevice, FilterWithSortingOnAConstantColumn) {
  const Stack sinos = synthetic_batch(true, false);
  const RingOptions o = method("filter");
  cuda::StripeRemover dev(stripe_device_setup(o, 181, 203), 3);
  Stack out({3, 181, 203}, std::numeric_limits<float>::quiet_NaN());
  dev.run_host(sinos.cview(), out.view());
  for (std::size_t r = 0; r < 3; ++r) {
    const std::size_t constant = 6 * 203 / 10 + (r + 1);
    Sino want({181, 203}), got({181, 203});
    remove_rings(sinos.cview()[r], want.view(), o);
    std::memcpy(got.data(), out.data() + r * got.size(), got.size() * sizeof(float));
    EXPECT_EQ(count_nonfinite(got.data(), got.size()), 0u);
    const double rest = relative_l2_columns(got, want, 0, 203, constant);
    EXPECT_LE(rest, kLowPassTolerance) << "row " << r;
    std::size_t moved = 0;
    for (std::size_t a = 0; a < 181; ++a)
      moved += got(a, constant) == want(a, constant) ? 0 : 1;
    EXPECT_EQ(moved, 0u) << "row " << r;
    std::printf(
        "[ stripes  ] filter, constant column %zu of row %zu: %zu of 181 samples differ; other "
        "columns %.2e\n",
        constant, r, moved, rest);
  }
}

// The memory a remover reports for Filter holds its double complex transform lines (16 bytes
// per sample of the extended column, for up to 4 sinograms) and its double gain on top of
// what the lines of Sort take. Needs no device (cuFFT's work area is then estimated).
TEST(StripeDeviceMemory, FilterCountsItsDoubleTransformLines) {
  // A build without CUDA holds no device memory to count (device_bytes is 0 there).
  if (!cuda::compiled_in()) GTEST_SKIP() << "xct was built without CUDA";
  for (const std::size_t rows : {1u, 4u, 64u}) {
    const cuda::StripeSetup f = stripe_device_setup(method("filter"), 2048, 2048);
    const cuda::StripeSetup s = stripe_device_setup(method("sort"), 2048, 2048);
    const std::size_t lines = std::min<std::size_t>(rows, 4) * 2048 * f.n_fft;
    EXPECT_EQ(f.n_fft, 2348u);
    EXPECT_GE(cuda::StripeRemover::device_bytes(f, rows),
              cuda::StripeRemover::device_bytes(s, rows) + 16 * lines + 8 * f.gain.size())
        << rows;
  }
}

// A NaN or an infinity in the batch is BadData, as on the CPU.
TEST_F(StripeDevice, NonFiniteSampleIsBadData) {
  Stack sinos = synthetic_batch();
  sinos(1, 17, 40) = std::numeric_limits<float>::quiet_NaN();
  for (const char* m : {"sort", "filter", "large", "dead", "all"}) {
    cuda::StripeRemover dev(stripe_device_setup(method(m), 181, 203), 3);
    Stack out({3, 181, 203});
    EXPECT_EQ(test::thrown_kind([&] { dev.run_host(sinos.cview(), out.view()); }),
              ErrorKind::BadData)
        << m;
  }
  cuda::StripeRemover dev(stripe_device_setup(method("sort"), 181, 203), 2);
  Stack out({3, 181, 203});
  EXPECT_EQ(test::thrown_kind([&] { dev.run(nullptr, 3, nullptr); }), ErrorKind::Usage)
      << "more rows than the remover was made for";
}

// The speed on the size of a 2048^3 reconstruction: rows of 2048 angles x 2048 columns in
// batches of 32, seconds on the device per 2048 rows for each method (run with
// --gtest_also_run_disabled_tests).
TEST_F(StripeDevice, DISABLED_Throughput2048) {
  const std::size_t rows = 32, n = 2048;
  Stack sinos({rows, n, n});
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0.2f, 1.0f);
  for (float& v : sinos)
    v = u(rng);
  Stack out({rows, n, n});
  for (const char* m : {"sort", "filter", "large", "dead", "all"}) {
    cuda::StripeRemover dev(stripe_device_setup(method(m), n, n), rows);
    dev.run_host(sinos.cview(), out.view());  // warm-up
    dev.run_host(sinos.cview(), out.view());
    std::printf("[ stripes  ] %-8s %.3f s per 2048 sinograms of 2048 x 2048 (%.1f ms per %zu)\n", m,
                dev.last_seconds() * static_cast<double>(n) / rows, 1e3 * dev.last_seconds(), rows);
  }
}

#endif  // XCT_TEST_DEVICE_CUDA

}  // namespace
}  // namespace xct::recon
