// Algorithms 4 (detection), 5 (large stripes) and 6 (dead stripes) of Vo, Atwood and
// Drakopoulos, Opt. Express 26, 28396 (2018), their combination, and Algotom's
// interpolation variant.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "recon/stripe.hpp"
#include "recon/stripe_util.hpp"

namespace xct::recon {

using namespace stripe;

namespace stripe {

std::size_t large_drop_rows(std::size_t rows, const LargeStripeParams& p) {
  const double drop = std::clamp(p.drop_ratio, 0.0, 0.8);
  return static_cast<std::size_t>(0.5 * drop * static_cast<double>(rows));
}

void check_large_params(const LargeStripeParams& p) {
  check_size(p.size, "large stripe removal: size");
  XCT_CHECK(!std::isnan(p.drop_ratio) && !std::isnan(p.snr), ErrorKind::Usage,
            "large stripe removal: snr and drop_ratio must be numbers");
}

LargeStripeDetection large_ratio_and_mask(const std::vector<double>& l1,
                                          const std::vector<double>& l2,
                                          const LargeStripeParams& p) {
  XCT_CHECK(l1.size() == l2.size(), ErrorKind::Internal, "large stripe detection: ", l1.size(),
            " and ", l2.size(), " column means");
  LargeStripeDetection d;
  d.ratio.resize(l1.size());
  for (std::size_t c = 0; c < l1.size(); ++c)
    d.ratio[c] = l2[c] != 0.0 ? l1[c] / l2[c] : 1.0;
  d.mask = dilate(detect_stripe(d.ratio, p.snr, false));
  return d;
}

void check_dead_params(const DeadStripeParams& p) {
  check_size(p.size, "dead stripe removal: size");
  check_size(p.smooth_strength, "dead stripe removal: smooth_strength");
}

StripeMask dead_mask_from_deviation(const std::vector<float>& dev, const DeadStripeParams& p) {
  const std::size_t cols = dev.size();
  std::vector<float> background(cols);
  median_filter1d(dev.data(), background.data(), cols, p.size);
  double mean_abs = 0.0;
  for (float b : background)
    mean_abs += std::abs(b);
  const auto fill = static_cast<float>(mean_abs / static_cast<double>(cols));
  std::vector<double> ratio(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    const float b = background[c] == 0.0f ? fill : background[c];
    // A background of zero everywhere (no column deviates at all): nothing stands out.
    ratio[c] = b == 0.0f ? 1.0 : static_cast<double>(dev[c] / b);
  }
  StripeMask mask = dilate(detect_stripe(ratio, p.snr, true));
  for (std::size_t c = 0; c < std::min<std::size_t>(2, cols); ++c) {
    mask[c] = 0;
    mask[cols - 1 - c] = 0;
  }
  return mask;
}

}  // namespace stripe

namespace {

// Per column, the mean of rows [first, last) of `a`, accumulated row by row in Acc (NumPy's
// order for an axis-0 mean; Algotom's sorted images are float64, its plain ones float32).
template <typename Acc>
std::vector<double> column_means(ConstImage a, std::size_t first, std::size_t last) {
  const std::size_t cols = a.extent(1);
  std::vector<Acc> sum(cols, Acc{0});
  for (std::size_t r = first; r < last; ++r) {
    const float* row = a.data() + r * cols;
    for (std::size_t c = 0; c < cols; ++c)
      sum[c] += static_cast<Acc>(row[c]);
  }
  std::vector<double> mean(cols);
  for (std::size_t c = 0; c < cols; ++c)
    mean[c] = static_cast<double>(sum[c] / static_cast<Acc>(last - first));
  return mean;
}

// Algorithm 5's measurement: sorted columns, their median across columns, and the ratio of
// the two trimmed means per column.
struct LargeStripeWork {
  ColumnSort cs;
  HostArray<float, 2> smooth;
  std::vector<double> ratio;
  StripeMask mask;
};

LargeStripeWork measure_large(ConstImage sino, const LargeStripeParams& p) {
  check_large_params(p);
  const std::size_t rows = sino.extent(0);
  const std::size_t n_drop = large_drop_rows(rows, p);
  LargeStripeWork w{sort_columns(sino), HostArray<float, 2>(sino.shape()), {}, {}};
  median_across_columns(w.cs.sorted.cview(), w.smooth.view(), p.size, 1);
  const std::vector<double> l1 = column_means<double>(w.cs.sorted.cview(), n_drop, rows - n_drop);
  const std::vector<double> l2 = column_means<double>(w.smooth.cview(), n_drop, rows - n_drop);
  LargeStripeDetection det = large_ratio_and_mask(l1, l2, p);
  w.ratio = std::move(det.ratio);
  w.mask = std::move(det.mask);
  return w;
}

void copy_into(ConstImage sino, Image out) {
  if (out.data() != sino.data()) std::memcpy(out.data(), sino.data(), sino.size() * sizeof(float));
}

StripeMask large_unchecked(ConstImage sino, Image out, const LargeStripeParams& p) {
  LargeStripeWork w = measure_large(sino, p);
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  if (p.norm) {
    const float* src = sino.data();
    float* dst = out.data();
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(rows); ++r)
      for (std::size_t c = 0; c < cols; ++c) {
        const std::size_t i = static_cast<std::size_t>(r) * cols + c;
        // A zero ratio (a column of zeros) would give Inf: such a column is left unscaled.
        const double ratio = w.ratio[c] != 0.0 ? w.ratio[c] : 1.0;
        dst[i] = static_cast<float>(static_cast<double>(src[i]) / ratio);
      }
  } else {
    copy_into(sino, out);
  }
  if (count(w.mask) > 0) unsort_columns(w.smooth.cview(), w.cs.source, out, &w.mask);
  return w.mask;
}

StripeMask measure_dead(ConstImage sino, const DeadStripeParams& p) {
  check_dead_params(p);
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  HostArray<float, 2> running(sino.shape());
  uniform_filter1d_rows(sino, running.view(), p.smooth_strength);
  // Each column's summed deviation from its running mean, in float32 as Algotom sums it.
  std::vector<float> dev(cols, 0.0f);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* s = sino.data() + r * cols;
    const float* m = running.data() + r * cols;
    for (std::size_t c = 0; c < cols; ++c)
      dev[c] += std::abs(s[c] - m[c]);
  }
  return dead_mask_from_deviation(dev, p);
}

