// Ring removal chosen by name, for the command line and the config: one method with its
// parameters, applied to each transmission sinogram. The methods themselves are in
// recon/stripe.hpp (docs/rings.md describes each).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "recon/stripe.hpp"

namespace xct::recon {

struct RingOptions {
  // none, sort, filter, fit, large, dead, all, interpolation, wavelet-fft; Algotom's function
  // names (remove_all_stripe, remove_stripe_based_sorting, ...) are accepted too.
  std::string method = "none";
  SortingStripeParams sorting;
  FilteringStripeParams filtering;
  FittingStripeParams fitting;
  LargeStripeParams large;
  DeadStripeParams dead;
  AllStripeParams all;
  InterpolationStripeParams interpolation;
  WaveletFftStripeParams wavelet;
};

// The short name of a method given by its short or Algotom name; throws Usage otherwise.
std::string canonical_ring_method(std::string_view name);
// The short names, in the order the help lists them.
const std::vector<std::string>& ring_method_names();

// Applies options.method to one sinogram [angles, cols]; `out` may not alias `sino`. Returns
// the number of stripe columns the detection-based methods flagged (0 for the others).
std::size_t remove_rings(ConstImage sino, Image out, const RingOptions& options);

}  // namespace xct::recon
