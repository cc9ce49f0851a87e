// One level of the 2-D discrete wavelet transform with PyWavelets' conventions, for the
// wavelet-FFT stripe removal of Muench, Trtik, Marone and Stampanoni, Opt. Express 17, 8567
// (2009).
//
// Forward, per axis: out[o] = sum_j dec[j] x[1 + 2 o - j], o < (n + L - 1) / 2, where x is
// extended half-sample symmetrically (x[-1] = x[0]). Inverse: out[2 m + p] = sum_j
// rec[2 j + p] c[m + L/2 - 1 - j], m <= n - L/2. Along the contiguous axis both are split
// into even and odd phases so that the inner loops run over consecutive samples.
#include "recon/wavelet.hpp"

#include <algorithm>
#include <charconv>
#include <string>

#include "core/error.hpp"

namespace xct::recon {

WaveletFilters wavelet_filters(std::string_view name) {
  int order = 0;
  if (name == "haar") {
    order = 1;
  } else if (name.size() > 2 && name.substr(0, 2) == "db") {
    const char* end = name.data() + name.size();
    auto [ptr, ec] = std::from_chars(name.data() + 2, end, order);
    if (ec != std::errc() || ptr != end) order = 0;
  }
  const auto& table = daubechies_scaling_filters();
  XCT_CHECK(order >= 1 && order <= static_cast<int>(table.size()), ErrorKind::Usage,
            "unknown wavelet '", name, "' (haar, db1 ... db", table.size(), ")");
  const std::vector<double>& lo = table[static_cast<std::size_t>(order - 1)];
  const std::size_t n = lo.size();
  WaveletFilters w;
  for (std::size_t k = 0; k < n; ++k) {
    w.rec_lo.push_back(static_cast<float>(lo[k]));
    w.rec_hi.push_back(static_cast<float>((k % 2 ? -1.0 : 1.0) * lo[n - 1 - k]));
  }
  w.dec_lo.assign(w.rec_lo.rbegin(), w.rec_lo.rend());
  w.dec_hi.assign(w.rec_hi.rbegin(), w.rec_hi.rend());
  return w;
}

namespace {

using Array = HostArray<float, 2>;

// Along axis 1 (within rows): lo and hi halves of every row.
void forward_rows(ConstImage in, const WaveletFilters& w, Array& lo, Array& hi) {
  const std::size_t rows = in.extent(0), n = in.extent(1), len = w.length();
  const std::size_t n_out = (n + len - 1) / 2, h = len / 2 - 1;
  lo = Array({rows, n_out});
  hi = Array({rows, n_out});
  const auto sn = static_cast<std::ptrdiff_t>(n);
#pragma omp parallel
  {
    // even[m] = x[2 m - (L - 2)], odd[m] = x[2 m + 1 - (L - 2)], extended symmetrically.
    std::vector<float> even(n_out + h), odd(n_out + h);
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(rows); ++r) {
      const float* x = in.data() + static_cast<std::size_t>(r) * n;
      const auto shift = static_cast<std::ptrdiff_t>(len) - 2;
      for (std::size_t m = 0; m < n_out + h; ++m) {
        const auto i = 2 * static_cast<std::ptrdiff_t>(m) - shift;
        even[m] = x[reflect_index(i, sn)];
        odd[m] = x[reflect_index(i + 1, sn)];
      }
      float* out_lo = lo.data() + static_cast<std::size_t>(r) * n_out;
      float* out_hi = hi.data() + static_cast<std::size_t>(r) * n_out;
      std::fill(out_lo, out_lo + n_out, 0.0f);
      std::fill(out_hi, out_hi + n_out, 0.0f);
      for (std::size_t q = 0; q <= h; ++q) {
        const float le = w.dec_lo[2 * q], lo_odd = w.dec_lo[2 * q + 1];
        const float he = w.dec_hi[2 * q], hi_odd = w.dec_hi[2 * q + 1];
        const float* e1 = odd.data() + h - q;
        const float* e0 = even.data() + h - q;
        for (std::size_t o = 0; o < n_out; ++o) {
          out_lo[o] += le * e1[o] + lo_odd * e0[o];
          out_hi[o] += he * e1[o] + hi_odd * e0[o];
        }
      }
    }
  }
}

// Along axis 0 (across rows): every output row is a weighted sum of whole input rows.
void forward_cols(ConstImage in, const WaveletFilters& w, Array& lo, Array& hi) {
  const std::size_t n = in.extent(0), cols = in.extent(1), len = w.length();
  const std::size_t n_out = (n + len - 1) / 2;
  lo = Array({n_out, cols});
  hi = Array({n_out, cols});
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t o = 0; o < static_cast<std::ptrdiff_t>(n_out); ++o) {
    float* out_lo = lo.data() + static_cast<std::size_t>(o) * cols;
    float* out_hi = hi.data() + static_cast<std::size_t>(o) * cols;
    std::fill(out_lo, out_lo + cols, 0.0f);
    std::fill(out_hi, out_hi + cols, 0.0f);
    for (std::size_t j = 0; j < len; ++j) {
      const auto r =
          reflect_index(1 + 2 * o - static_cast<std::ptrdiff_t>(j), static_cast<std::ptrdiff_t>(n));
      const float* x = in.data() + static_cast<std::size_t>(r) * cols;
      const float fl = w.dec_lo[j], fh = w.dec_hi[j];
      for (std::size_t c = 0; c < cols; ++c) {
        out_lo[c] += fl * x[c];
        out_hi[c] += fh * x[c];
      }
    }
  }
}

