#include "recon/flatfield.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace xct::recon {

FrameReduction parse_frame_reduction(std::string_view name) {
  if (name == "mean") return FrameReduction::Mean;
  if (name == "median") return FrameReduction::Median;
  XCT_THROW(ErrorKind::Usage, "unknown frame reduction '", name, "' (mean, median)");
}

BadFlatPolicy parse_bad_flat_policy(std::string_view name) {
  if (name == "mean") return BadFlatPolicy::Mean;
  if (name == "error") return BadFlatPolicy::Error;
  XCT_THROW(ErrorKind::Usage, "unknown bad-flat policy '", name, "' (mean, error)");
}

NonPositivePolicy parse_nonpositive_policy(std::string_view name) {
  if (name == "half-count") return NonPositivePolicy::HalfCount;
  if (name == "one") return NonPositivePolicy::One;
  if (name == "error") return NonPositivePolicy::Error;
  XCT_THROW(ErrorKind::Usage, "unknown non-positive policy '", name, "' (half-count, one, error)");
}

void FlatFieldCounts::merge(const FlatFieldCounts& o) {
  bad_flat_pixels += o.bad_flat_pixels;
  saturated_flat_pixels += o.saturated_flat_pixels;
  nonpositive_samples += o.nonpositive_samples;
  log_clamped_samples += o.log_clamped_samples;
}

void reduce_frames(ConstStack frames, FrameReduction how, Image out) {
  const std::size_t n = frames.extent(0), pixels = frames.extent(1) * frames.extent(2);
  XCT_CHECK(n > 0, ErrorKind::BadData, "no frames to reduce");
  XCT_CHECK(frames.is_contiguous() && out.is_contiguous() && out.size() == pixels,
            ErrorKind::Internal, "reduce_frames: shapes differ");
  const float* src = frames.data();
  float* dst = out.data();
  if (how == FrameReduction::Mean) {
#pragma omp parallel for schedule(static)
    for (std::size_t p = 0; p < pixels; ++p) {
      double sum = 0;
      for (std::size_t f = 0; f < n; ++f)
        sum += src[f * pixels + p];
      dst[p] = static_cast<float>(sum / static_cast<double>(n));
    }
    return;
  }
#pragma omp parallel
  {
    std::vector<float> v(n);
#pragma omp for schedule(static)
    for (std::size_t p = 0; p < pixels; ++p) {
      for (std::size_t f = 0; f < n; ++f)
        v[f] = src[f * pixels + p];
      auto mid = v.begin() + static_cast<std::ptrdiff_t>(n / 2);
      std::nth_element(v.begin(), mid, v.end());
      double m = *mid;
      if (n % 2 == 0) m = 0.5 * (m + *std::max_element(v.begin(), mid));
      dst[p] = static_cast<float>(m);
    }
  }
}

namespace {

// flat - dark with bad pixels (<= 0, non-finite, saturated flat) replaced per the policy.
HostArray<float, 2> denominator(ConstImage dark, ConstImage flat, const FlatFieldParams& params,
                                FlatFieldCounts& counts, const char* which) {
  XCT_CHECK(flat.shape() == dark.shape(), ErrorKind::BadData, "the ", which,
            " and the dark differ in shape");
  HostArray<float, 2> d(flat.shape());
  const std::size_t n = flat.size();
  std::vector<unsigned char> bad(n, 0);
  std::uint64_t n_bad = 0, n_saturated = 0;
  double good_sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const float f = flat.data()[i], k = dark.data()[i];
    XCT_CHECK(std::isfinite(k), ErrorKind::BadData, "the dark holds NaN or Inf");
    const bool saturated = params.saturation && f >= *params.saturation;
    const float v = f - k;
    d.data()[i] = v;
    if (!(v > 0.0f) || !std::isfinite(v) || saturated) {
      bad[i] = 1;
      ++n_bad;
      n_saturated += saturated ? 1 : 0;
    } else {
      good_sum += v;
    }
  }
  counts.bad_flat_pixels += n_bad;
  counts.saturated_flat_pixels += n_saturated;
  if (n_bad == 0) return d;
  const double fraction = static_cast<double>(n_bad) / static_cast<double>(n);
  XCT_CHECK(fraction <= params.max_bad_flat_fraction, ErrorKind::BadData, "the ", which,
            " is unusable: flat - dark <= 0", n_saturated ? " or saturated" : "", " at ", n_bad,
            " of ", n, " pixels (", std::round(fraction * 1000) / 10, "%)");
  XCT_CHECK(params.bad_flat != BadFlatPolicy::Error, ErrorKind::BadData, "the ", which, " has ",
            n_bad, " pixels with flat - dark <= 0", n_saturated ? " or saturated" : "",
            " (bad-flat policy: error)");
  const auto mean = static_cast<float>(good_sum / static_cast<double>(n - n_bad));
  for (std::size_t i = 0; i < n; ++i)
    if (bad[i]) d.data()[i] = mean;
  return d;
}

}  // namespace

