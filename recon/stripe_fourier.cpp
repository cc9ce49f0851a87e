// Fourier-space filters of the stripe removal steps of Vo, Atwood and Drakopoulos, Opt.
// Express 26, 28396 (2018), with Algotom's padding and window placement.
//
// Algotom multiplies the spectrum of a real signal by a real window that is not symmetric
// about bin 0 and keeps the real part of the inverse transform. That real part is exactly
// the inverse transform with the window averaged with its mirror image (hermitian_gain),
// which lets real-to-complex transforms do the work at half the cost.
//
// The low-pass of the filter method (lowpass_columns) is computed in double precision, as
// Algotom computes it with numpy.fft, and rounded to float once at the end; the other
// methods' Fourier filters run in float.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "recon/fft.hpp"
#include "recon/stripe_util.hpp"
#include "recon/windows.hpp"

namespace xct::recon::stripe {

namespace {

constexpr std::size_t kLines = 16;  // columns transformed together

// The gain of hermitian_gain in double.
std::vector<double> hermitian_part(const std::vector<double>& w) {
  const std::size_t n = w.size();
  std::vector<double> g(n / 2 + 1);
  for (std::size_t f = 0; f <= n / 2; ++f)
    g[f] = 0.5 * (w[f] + w[(n - f) % n]) / static_cast<double>(n);
  return g;
}

// The plans of filter_columns in the precision of Real.
const FftPlan& forward_plan(float, std::size_t n, std::size_t howmany) {
  return FftPlan::r2c_1d(n, howmany);
}
const FftPlan& forward_plan(double, std::size_t n, std::size_t howmany) {
  return FftPlan::r2c_1d_double(n, howmany);
}
const FftPlan& backward_plan(float, std::size_t n, std::size_t howmany) {
  return FftPlan::c2r_1d(n, howmany);
}
const FftPlan& backward_plan(double, std::size_t n, std::size_t howmany) {
  return FftPlan::c2r_1d_double(n, howmany);
}

// filter_columns with the lines, the transforms and the gain in Real; each output sample is
// rounded to float once, at the end.
template <typename Real>
void filter_columns_in(ConstImage in, Image out, std::size_t n_fft, std::size_t shift,
                       const std::vector<Real>& gain, bool modulate) {
  using Complex = std::complex<Real>;
  const std::size_t rows = in.extent(0), cols = in.extent(1), n_half = n_fft / 2 + 1;
  const std::size_t n_ext = std::min(n_fft, rows + 2 * shift);
  XCT_CHECK(gain.size() == n_half && rows + shift <= n_fft, ErrorKind::Internal,
            "column filter: inconsistent lengths");
  const FftPlan& forward = forward_plan(Real{}, n_fft, kLines);
  const FftPlan& backward = backward_plan(Real{}, n_fft, kLines);
  const float* src = in.data();
  float* dst = out.data();
  const auto n_rows = static_cast<std::ptrdiff_t>(rows);
  const auto n_blocks = static_cast<std::ptrdiff_t>((cols + kLines - 1) / kLines);
#pragma omp parallel
  {
    auto line = fft_alloc<Real>(kLines * n_fft);
    auto spec = fft_alloc<Complex>(kLines * n_half);
    std::fill(line.get(), line.get() + kLines * n_fft, Real{0});
#pragma omp for schedule(dynamic, 2)
    for (std::ptrdiff_t b = 0; b < n_blocks; ++b) {
      const std::size_t c0 = static_cast<std::size_t>(b) * kLines;
      const std::size_t w = std::min(kLines, cols - c0);
      for (std::size_t k = 0; k < n_ext; ++k) {
        const Real sign = (modulate && (k & 1)) ? Real{-1} : Real{1};
        const auto r = static_cast<std::size_t>(mirror_index(
            static_cast<std::ptrdiff_t>(k) - static_cast<std::ptrdiff_t>(shift), n_rows));
        for (std::size_t j = 0; j < w; ++j)
          line[j * n_fft + k] = sign * static_cast<Real>(src[r * cols + c0 + j]);
      }
      for (std::size_t j = 0; j < w; ++j)  // the last inverse transform wrote over the tail
        std::fill(line.get() + j * n_fft + n_ext, line.get() + (j + 1) * n_fft, Real{0});
      forward.execute(line.get(), spec.get());
      for (std::size_t j = 0; j < kLines; ++j) {
        Complex* s = spec.get() + j * n_half;
        for (std::size_t f = 0; f < n_half; ++f)
          s[f] *= gain[f];
      }
      backward.execute(spec.get(), line.get());
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t k = r + shift;
        const Real sign = (modulate && (k & 1)) ? Real{-1} : Real{1};
        for (std::size_t j = 0; j < w; ++j)
          dst[r * cols + c0 + j] = static_cast<float>(sign * line[j * n_fft + k]);
      }
    }
  }
}

}  // namespace

