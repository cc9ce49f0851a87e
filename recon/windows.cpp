#include "recon/windows.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace xct::recon {

namespace {
constexpr double kPi = std::numbers::pi;

// Generalised cosine window: sum_k (-1)^k a_k cos(2 pi k n / (M-1)).
std::vector<double> cosine_sum(std::size_t m, std::initializer_list<double> a) {
  std::vector<double> w(m, 1.0);
  if (m < 2) return w;
  for (std::size_t n = 0; n < m; ++n) {
    const double x = 2.0 * kPi * static_cast<double>(n) / static_cast<double>(m - 1);
    double v = 0.0, sign = 1.0;
    int k = 0;
    for (double ak : a) {
      v += sign * ak * std::cos(k * x);
      sign = -sign;
      ++k;
    }
    w[n] = v;
  }
  return w;
}
}  // namespace

std::vector<double> gaussian_window(std::size_t m, double std_dev) {
  std::vector<double> w(m);
  const double c = 0.5 * (static_cast<double>(m) - 1.0);
  for (std::size_t n = 0; n < m; ++n) {
    const double t = (static_cast<double>(n) - c) / std_dev;
    w[n] = std::exp(-0.5 * t * t);
  }
  return w;
}

bool is_window_name(std::string_view name) {
  for (auto known :
       {"", "none", "hann", "hamming", "blackman", "nuttall", "bartlett", "triang", "parzen"})
    if (name == known) return true;
  return false;
}

std::vector<double> named_window(std::string_view name, std::size_t m) {
  XCT_CHECK(is_window_name(name), ErrorKind::Usage, "unknown window '", name,
            "' (none, hann, hamming, blackman, nuttall, bartlett, triang, parzen)");
  if (m < 2 || name.empty() || name == "none") return std::vector<double>(m, 1.0);
  if (name == "hann") return cosine_sum(m, {0.5, 0.5});
  if (name == "hamming") return cosine_sum(m, {0.54, 0.46});
  if (name == "blackman") return cosine_sum(m, {0.42, 0.50, 0.08});
  if (name == "nuttall") return cosine_sum(m, {0.3635819, 0.4891775, 0.1365995, 0.0106411});
  std::vector<double> w(m);
  const double md = static_cast<double>(m);
  if (name == "bartlett") {
    const double c = 0.5 * (md - 1.0);
    for (std::size_t n = 0; n < m; ++n)
      w[n] = 1.0 - std::abs(static_cast<double>(n) - c) / c;
    return w;
  }
  if (name == "triang") {
    // Rises to the middle in steps of 2/(M+1) (odd M) or 2/M (even M), then mirrors.
    const std::size_t half = (m + 1) / 2;
    for (std::size_t k = 1; k <= half; ++k) {
      const double kd = static_cast<double>(k);
      const double v = m % 2 == 0 ? (2.0 * kd - 1.0) / md : 2.0 * kd / (md + 1.0);
      w[k - 1] = v;
      w[m - k] = v;
    }
    return w;
  }
  // parzen: piecewise cubic in |n| / (M/2), n measured from the centre.
  for (std::size_t i = 0; i < m; ++i) {
    const double n = static_cast<double>(i) - 0.5 * (md - 1.0);
    const double r = std::abs(n) / (0.5 * md);
    w[i] = std::abs(n) <= 0.25 * (md - 1.0) ? 1.0 - 6.0 * r * r + 6.0 * r * r * r
                                            : 2.0 * (1.0 - r) * (1.0 - r) * (1.0 - r);
  }
  return w;
}

}  // namespace xct::recon
