// Flat-field correction and -log: raw counts to transmission to attenuation line integrals.
//
//   transmission = (raw - dark) / (flat - dark)
//
// computed in float, never in the stored integer type. Flats and darks are reduced by mean
// or median over their frames; flats taken before and after the projections can be
// interpolated linearly in acquisition order, following the beam's drift. Pixels the formula
// cannot handle are fixed by an explicit policy and counted, never left as NaN or Inf:
//   - reference pixels with flat - dark <= 0 (dead, or saturated in the flats);
//   - samples with raw - dark <= 0 (no photons above the dark level);
// docs/preprocessing.md describes each policy and where the counts are reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "core/array.hpp"
#include "recon/ndimage.hpp"

namespace xct::recon {

using ConstStack = HostView<const float, 3>;
using Stack = HostView<float, 3>;

enum class FrameReduction { Mean, Median };
// "mean" or "median"; anything else is a usage error.
FrameReduction parse_frame_reduction(std::string_view name);

// Reduces frames [n_frames, rows, cols] to one image [rows, cols] (a pixel-wise mean or median;
// the median of an even count is the mean of the two middle values, as numpy's).
void reduce_frames(ConstStack frames, FrameReduction how, Image out);

// What to do where flat - dark <= 0 (or is not finite).
enum class BadFlatPolicy {
  Mean,   // use the mean of the good denominators there (Algotom replaces exact zeros so)
  Error,  // refuse the scan (BadData)
};
// What to do with samples whose transmission is <= 0 (raw at or below the dark level).
enum class NonPositivePolicy {
  HalfCount,  // half a count above the dark: 0.5 / (flat - dark); finite, and as dark as the
              // detector can tell
  One,        // transmission 1, zero attenuation (what Algotom's -log does)
  Error,      // refuse the scan (BadData)
};
BadFlatPolicy parse_bad_flat_policy(std::string_view name);         // mean | error
NonPositivePolicy parse_nonpositive_policy(std::string_view name);  // half-count | one | error

struct FlatFieldParams {
  BadFlatPolicy bad_flat = BadFlatPolicy::Mean;
  NonPositivePolicy nonpositive = NonPositivePolicy::HalfCount;
  // Beyond this fraction of bad reference pixels the flats are refused as unusable (all
  // zero, below the dark, or saturated).
  double max_bad_flat_fraction = 0.5;
  // The largest value the detector records (65535 for uint16); a reduced flat at or above it
  // is saturated and counts as bad. Unset for float data.
  std::optional<double> saturation;
};

// Per-pixel counts of what the policies fixed; sums over every call that shares it.
struct FlatFieldCounts {
  std::uint64_t bad_flat_pixels = 0;  // reference pixels with flat - dark <= 0, or NaN
  std::uint64_t saturated_flat_pixels = 0;
  std::uint64_t nonpositive_samples = 0;  // transmission <= 0, fixed by the policy
  std::uint64_t log_clamped_samples = 0;  // <= 0 or non-finite at -log, set to zero attenuation
  void merge(const FlatFieldCounts& other);
};

// The reference for a block of rows: the dark, and flat - dark before (and after) the scan.
struct FlatReference {
  HostArray<float, 2> dark;
  HostArray<float, 2> denom_before;  // flat - dark, bad pixels fixed
  HostArray<float, 2> denom_after;   // empty unless flats were taken after the projections
  double position_before = 0;        // acquisition position of each flat group (frame index)
  double position_after = 0;
};

// Builds the reference from reduced dark and flat images [rows, cols]; `flat_after` is
// optional. Throws BadData when the flats are unusable (too many bad pixels, non-finite dark)
// or, under BadFlatPolicy::Error, when any pixel is bad.
FlatReference make_flat_reference(ConstImage dark, ConstImage flat_before,
                                  const ConstImage* flat_after, double position_before,
                                  double position_after, const FlatFieldParams& params,
                                  FlatFieldCounts& counts);

// Normalises raw projections [n_proj, rows, cols] into transmission `out` (same shape; may be
// the same memory as `raw`). `positions` gives each projection's acquisition position for
// interpolating between flats before and after (ignored with one flat group; may be empty
// then). Non-finite raw samples are refused (BadData).
void flat_field(ConstStack raw, const FlatReference& ref, std::span<const double> positions,
                Stack out, const FlatFieldParams& params, FlatFieldCounts& counts);

// Transmission to attenuation in place: -ln(t). Values <= 0 or non-finite (which only earlier
// filters can produce once flat_field has run) become zero attenuation and are counted.
void minus_log(std::span<float> data, FlatFieldCounts& counts);

}  // namespace xct::recon
