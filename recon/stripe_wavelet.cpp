// Stripe removal by wavelet decomposition and Fourier damping of the vertical-detail bands:
// B. Muench, P. Trtik, F. Marone and M. Stampanoni, "Stripe and ring artifact removal with
// combined wavelet-Fourier filtering", Opt. Express 17, 8567 (2009); with Algotom's padding,
// level limit and window placement (remove_stripe_based_wavelet_fft).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "recon/stripe.hpp"
#include "recon/stripe_util.hpp"
#include "recon/wavelet.hpp"

namespace xct::recon {

using namespace stripe;

namespace {

// High-pass along the angles of every column of a vertical-detail band: Algotom builds the
// window on the fftshifted spectrum with its zero at bin ceil(n/2) - 1, which for even n is
// one bin below the zero frequency; that placement is kept.
void damp_columns(Image band, double size, bool butterworth) {
  const std::size_t n = band.extent(0);
  const double centre = std::ceil(0.5 * static_cast<double>(n)) - 1.0;
  std::vector<double> w(n);
  for (std::size_t k = 0; k < n; ++k) {
    const double x = static_cast<double>((k + n / 2) % n) - centre;  // shifted bin
    w[k] = butterworth ? 1.0 - 1.0 / (1.0 + (x / size) * (x / size))
                       : 1.0 - std::exp(-x * x / (2.0 * size * size));
  }
  filter_columns(band, band, n, 0, hermitian_gain(w), false);
}

// The first rows x cols of `a` (waverec2 trims an approximation one sample too long).
HostArray<float, 2> trimmed(HostArray<float, 2> a, std::size_t rows, std::size_t cols) {
  if (a.extent(0) == rows && a.extent(1) == cols) return a;
  XCT_CHECK(a.extent(0) <= rows + 1 && a.extent(1) <= cols + 1 && a.extent(0) >= rows &&
                a.extent(1) >= cols,
            ErrorKind::Internal, "wavelet bands of inconsistent shapes");
  HostArray<float, 2> out({rows, cols});
  for (std::size_t r = 0; r < rows; ++r)
    std::memcpy(&out(r, 0), &a(r, 0), cols * sizeof(float));
  return out;
}

}  // namespace

void remove_stripe_based_wavelet_fft(ConstImage sino, Image out, const WaveletFftStripeParams& p) {
  check_sinogram(sino, "remove_stripe_based_wavelet_fft");
  check_output(sino, out, "remove_stripe_based_wavelet_fft");
  const WaveletFilters filters = wavelet_filters(p.wavelet_name);
  XCT_CHECK(p.window_name == "gaussian" || p.window_name == "butter", ErrorKind::Usage,
            "unknown stripe damping window '", p.window_name, "' (gaussian, butter)");
  XCT_CHECK(p.size > 0.0, ErrorKind::Usage, "wavelet-FFT stripe removal: size must be positive");
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  std::optional<ColumnSort> cs;
  if (p.sort) cs = sort_columns(sino);
  const ConstImage work = p.sort ? cs->sorted.cview() : sino;
  const std::size_t pad =
      std::min<std::size_t>(150, static_cast<std::size_t>(0.1 * std::min(rows, cols)));
  HostArray<float, 2> approx = pad_mean_edge(work, pad);
  // Levels: at most as many as keep the coarsest band at least 16 samples on each side.
  const double smaller = static_cast<double>(std::min(approx.extent(0), approx.extent(1)));
  const int max_level = static_cast<int>(std::floor(std::log2(smaller / 16.0)));
  const int level = (p.level > max_level || p.level < 1) ? max_level : p.level;
  XCT_CHECK(level >= 1, ErrorKind::BadData,
            "wavelet-FFT stripe removal needs at least 32 angles and 32 columns after padding, "
            "got ",
            approx.extent(0), " x ", approx.extent(1));
  std::vector<WaveletBands> details;
  for (int i = 0; i < level; ++i) {
    details.push_back(dwt2(approx.cview(), filters));
    approx = std::move(details.back().approx);
    damp_columns(details.back().vertical.view(), p.size, p.window_name == "butter");
  }
  for (int i = level - 1; i >= 0; --i) {
    const WaveletBands& d = details[static_cast<std::size_t>(i)];
    approx = trimmed(std::move(approx), d.vertical.extent(0), d.vertical.extent(1));
    approx = idwt2(approx.cview(), d.horizontal.cview(), d.vertical.cview(), d.diagonal.cview(),
                   filters);
  }
  HostArray<float, 2> cropped({rows, cols});
  for (std::size_t r = 0; r < rows; ++r)
    std::memcpy(&cropped(r, 0), &approx(r + pad, pad), cols * sizeof(float));
  if (p.sort) {
    unsort_columns(cropped.cview(), cs->source, out);
  } else {
    std::memcpy(out.data(), cropped.data(), cropped.size() * sizeof(float));
  }
}

}  // namespace xct::recon