// Inverse along axis 0: out = up(lo_band, rec_lo) + up(hi_band, rec_hi).
Array inverse_cols(ConstImage lo_band, ConstImage hi_band, const WaveletFilters& w) {
  const std::size_t n = lo_band.extent(0), cols = lo_band.extent(1), len = w.length();
  const std::size_t half = len / 2, n_out = 2 * n - len + 2;
  Array out({n_out, cols});
#pragma omp parallel for schedule(static)
  for (std::ptrdiff_t o = 0; o < static_cast<std::ptrdiff_t>(n_out); ++o) {
    const std::size_t m = static_cast<std::size_t>(o) / 2, phase = static_cast<std::size_t>(o) % 2;
    float* y = out.data() + static_cast<std::size_t>(o) * cols;
    std::fill(y, y + cols, 0.0f);
    for (std::size_t j = 0; j < half; ++j) {
      const std::size_t src = m + half - 1 - j;
      const float* a = lo_band.data() + src * cols;
      const float* d = hi_band.data() + src * cols;
      const float fl = w.rec_lo[2 * j + phase], fh = w.rec_hi[2 * j + phase];
      for (std::size_t c = 0; c < cols; ++c)
        y[c] += fl * a[c] + fh * d[c];
    }
  }
  return out;
}

// Inverse along axis 1, per row, even and odd outputs apart.
Array inverse_rows(ConstImage lo_band, ConstImage hi_band, const WaveletFilters& w) {
  const std::size_t rows = lo_band.extent(0), n = lo_band.extent(1), len = w.length();
  const std::size_t half = len / 2, n_pairs = n - half + 1;
  Array out({rows, 2 * n_pairs});
#pragma omp parallel
  {
    std::vector<float> phase[2] = {std::vector<float>(n_pairs), std::vector<float>(n_pairs)};
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < static_cast<std::ptrdiff_t>(rows); ++r) {
      const float* a = lo_band.data() + static_cast<std::size_t>(r) * n;
      const float* d = hi_band.data() + static_cast<std::size_t>(r) * n;
      for (std::size_t p = 0; p < 2; ++p) {
        float* y = phase[p].data();
        std::fill(y, y + n_pairs, 0.0f);
        for (std::size_t j = 0; j < half; ++j) {
          const float fl = w.rec_lo[2 * j + p], fh = w.rec_hi[2 * j + p];
          const float* as = a + half - 1 - j;
          const float* ds = d + half - 1 - j;
          for (std::size_t m = 0; m < n_pairs; ++m)
            y[m] += fl * as[m] + fh * ds[m];
        }
      }
      float* y = out.data() + static_cast<std::size_t>(r) * 2 * n_pairs;
      for (std::size_t m = 0; m < n_pairs; ++m) {
        y[2 * m] = phase[0][m];
        y[2 * m + 1] = phase[1][m];
      }
    }
  }
  return out;
}

}  // namespace

WaveletBands dwt2(ConstImage in, const WaveletFilters& w) {
  XCT_CHECK(in.is_contiguous() && !in.empty(), ErrorKind::Internal,
            "dwt2 needs a contiguous, non-empty image");
  Array row_lo, row_hi;
  forward_rows(in, w, row_lo, row_hi);
  WaveletBands b;
  forward_cols(row_lo.cview(), w, b.approx, b.horizontal);
  forward_cols(row_hi.cview(), w, b.vertical, b.diagonal);
  return b;
}

HostArray<float, 2> idwt2(ConstImage approx, ConstImage horizontal, ConstImage vertical,
                          ConstImage diagonal, const WaveletFilters& w) {
  const auto shape = approx.shape();
  XCT_CHECK(horizontal.shape() == shape && vertical.shape() == shape && diagonal.shape() == shape &&
                shape[0] >= w.length() / 2 && shape[1] >= w.length() / 2,
            ErrorKind::Internal, "idwt2: bands of unequal or too small shapes");
  const Array row_lo = inverse_cols(approx, horizontal, w);
  const Array row_hi = inverse_cols(vertical, diagonal, w);
  return inverse_rows(row_lo.cview(), row_hi.cview(), w);
}

}  // namespace xct::recon