FlatReference make_flat_reference(ConstImage dark, ConstImage flat_before,
                                  const ConstImage* flat_after, double position_before,
                                  double position_after, const FlatFieldParams& params,
                                  FlatFieldCounts& counts) {
  XCT_CHECK(!flat_before.empty(), ErrorKind::BadData, "no flat field");
  FlatReference ref;
  ref.dark = HostArray<float, 2>(dark.shape());
  std::copy(dark.data(), dark.data() + dark.size(), ref.dark.data());
  ref.denom_before = denominator(dark, flat_before, params, counts,
                                 flat_after ? "flat taken before the scan" : "flat field");
  if (flat_after)
    ref.denom_after = denominator(dark, *flat_after, params, counts, "flat taken after the scan");
  ref.position_before = position_before;
  ref.position_after = position_after;
  return ref;
}

namespace {

// Weight of the after-scan flat for a projection at `position`, clamped to [0, 1].
float after_weight(const FlatReference& ref, std::span<const double> positions, std::size_t k) {
  if (ref.denom_after.empty() || k >= positions.size()) return 0.0f;
  const double span = ref.position_after - ref.position_before;
  if (!(span > 0)) return 0.5f;
  const double w = (positions[k] - ref.position_before) / span;
  return static_cast<float>(std::clamp(w, 0.0, 1.0));
}

}  // namespace

void flat_field(ConstStack raw, const FlatReference& ref, std::span<const double> positions,
                Stack out, const FlatFieldParams& params, FlatFieldCounts& counts) {
  const std::size_t n_proj = raw.extent(0), pixels = raw.extent(1) * raw.extent(2);
  XCT_CHECK(raw.is_contiguous() && out.is_contiguous() && raw.shape() == out.shape(),
            ErrorKind::Internal, "flat_field: input and output differ in shape");
  XCT_CHECK(ref.dark.size() == pixels && ref.denom_before.size() == pixels, ErrorKind::Internal,
            "flat_field: the reference does not match the frame size");
  XCT_CHECK(ref.denom_after.empty() || positions.size() == n_proj, ErrorKind::Internal,
            "flat_field: one acquisition position per projection is needed to interpolate");
  const float* dark = ref.dark.data();
  const float* d0 = ref.denom_before.data();
  const float* d1 = ref.denom_after.empty() ? d0 : ref.denom_after.data();
  std::uint64_t nonpositive = 0, nonfinite = 0;
#pragma omp parallel for schedule(static) reduction(+ : nonpositive, nonfinite)
  for (std::size_t k = 0; k < n_proj; ++k) {
    const float w = after_weight(ref, positions, k);
    const float* r = raw.data() + k * pixels;
    float* o = out.data() + k * pixels;
    for (std::size_t p = 0; p < pixels; ++p) {
      const float denom = (1.0f - w) * d0[p] + w * d1[p];
      const float num = r[p] - dark[p];
      float t = num / denom;
      if (!(num > 0.0f)) {
        nonfinite += std::isfinite(r[p]) ? 0 : 1;
        ++nonpositive;
        t = params.nonpositive == NonPositivePolicy::One ? 1.0f : 0.5f / denom;
      }
      o[p] = t;
    }
  }
  XCT_CHECK(nonfinite == 0, ErrorKind::BadData, "the projections hold ", nonfinite,
            " NaN or Inf samples");
  XCT_CHECK(nonpositive == 0 || params.nonpositive != NonPositivePolicy::Error, ErrorKind::BadData,
            nonpositive,
            " projection samples are at or below the dark (non-positive policy: error)");
  counts.nonpositive_samples += nonpositive;
}

void minus_log(std::span<float> data, FlatFieldCounts& counts) {
  std::uint64_t clamped = 0;
  const std::size_t n = data.size();
  float* p = data.data();
#pragma omp parallel for schedule(static) reduction(+ : clamped)
  for (std::size_t i = 0; i < n; ++i) {
    const float t = p[i];
    if (t > 0.0f && t <= 3.4e38f) {
      p[i] = -std::log(t);
    } else {
      p[i] = 0.0f;
      ++clamped;
    }
  }
  counts.log_clamped_samples += clamped;
}

}  // namespace xct::recon
