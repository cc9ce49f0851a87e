#include "recon/stripe_device.hpp"

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "recon/stripe_util.hpp"

namespace xct::recon {

namespace {

// The large-stripe step of the device: its parameters and the CPU's detection.
void set_large(cuda::StripeSetup& s, const LargeStripeParams& p) {
  stripe::check_large_params(p);
  s.large_size = p.size;
  s.large_drop = stripe::large_drop_rows(s.n_angles, p);
  s.large_norm = p.norm;
  s.detect_large = [p](const std::vector<double>& l1, const std::vector<double>& l2) {
    stripe::LargeStripeDetection d = stripe::large_ratio_and_mask(l1, l2, p);
    return cuda::LargeDetection{std::move(d.ratio), std::move(d.mask)};
  };
}

// The dead-stripe step of the device: its parameters and the CPU's detection.
void set_dead(cuda::StripeSetup& s, const DeadStripeParams& p) {
  stripe::check_dead_params(p);
  s.smooth_strength = p.smooth_strength;
  s.dead_residual = p.residual;
  s.detect_dead = [p](const std::vector<float>& dev) {
    return stripe::dead_mask_from_deviation(dev, p);
  };
}

}  // namespace

bool rings_on_device(const RingOptions& options) {
  const std::string m = canonical_ring_method(options.method);
  return m == "none" || m == "sort" || m == "filter" || m == "large" || m == "dead" || m == "all";
}

cuda::StripeSetup stripe_device_setup(const RingOptions& options, std::size_t n_angles,
                                      std::size_t n_cols) {
  const std::string m = canonical_ring_method(options.method);
  XCT_CHECK(m != "none" && rings_on_device(options), ErrorKind::Usage, "ring removal '", m,
            "' has no device version (the device runs sort, filter, large, dead and all)");
  XCT_CHECK(n_angles >= 1 && n_cols >= 1, ErrorKind::BadData,
            "ring removal: the sinogram is empty (", n_angles, " angles x ", n_cols, " columns)");
  cuda::StripeSetup s;
  s.n_angles = n_angles;
  s.n_cols = n_cols;
  if (m == "sort") {
    const SortingStripeParams& p = options.sorting;
    stripe::check_dim(p.dim);
    stripe::check_size(p.size, "stripe sorting: size");
    s.method = cuda::StripeMethod::Sort;
    s.size = p.size;
    s.dim = p.dim;
  } else if (m == "filter") {
    const FilteringStripeParams& p = options.filtering;
    stripe::check_dim(p.dim);
    stripe::check_size(p.size, "stripe filtering: size");
    XCT_CHECK(p.sigma > 0.0, ErrorKind::Usage, "stripe filtering: sigma must be positive, not ",
              p.sigma);
    // lowpass_columns: numpy "reflect" padding by min(150, n_angles / 10), a Gaussian window.
    const std::size_t pad =
        std::min<std::size_t>(150, static_cast<std::size_t>(0.1 * static_cast<double>(n_angles)));
    s.method = cuda::StripeMethod::Filter;
    s.size = p.size;
    s.dim = p.dim;
    s.filter_sort = p.sort;
    s.shift = pad;
    s.n_fft = n_angles + 2 * pad;
    s.gain = stripe::lowpass_gain(s.n_fft, p.sigma);
  } else if (m == "large") {
    s.method = cuda::StripeMethod::Large;
    set_large(s, options.large);
  } else if (m == "dead") {
    const DeadStripeParams& p = options.dead;
    s.method = cuda::StripeMethod::Dead;
    set_dead(s, p);
    if (p.residual) set_large(s, LargeStripeParams{p.snr, p.size});
  } else {
    const AllStripeParams& p = options.all;
    stripe::check_dim(p.dim);
    stripe::check_size(p.sm_size, "remove_all_stripe: sm_size");
    s.method = cuda::StripeMethod::All;
    set_dead(s, DeadStripeParams{p.snr, p.la_size, false});
    set_large(s, LargeStripeParams{p.snr, p.la_size, p.drop_ratio});
    s.size = p.sm_size;
    s.dim = p.dim;
  }
  return s;
}

}  // namespace xct::recon
