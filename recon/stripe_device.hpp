// Ring removal on the GPU: which methods of recon/rings.hpp have a device twin
// (cuda/stripe.hpp: sort, filter, large, dead, all), and the device setup for RingOptions,
// with the detection handed over as recon/'s own code (the device computes the per-column
// statistics, the host detects from them), so that the device flags the CPU's columns.
#pragma once

#include <cstddef>

#include "cuda/stripe.hpp"
#include "recon/rings.hpp"

namespace xct::recon {

// True when options.method runs on the GPU: none (nothing to run), sort, filter, large, dead
// and all; fit, interpolation and wavelet-fft stay on the CPU. Usage for an unknown name.
bool rings_on_device(const RingOptions& options);

// The device setup for options.method on sinograms of n_angles x n_cols: its parameters,
// Filter's low-pass gain (lowpass_columns' padding and window), and the host detectors.
// Throws as the CPU method would for bad parameters (Usage) or an empty sinogram (BadData),
// and Usage for a method that does not run on the device (none included: it needs no setup).
cuda::StripeSetup stripe_device_setup(const RingOptions& options, std::size_t n_angles,
                                      std::size_t n_cols);

}  // namespace xct::recon