std::vector<float> hermitian_gain(const std::vector<double>& w) {
  const std::vector<double> g = hermitian_part(w);
  return std::vector<float>(g.begin(), g.end());
}

std::vector<double> lowpass_gain(std::size_t n_fft, double sigma) {
  return hermitian_part(gaussian_window(n_fft, sigma));
}

void filter_columns(ConstImage in, Image out, std::size_t n_fft, std::size_t shift,
                    const std::vector<float>& gain, bool modulate) {
  filter_columns_in(in, out, n_fft, shift, gain, modulate);
}

void filter_columns(ConstImage in, Image out, std::size_t n_fft, std::size_t shift,
                    const std::vector<double>& gain, bool modulate) {
  filter_columns_in(in, out, n_fft, shift, gain, modulate);
}

void lowpass_columns(ConstImage sino, Image smooth, double sigma) {
  XCT_CHECK(sigma > 0.0, ErrorKind::Usage, "stripe filtering: sigma must be positive, not ", sigma);
  const std::size_t rows = sino.extent(0);
  const std::size_t pad = std::min<std::size_t>(150, static_cast<std::size_t>(0.1 * rows));
  const std::size_t n = rows + 2 * pad;
  filter_columns(sino, smooth, n, pad, lowpass_gain(n, sigma), true);
}

namespace {

// Savitzky-Golay weights c[t], t = 0 ... half (symmetric): the value at the centre of the
// least-squares polynomial through 2 half + 1 samples. Solved in scaled coordinates u = t /
// half, which keeps the normal equations well conditioned.
std::vector<double> savgol_weights(std::size_t half, int order) {
  const std::size_t m = static_cast<std::size_t>(order) + 1;
  if (half == 0) return {1.0};
  std::vector<long double> moment(2 * m, 0.0L);  // sum of u^p over the window
  for (std::ptrdiff_t t = -static_cast<std::ptrdiff_t>(half);
       t <= static_cast<std::ptrdiff_t>(half); ++t) {
    const long double u = static_cast<long double>(t) / static_cast<long double>(half);
    long double up = 1.0L;
    for (std::size_t p = 0; p < 2 * m; ++p, up *= u)
      moment[p] += up;
  }
  // Gram matrix G[i][j] = moment[i + j]; solve G a = e0 by Gauss-Jordan with pivoting.
  std::vector<std::vector<long double>> g(m, std::vector<long double>(m + 1, 0.0L));
  for (std::size_t i = 0; i < m; ++i) {
    for (std::size_t j = 0; j < m; ++j)
      g[i][j] = moment[i + j];
    g[i][m] = i == 0 ? 1.0L : 0.0L;
  }
  for (std::size_t col = 0; col < m; ++col) {
    std::size_t piv = col;
    for (std::size_t i = col + 1; i < m; ++i)
      if (std::abs(g[i][col]) > std::abs(g[piv][col])) piv = i;
    std::swap(g[col], g[piv]);
    for (std::size_t i = 0; i < m; ++i) {
      if (i == col) continue;
      const long double f = g[i][col] / g[col][col];
      for (std::size_t j = col; j <= m; ++j)
        g[i][j] -= f * g[col][j];
    }
  }
  std::vector<double> c(half + 1);
  for (std::size_t t = 0; t <= half; ++t) {
    const long double u = static_cast<long double>(t) / static_cast<long double>(half);
    long double v = 0.0L, up = 1.0L;
    for (std::size_t p = 0; p < m; ++p, up *= u)
      v += g[p][m] / g[p][p] * up;
    c[t] = static_cast<double>(v);
  }
  return c;
}

}  // namespace

void savgol_columns(ConstImage sino, Image fit, std::size_t window, int order) {
  XCT_CHECK(window % 2 == 1 && order >= 0 && static_cast<std::size_t>(order) < window &&
                window <= sino.extent(0),
            ErrorKind::Internal, "Savitzky-Golay window ", window, " with order ", order);
  const std::size_t half = window / 2;
  const std::vector<double> c = savgol_weights(half, order);
  const std::size_t n = fft_friendly_length(sino.extent(0) + 2 * half);
  // The kernel is real and symmetric, so its spectrum is real: c0 + 2 sum c_t cos(2 pi f t/n).
  std::vector<double> cosine(n);
  for (std::size_t k = 0; k < n; ++k)
    cosine[k] = std::cos(2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(n));
  std::vector<float> gain(n / 2 + 1);
  for (std::size_t f = 0; f <= n / 2; ++f) {
    double v = c[0];
    for (std::size_t t = 1, k = f; t <= half; ++t, k = (k + f) % n)
      v += 2.0 * c[t] * cosine[k];
    gain[f] = static_cast<float>(v / static_cast<double>(n));
  }
  filter_columns(sino, fit, n, half, gain, false);
}

