#include "recon/rings.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/error.hpp"

namespace xct::recon {

namespace {

std::size_t flagged(const StripeMask& mask) {
  return static_cast<std::size_t>(
      std::count_if(mask.begin(), mask.end(), [](auto m) { return m != 0; }));
}

const std::vector<std::pair<std::string, std::string>>& aliases() {
  static const std::vector<std::pair<std::string, std::string>> a = {
      {"none", "none"},
      {"sort", "remove_stripe_based_sorting"},
      {"filter", "remove_stripe_based_filtering"},
      {"fit", "remove_stripe_based_fitting"},
      {"large", "remove_large_stripe"},
      {"dead", "remove_dead_stripe"},
      {"all", "remove_all_stripe"},
      {"interpolation", "remove_stripe_based_interpolation"},
      {"wavelet-fft", "remove_stripe_based_wavelet_fft"},
  };
  return a;
}

}  // namespace

const std::vector<std::string>& ring_method_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [s, l] : aliases())
      n.push_back(s);
    return n;
  }();
  return names;
}

std::string canonical_ring_method(std::string_view name) {
  for (const auto& [s, l] : aliases())
    if (name == s || name == l) return s;
  std::string known;
  for (const auto& [s, l] : aliases())
    known += (known.empty() ? "" : ", ") + s;
  XCT_THROW(ErrorKind::Usage, "unknown ring removal method '", name, "' (", known, ")");
}

std::size_t remove_rings(ConstImage sino, Image out, const RingOptions& o) {
  const std::string m = canonical_ring_method(o.method);
  if (m == "none") {
    std::memcpy(out.data(), sino.data(), sino.size() * sizeof(float));
    return 0;
  }
  if (m == "sort") return remove_stripe_based_sorting(sino, out, o.sorting), 0;
  if (m == "filter") return remove_stripe_based_filtering(sino, out, o.filtering), 0;
  if (m == "fit") return remove_stripe_based_fitting(sino, out, o.fitting), 0;
  if (m == "wavelet-fft") return remove_stripe_based_wavelet_fft(sino, out, o.wavelet), 0;
  if (m == "large") return flagged(remove_large_stripe(sino, out, o.large));
  if (m == "dead") return flagged(remove_dead_stripe(sino, out, o.dead));
  if (m == "interpolation")
    return flagged(remove_stripe_based_interpolation(sino, out, o.interpolation));
  const AllStripeMasks masks = remove_all_stripe(sino, out, o.all);
  return flagged(masks.dead) + flagged(masks.large);
}

}  // namespace xct::recon
