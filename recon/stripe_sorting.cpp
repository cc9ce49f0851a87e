// Algorithms 1 (fitting), 2 (filtering) and 3 (sorting) of Vo, Atwood and Drakopoulos,
// "Superior techniques for eliminating ring artifacts in X-ray micro-tomography", Opt.
// Express 26, 28396 (2018), as Algotom implements them.
#include <algorithm>
#include <cmath>
#include <optional>

#include "core/error.hpp"
#include "recon/stripe.hpp"
#include "recon/stripe_util.hpp"

namespace xct::recon {

using namespace stripe;

namespace stripe {
void sorting_unchecked(ConstImage sino, Image out, const SortingStripeParams& p) {
  check_dim(p.dim);
  check_size(p.size, "stripe sorting: size");
  ColumnSort cs = sort_columns(sino);
  HostArray<float, 2> smooth(cs.sorted.shape());
  median_across_columns(cs.sorted.cview(), smooth.view(), p.size, p.dim);
  unsort_columns(smooth.cview(), cs.source, out);
}
}  // namespace stripe

void remove_stripe_based_sorting(ConstImage sino, Image out, const SortingStripeParams& p) {
  check_sinogram(sino, "remove_stripe_based_sorting");
  check_output(sino, out, "remove_stripe_based_sorting");
  sorting_unchecked(sino, out, p);
}

void remove_stripe_based_filtering(ConstImage sino, Image out, const FilteringStripeParams& p) {
  check_sinogram(sino, "remove_stripe_based_filtering");
  check_output(sino, out, "remove_stripe_based_filtering");
  check_dim(p.dim);
  check_size(p.size, "stripe filtering: size");
  const std::size_t n = sino.size();
  HostArray<float, 2> smooth(sino.shape());
  lowpass_columns(sino, smooth.view(), p.sigma);
  // The high-pass part, kept before `out` (which may be `sino`) is written.
  HostArray<float, 2> sharp(sino.shape());
  for (std::size_t i = 0; i < n; ++i)
    sharp.data()[i] = sino.data()[i] - smooth.data()[i];
  if (p.sort) {
    ColumnSort cs = sort_columns(smooth.cview());
    median_across_columns(cs.sorted.cview(), smooth.view(), p.size, p.dim);
    unsort_columns(smooth.cview(), cs.source, out);
  } else {
    median_across_columns(smooth.cview(), out, p.size, p.dim);
  }
  float* o = out.data();
  for (std::size_t i = 0; i < n; ++i)
    o[i] += sharp.data()[i];
}

namespace {

double mean_abs(ConstImage a) {
  double sum = 0.0;
  const float* p = a.data();
  for (std::size_t i = 0; i < a.size(); ++i)
    sum += std::abs(p[i]);
  return sum / static_cast<double>(a.size());
}

// The Savitzky-Golay window: n_angles / num_chunk, made odd, longer than the order.
std::size_t fit_window(std::size_t rows, const FittingStripeParams& p) {
  XCT_CHECK(p.num_chunk >= 1, ErrorKind::Usage, "stripe fitting: num_chunk must be at least 1");
  XCT_CHECK(p.order >= 0 && p.order <= 12, ErrorKind::Usage, "stripe fitting: order ", p.order,
            " is outside the supported 0 ... 12");
  const std::size_t chunk = rows / p.num_chunk;
  const std::size_t window = chunk % 2 == 1 ? chunk : chunk - 1;
  XCT_CHECK(chunk >= 1 && static_cast<std::size_t>(p.order) < window, ErrorKind::Usage,
            "stripe fitting: a polynomial of order ", p.order, " needs a window of more than ",
            p.order, " angles; ", rows, " angles / num_chunk ", p.num_chunk, " give fewer");
  return window;
}

// corrected = work / fit * smooth, with smooth rescaled to the mean magnitude of the fit.
// Where the fit is zero (or so small that the ratio overflows) the correction is undefined
// (Algotom gives NaN or Inf): the sample is kept as it is; so is everything when the
// smoothed fit is zero throughout.
void correct_by_fit(ConstImage work, ConstImage fit, ConstImage smooth, float* corrected) {
  const double m_smooth = mean_abs(smooth);
  const double scale = m_smooth > 0.0 ? mean_abs(fit) / m_smooth : 0.0;
  const float* w = work.data();
  const float* f = fit.data();
  const float* s = smooth.data();
  for (std::size_t i = 0; i < work.size(); ++i) {
    const auto v = static_cast<float>(static_cast<double>(w[i]) / f[i] * (scale * s[i]));
    corrected[i] = (std::isfinite(v) && m_smooth > 0.0) ? v : w[i];
  }
}

}  // namespace

void remove_stripe_based_fitting(ConstImage sino, Image out, const FittingStripeParams& p) {
  check_sinogram(sino, "remove_stripe_based_fitting");
  check_output(sino, out, "remove_stripe_based_fitting");
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  const std::size_t window = fit_window(rows, p);
  // Padding from the angle count, the Gaussian along the angles from the width.
  const std::size_t pad = std::min<std::size_t>(150, static_cast<std::size_t>(0.1 * rows));
  const double sigma_y =
      static_cast<double>(std::max<std::size_t>(10, std::min<std::size_t>(60, cols / 10)));
  std::optional<ColumnSort> cs;
  if (p.sort) cs = sort_columns(sino);
  const ConstImage work = p.sort ? cs->sorted.cview() : sino;
  HostArray<float, 2> fit(sino.shape()), smooth(sino.shape());
  savgol_columns(work, fit.view(), window, p.order);
  gaussian_fourier_2d(fit.cview(), smooth.view(), p.sigma, sigma_y, pad);
  if (!p.sort) return correct_by_fit(work, fit.cview(), smooth.cview(), out.data());
  HostArray<float, 2> corrected(sino.shape());
  correct_by_fit(work, fit.cview(), smooth.cview(), corrected.data());
  unsort_columns(corrected.cview(), cs->source, out);
}

}  // namespace xct::recon