HostArray<float, 2> pad_mean_edge(ConstImage sino, std::size_t pad) {
  const std::size_t rows = sino.extent(0), cols = sino.extent(1);
  std::vector<double> mean(cols, 0.0);
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      mean[c] += sino(r, c);
  HostArray<float, 2> out({rows + 2 * pad, cols + 2 * pad});
  for (std::size_t r = 0; r < rows + 2 * pad; ++r)
    for (std::size_t c = 0; c < cols + 2 * pad; ++c) {
      const auto c_in = static_cast<std::size_t>(
          nearest_index(static_cast<std::ptrdiff_t>(c) - static_cast<std::ptrdiff_t>(pad),
                        static_cast<std::ptrdiff_t>(cols)));
      const bool inside = r >= pad && r < pad + rows;
      out(r, c) =
          inside ? sino(r - pad, c_in) : static_cast<float>(mean[c_in] / static_cast<double>(rows));
    }
  return out;
}

namespace {

// Multiplies the half spectrum [rows, cols/2 + 1] of a (-1)^(x+y)-modulated image by the
// hermitian part of Algotom's 2-D Gaussian window centred at ((cols-1)/2, (rows-1)/2), and by
// the 1/(rows cols) of the inverse transform.
void apply_gaussian_window(cfloat* spec, std::size_t rows, std::size_t cols, double sigma_x,
                           double sigma_y) {
  const std::size_t half = cols / 2 + 1;
  const auto gauss = [](double k, double centre, double sigma) {
    const double d = k - centre;
    return std::exp(-d * d / (2.0 * sigma * sigma));
  };
  const double cx = 0.5 * (static_cast<double>(cols) - 1.0);
  const double cy = 0.5 * (static_cast<double>(rows) - 1.0);
  const double norm = 1.0 / (static_cast<double>(rows) * static_cast<double>(cols));
  std::vector<double> wx(half), wx_m(half);
  for (std::size_t kx = 0; kx < half; ++kx) {
    wx[kx] = gauss(static_cast<double>(kx), cx, sigma_x);
    wx_m[kx] = gauss(static_cast<double>((cols - kx) % cols), cx, sigma_x);
  }
  for (std::size_t ky = 0; ky < rows; ++ky) {
    const double wy = 0.5 * norm * gauss(static_cast<double>(ky), cy, sigma_y);
    const double wy_m = 0.5 * norm * gauss(static_cast<double>((rows - ky) % rows), cy, sigma_y);
    cfloat* s = spec + ky * half;
    for (std::size_t kx = 0; kx < half; ++kx)
      s[kx] *= static_cast<float>(wy * wx[kx] + wy_m * wx_m[kx]);
  }
}

}  // namespace

void gaussian_fourier_2d(ConstImage in, Image out, double sigma_x, double sigma_y,
                         std::size_t pad) {
  XCT_CHECK(sigma_x > 0.0 && sigma_y > 0.0, ErrorKind::Usage,
            "stripe fitting: sigma must be positive, not ", sigma_x);
  const std::size_t rows0 = in.extent(0), cols0 = in.extent(1);
  HostArray<float, 2> padded = pad_mean_edge(in, pad);
  const std::size_t rows = padded.extent(0), cols = padded.extent(1), half = cols / 2 + 1;
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = (r + 1) % 2; c < cols; c += 2)
      padded(r, c) = -padded(r, c);
  // 2-D transform as rows (real) then columns (complex), on the half spectrum.
  auto spec = fft_alloc<cfloat>(rows * half);
  auto spec2 = fft_alloc<cfloat>(rows * half);
  FftPlan::r2c_1d(cols, rows).execute(padded.data(), spec.get());
  FftPlan::c2c_columns(rows, half, true).execute(spec.get(), spec2.get());
  apply_gaussian_window(spec2.get(), rows, cols, sigma_x, sigma_y);
  FftPlan::c2c_columns(rows, half, false).execute(spec2.get(), spec.get());
  FftPlan::c2r_1d(cols, rows).execute(spec.get(), padded.data());
  for (std::size_t r = 0; r < rows0; ++r)
    for (std::size_t c = 0; c < cols0; ++c) {
      const float v = padded(r + pad, c + pad);
      out(r, c) = ((r + c) & 1) ? -v : v;
    }
}

}  // namespace xct::recon::stripe
