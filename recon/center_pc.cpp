// Centre of rotation from two projections 180 degrees apart by phase correlation: C. D. Kuglin
// and D. C. Hines, "The phase correlation image alignment method", Proc. IEEE Int. Conf. on
// Cybernetics and Society (1975), with the sub-pixel peak of H. Foroosh, J. B. Zerubia and M.
// Berthod, IEEE Trans. Image Process. 11, 188 (2002), as Algotom's
// find_center_based_phase_correlation. Also: picking the pair from a scan's angles, and the
// candidate names of the try mode.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numbers>
#include <numeric>

#include "core/error.hpp"
#include "recon/center.hpp"
#include "recon/fft.hpp"

namespace xct::recon {

namespace {

constexpr double kPi = std::numbers::pi;

void check_projection(ConstImage p, const char* what) {
  XCT_CHECK(p.extent(0) >= 1 && p.extent(1) >= 3, ErrorKind::BadData, what, " is ", p.extent(0),
            " x ", p.extent(1), "; phase correlation needs at least 3 columns");
  float lo = p(0, 0), hi = p(0, 0);
  for (std::size_t i = 0; i < p.extent(0); ++i) {
    for (std::size_t j = 0; j < p.extent(1); ++j) {
      XCT_CHECK(std::isfinite(p(i, j)), ErrorKind::BadData, what, " holds a non-finite value at (",
                i, ", ", j, ")");
      lo = std::min(lo, p(i, j));
      hi = std::max(hi, p(i, j));
    }
  }
  XCT_CHECK(hi > lo, ErrorKind::BadData, what,
            " is constant: no structure to align for the centre of rotation");
}

// The image (flipped left-right when asked) as complex values, or its complex gradient
// (I(x+2) - I(x)) + i (I(y+2) - I(y)) with two-pixel borders set to 0.
void to_complex(ConstImage p, bool flip, bool gradient, cfloat* out) {
  const std::size_t rows = p.extent(0), cols = p.extent(1);
  auto at = [&](std::size_t i, std::size_t j) { return p(i, flip ? cols - 1 - j : j); };
  for (std::size_t i = 0; i < rows; ++i) {
    for (std::size_t j = 0; j < cols; ++j) {
      if (!gradient) {
        out[i * cols + j] = at(i, j);
        continue;
      }
      const float gx = j >= 2 && j + 2 < cols ? at(i, j + 2) - at(i, j) : 0.0f;
      const float gy = i >= 2 && i + 2 < rows ? at(i + 2, j) - at(i, j) : 0.0f;
      out[i * cols + j] = cfloat(gx, gy);
    }
  }
}

// Vertex of the parabola through (x - 1, y0), (x, y1), (x + 1, y2), kept when within +-1.
double parabolic_peak(double x, double y0, double y1, double y2) {
  const double a = 0.5 * (y0 - 2.0 * y1 + y2);
  if (a == 0.0) return x;
  const double vertex = x + 0.25 * (y0 - y2) / a;
  return std::abs(vertex - x) <= 1.0 ? vertex : x;
}

void remove_mean(cfloat* img, std::size_t n) {
  std::complex<double> sum = 0;
  for (std::size_t i = 0; i < n; ++i)
    sum += std::complex<double>(img[i]);
  const auto mean = cfloat(sum / static_cast<double>(n));
  for (std::size_t i = 0; i < n; ++i)
    img[i] -= mean;
}

// Horizontal shift of image 2 relative to image 1, sub-pixel, signed.
double phase_correlation_shift(cfloat* img1, cfloat* img2, std::size_t rows, std::size_t cols,
                               bool normalize) {
  const std::size_t n = rows * cols;
  auto f1 = fft_alloc<cfloat>(n), f2 = fft_alloc<cfloat>(n);
  if (!normalize) {
    remove_mean(img1, n);
    remove_mean(img2, n);
  }
  FftPlan::c2c_2d(rows, cols, true).execute(img1, f1.get());
  FftPlan::c2c_2d(rows, cols, true).execute(img2, f2.get());
  for (std::size_t i = 0; i < n; ++i) {
    const cfloat x = f1[i] * std::conj(f2[i]);
    const float m = std::abs(x);
    f1[i] = m == 0.0f || !normalize ? x : x / m;
  }
  FftPlan::c2c_2d(rows, cols, false).execute(f1.get(), f2.get());
  std::size_t peak = 0;
  float best = -1.0f;
  for (std::size_t i = 0; i < n; ++i) {
    const float m = std::abs(f2[i]);
    if (m > best) {
      best = m;
      peak = i;
    }
  }
  const std::size_t ty = peak / cols, tx = peak % cols;
  auto mag = [&](std::size_t x) { return static_cast<double>(std::abs(f2[ty * cols + x])); };
  double shift = parabolic_peak(static_cast<double>(tx), mag((tx + cols - 1) % cols), mag(tx),
                                mag((tx + 1) % cols));
  // Peaks past the middle are negative shifts (wrap-around).
  if (shift > std::ceil(0.5 * (static_cast<double>(cols) - 1.0)))
    shift -= static_cast<double>(cols);
  return shift;
}

double median_spacing(std::vector<double> sorted) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < sorted.size(); ++i)
    if (sorted[i] > sorted[i - 1]) gaps.push_back(sorted[i] - sorted[i - 1]);
  XCT_CHECK(!gaps.empty(), ErrorKind::BadData, "all projection angles are equal");
  std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
  return gaps[gaps.size() / 2];
}

}  // namespace

