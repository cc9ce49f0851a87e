// The preprocessing of the streamed raw route (FbpEngine::stream_raw), all on the device:
// flat-field with the policy, zinger removal, ring removal, -log; the filter and the
// back-projection follow.
#pragma once

#include <optional>

#include "cuda/fbp.hpp"
#include "cuda/prep.hpp"
#include "cuda/stripe.hpp"

namespace xct::cuda {

struct RawChain {
  NonPositive policy = NonPositive::HalfCount;
  std::optional<ZingerSetup> zinger;   // none: zingers are kept
  std::optional<StripeSetup> stripes;  // none: no ring removal
};

}  // namespace xct::cuda
