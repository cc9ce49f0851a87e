// The filters and the row padding of the filtered back-projection. The ramp is the DFT of the
// band-limited spatial kernel of Kak and Slaney, "Principles of Computerized Tomographic
// Imaging" (IEEE Press, 1988), ch. 3, eq. 61; the smoothing windows are either closed forms in
// the frequency f as a fraction of Nyquist (Shepp-Logan, cosine, Butterworth) or SciPy windows
// over the padded width centred on DC (Algotom's fbp_reconstruction, algorithms.md 6.1).
#include <algorithm>
#include <cmath>
#include <numbers>
#include <string_view>

#include "core/error.hpp"
#include "recon/fbp.hpp"
#include "recon/fft.hpp"
#include "recon/windows.hpp"

namespace xct::recon {

namespace {

constexpr double kPi = std::numbers::pi;

// Windows taken from recon/windows.hpp over the padded width, as Algotom builds them.
bool is_scipy_window(std::string_view name) {
  for (auto w : {"hann", "hamming", "parzen", "blackman", "nuttall", "bartlett", "triang"})
    if (name == w) return true;
  return false;
}

std::string joined_names() {
  std::string s;
  for (const auto& n : fbp_filter_names())
    s += (s.empty() ? "" : ", ") + n;
  return s;
}

void check_filter(const FbpParams& p) {
  const auto names = fbp_filter_names();
  XCT_CHECK(std::find(names.begin(), names.end(), p.filter) != names.end(), ErrorKind::Usage,
            "unknown FBP filter '", p.filter, "' (", joined_names(), ")");
  if (p.filter == "butterworth") {
    XCT_CHECK(p.butterworth_order >= 1, ErrorKind::Usage,
              "the Butterworth order must be >= 1, got ", p.butterworth_order);
    XCT_CHECK(std::isfinite(p.butterworth_cutoff) && p.butterworth_cutoff > 0, ErrorKind::Usage,
              "the Butterworth cutoff must be > 0 (a fraction of Nyquist), got ",
              p.butterworth_cutoff);
  }
}

// Gain of a closed-form window at f, the frequency as a fraction of Nyquist.
double closed_form_window(const FbpParams& p, double f) {
  if (p.filter == "shepp-logan") {
    const double t = 0.5 * kPi * f;
    return t == 0.0 ? 1.0 : std::sin(t) / t;
  }
  if (p.filter == "cosine") return std::cos(0.5 * kPi * f);
  if (p.filter == "butterworth")
    return 1.0 / (1.0 + std::pow(f / p.butterworth_cutoff, 2.0 * p.butterworth_order));
  return 1.0;  // ram-lak, none
}

}  // namespace

std::vector<std::string> fbp_filter_names() {
  return {"ram-lak", "none",        "shepp-logan", "cosine",  "hamming",  "hann",
          "parzen",  "butterworth", "blackman",    "nuttall", "bartlett", "triang"};
}

FbpPadding fbp_padding(std::size_t n_cols, const FbpParams& params) {
  XCT_CHECK(params.padding == "edge" || params.padding == "zero", ErrorKind::Usage,
            "unknown FBP padding '", params.padding, "' (edge, zero)");
  XCT_CHECK(params.pad_cols >= -1, ErrorKind::Usage,
            "pad_cols must be >= 0 or -1 (automatic), got ", params.pad_cols);
  FbpPadding p;
  p.left = params.pad_cols >= 0
               ? static_cast<std::size_t>(params.pad_cols)
               : std::min<std::size_t>(static_cast<std::size_t>(0.15 * static_cast<double>(n_cols)),
                                       150);
  p.padded = n_cols + 2 * p.left;
  p.width = params.fft_friendly ? fft_friendly_length(p.padded) : p.padded;
  return p;
}

// For the SciPy windows: Algotom multiplies the spectrum by the window centred on DC (DC-first
// order g[i] = win[(i + width/2) mod width]) and keeps the real part of the inverse transform;
// for an even width the centred window is not symmetric, and keeping the real part applies its
// symmetric half-sum, which is what the half spectrum gets here.
std::vector<double> fbp_filter_window(std::size_t width, const FbpParams& params) {
  check_filter(params);
  XCT_CHECK(width > 0, ErrorKind::Usage, "the padded width must be positive");
  const std::size_t half = width / 2 + 1;
  std::vector<double> g(half);
  if (is_scipy_window(params.filter)) {
    const std::vector<double> win = named_window(params.filter, width);
    for (std::size_t k = 0; k < half; ++k) {
      const double g_pos = win[(k + width / 2) % width];
      const double g_neg = win[(width - k % width + width / 2) % width];
      g[k] = 0.5 * (g_pos + g_neg);
    }
    return g;
  }
  for (std::size_t k = 0; k < half; ++k)
    g[k] = closed_form_window(params, 2.0 * static_cast<double>(k) / static_cast<double>(width));
  return g;
}

// The kernel's offsets run over [-width/2, width - 1 - width/2]: odd n > 0 appears once or
// twice. The kernel is even about 0, so its DFT is real.
std::vector<double> fbp_filter_response(std::size_t width, const FbpParams& params) {
  std::vector<double> response = fbp_filter_window(width, params);
  std::vector<double> cos_table(width);
  for (std::size_t i = 0; i < width; ++i)
    cos_table[i] = std::cos(2.0 * kPi * static_cast<double>(i) / static_cast<double>(width));
  const std::size_t most_negative = width / 2, most_positive = width - 1 - width / 2;
  for (std::size_t k = 0; k < response.size(); ++k) {
    double h = 0.25;
    for (std::size_t n = 1; n <= most_negative; n += 2) {
      const double nd = static_cast<double>(n);
      const double copies = (n <= most_positive ? 1.0 : 0.0) + 1.0;
      h -= copies / (kPi * kPi * nd * nd) * cos_table[(k * n) % width];
    }
    response[k] *= h;
  }
  return response;
}

}  // namespace xct::recon