CenterResult find_center_phase_correlation(ConstImage proj0, ConstImage proj180,
                                           const CenterPcParams& params) {
  check_projection(proj0, "the projection at 0 degrees");
  check_projection(proj180, "the projection at 180 degrees");
  XCT_CHECK(proj0.extent(0) == proj180.extent(0) && proj0.extent(1) == proj180.extent(1),
            ErrorKind::BadData, "the two projections differ in shape");
  const std::size_t rows = proj0.extent(0), cols = proj0.extent(1);
  auto img1 = fft_alloc<cfloat>(rows * cols), img2 = fft_alloc<cfloat>(rows * cols);
  to_complex(proj0, false, params.gradient, img1.get());
  to_complex(proj180, params.flip, params.gradient, img2.get());
  const double tx = phase_correlation_shift(img1.get(), img2.get(), rows, cols, params.normalize);
  CenterResult result;
  result.method = params.normalize ? "phase_correlation" : "cross_correlation";
  result.centre = 0.5 * (static_cast<double>(cols) - 1.0 + tx);
  result.range_start = 0;
  result.range_stop = static_cast<double>(cols) - 1.0;
  return result;
}

OppositePair select_opposite_pair(std::span<const double> angles, double theta0) {
  XCT_CHECK(angles.size() >= 2, ErrorKind::BadData, "a projection pair needs at least 2 angles");
  XCT_CHECK(std::isfinite(theta0), ErrorKind::Usage, "the first angle is not finite");
  for (double a : angles)
    XCT_CHECK(std::isfinite(a), ErrorKind::BadData, "an angle is not finite");
  OppositePair pair;
  for (std::size_t i = 1; i < angles.size(); ++i)
    if (std::abs(angles[i] - theta0) < std::abs(angles[pair.first] - theta0)) pair.first = i;
  const double target = angles[pair.first] + kPi;
  const double step = median_spacing(std::vector<double>(angles.begin(), angles.end()));
  // Angles written as text in degrees round to ~1e-4 degrees: closer than 1e-4 steps is exact.
  const double exact = std::max(1e-9, 1e-4 * step);
  long below = -1, above = -1;  // nearest angle <= target and >= target
  for (std::size_t i = 0; i < angles.size(); ++i) {
    const auto il = static_cast<long>(i);
    if (angles[i] <= target + exact && (below < 0 || angles[i] > angles[below])) below = il;
    if (angles[i] >= target - exact && (above < 0 || angles[i] < angles[above])) above = il;
  }
  XCT_CHECK(below >= 0 && target - angles[static_cast<std::size_t>(below)] <= 1.0001 * step,
            ErrorKind::BadData, "no projection within one step (", step * 180 / kPi,
            " degrees) of ", target * 180 / kPi, " degrees, 180 degrees after the first");
  pair.lower = pair.upper = static_cast<std::size_t>(below);
  const double gap_below = target - angles[pair.lower];
  if (gap_below <= exact) return pair;
  if (above < 0) {  // nothing past the target: the nearest projection stands in
    pair.mismatch_rad = gap_below;
    return pair;
  }
  pair.upper = static_cast<std::size_t>(above);
  pair.interpolated = true;
  pair.upper_weight = gap_below / (angles[pair.upper] - angles[pair.lower]);
  return pair;
}

void blend_opposite(ConstImage proj_lower, ConstImage proj_upper, const OppositePair& pair,
                    Image out) {
  XCT_CHECK(proj_lower.shape() == proj_upper.shape() && proj_lower.shape() == out.shape(),
            ErrorKind::Usage, "the projections to blend differ in shape");
  const auto w = static_cast<float>(pair.interpolated ? pair.upper_weight : 0.0);
  for (std::size_t i = 0; i < out.extent(0); ++i)
    for (std::size_t j = 0; j < out.extent(1); ++j)
      out(i, j) = (1.0f - w) * proj_lower(i, j) + w * proj_upper(i, j);
}

std::vector<CenterTrial> center_trial_values(double start, double stop, double step) {
  XCT_CHECK(std::isfinite(start) && std::isfinite(stop) && std::isfinite(step) && step > 0 &&
                start <= stop,
            ErrorKind::Usage, "centre trial range ", start, " to ", stop, " by ", step,
            " must have start <= stop and a positive step");
  const double count = std::floor((stop - start) / step + 1e-9) + 1.0;
  XCT_CHECK(count <= 10000, ErrorKind::Usage, "centre trial range gives ", count,
            " slices; at most 10000");
  // Enough decimals to write start and step exactly (up to 6).
  auto decimals = [](double v) {
    int d = 0;
    for (double scale = 1; d < 6; ++d, scale *= 10)
      if (std::abs(v * scale - std::round(v * scale)) < 1e-6) break;
    return d;
  };
  const int d = std::max(decimals(start), decimals(step));
  std::vector<CenterTrial> out;
  for (std::size_t k = 0; k < static_cast<std::size_t>(count); ++k) {
    char name[64];
    std::snprintf(name, sizeof name, "%.*f", d, start + static_cast<double>(k) * step);
    out.push_back({std::strtod(name, nullptr), name});
  }
  return out;
}

}  // namespace xct::recon