StripeMask dead_unchecked(ConstImage sino, Image out, const DeadStripeParams& p) {
  const StripeMask mask = measure_dead(sino, p);
  copy_into(sino, out);
  const std::size_t n_flagged = count(mask);
  // Algotom leaves the sinogram alone when a third or more of the columns are flagged.
  if (n_flagged > 0 && n_flagged < sino.extent(1) / 3) interpolate_columns(out, mask);
  if (p.residual) large_unchecked(out, out, LargeStripeParams{p.snr, p.size});
  return mask;
}

}  // namespace

StripeMask detect_large_stripe(ConstImage sino, const LargeStripeParams& p) {
  check_sinogram(sino, "detect_large_stripe");
  return measure_large(sino, p).mask;
}

StripeMask remove_large_stripe(ConstImage sino, Image out, const LargeStripeParams& p) {
  check_sinogram(sino, "remove_large_stripe");
  check_output(sino, out, "remove_large_stripe");
  return large_unchecked(sino, out, p);
}

StripeMask detect_dead_stripe(ConstImage sino, const DeadStripeParams& p) {
  check_sinogram(sino, "detect_dead_stripe");
  return measure_dead(sino, p);
}

StripeMask remove_dead_stripe(ConstImage sino, Image out, const DeadStripeParams& p) {
  check_sinogram(sino, "remove_dead_stripe");
  check_output(sino, out, "remove_dead_stripe");
  return dead_unchecked(sino, out, p);
}

AllStripeMasks remove_all_stripe(ConstImage sino, Image out, const AllStripeParams& p) {
  check_sinogram(sino, "remove_all_stripe");
  check_output(sino, out, "remove_all_stripe");
  check_dim(p.dim);
  check_size(p.sm_size, "remove_all_stripe: sm_size");
  AllStripeMasks masks;
  masks.dead = dead_unchecked(sino, out, DeadStripeParams{p.snr, p.la_size, false});
  masks.large = large_unchecked(out, out, LargeStripeParams{p.snr, p.la_size, p.drop_ratio});
  sorting_unchecked(out, out, SortingStripeParams{p.sm_size, p.dim});
  return masks;
}

StripeMask remove_stripe_based_interpolation(ConstImage sino, Image out,
                                             const InterpolationStripeParams& p) {
  check_sinogram(sino, "remove_stripe_based_interpolation");
  check_output(sino, out, "remove_stripe_based_interpolation");
  check_size(p.size, "stripe interpolation: size");
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  const double drop = std::clamp(p.drop_ratio, 0.0, 0.8);
  const auto n_drop = static_cast<std::size_t>(0.5 * drop * static_cast<double>(rows));
  HostArray<float, 2> smooth(sino.shape());
  ColumnSort cs = sort_columns(sino);
  median_across_columns(cs.sorted.cview(), smooth.view(), p.size, 1);
  // Here Algotom's sorted image stays float32, and zero means become 1.
  std::vector<double> l1 = column_means<float>(cs.sorted.cview(), n_drop, rows - n_drop);
  const std::vector<double> l2 = column_means<float>(smooth.cview(), n_drop, rows - n_drop);
  std::vector<double> ratio(cols);
  for (std::size_t c = 0; c < cols; ++c) {
    if (l1[c] == 0.0) l1[c] = 1.0;
    ratio[c] = l2[c] != 0.0
                   ? static_cast<double>(static_cast<float>(l1[c]) / static_cast<float>(l2[c]))
                   : 1.0;
  }
  StripeMask mask = dilate(detect_stripe(ratio, p.snr, true));
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      out(r, c) =
          p.norm ? static_cast<float>(sino(r, c) / static_cast<float>(ratio[c])) : sino(r, c);
  for (std::size_t c = 0; c < std::min<std::size_t>(2, cols); ++c) {
    mask[c] = 0;
    mask[cols - 1 - c] = 0;
  }
  if (count(mask) > 0) interpolate_columns(out, mask);
  return mask;
}

}  // namespace xct::recon
