// Centre of rotation from a 180-degree sinogram: N. T. Vo, M. Drakopoulos, R. C. Atwood and
// C. Rau, "Reliable method for calculating the center of rotation in parallel-beam
// tomography", Opt. Express 22, 19078 (2014), with Algotom's search (algorithms.md section 7.1).
//
// For a candidate centre c the sinogram is stacked on its left-right flip shifted by
// 2 (c - (n_cols - 1) / 2) columns into a 360-degree sinogram; its 2-D Fourier magnitude,
// summed over the inverse double wedge (where a consistent sinogram has little energy), is
// smallest at the true centre. Computed here without one 2-D FFT per candidate:
//  - the transform along the angle axis commutes with any operation on rows, so the column
//    transforms of the sinogram, of its flip and of its up-down flip are computed once, and a
//    candidate's shifted half is a shift of rows of those spectra (the spline prefilter, which
//    does not depend on the shift, is also applied once);
//  - the stacked array is real, so half of the spectrum rows suffice, with the mask summed
//    over each symmetric pair;
//  - each row of the spectrum is independent, so the work is split over (candidate, block of
//    rows) and summed in a fixed order: results do not depend on the thread count.
// The spectra, the candidates and everything around the metric are the same on both devices;
// with CenterVoParams::use_cuda the metric of the candidates (the stacked rows, their
// transforms and masked sums) runs on a CUDA device (cuda/center_vo.hpp) from the spectra and
// the same description of each shift (cuda::VoShift) that the CPU's stacked rows use.
// The answer is then refined below the search step from the fine curve itself
// (center_refine.cpp).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "cuda/center_vo.hpp"
#include "recon/center.hpp"
#include "recon/center_refine.hpp"
#include "recon/fft.hpp"
#include "recon/spline_shift.hpp"

namespace xct::recon {

namespace {

constexpr double kPi = std::numbers::pi;
constexpr std::size_t kBlockRows = 32;  // spectrum rows per task: buffers stay in L2

// Spectra of one sinogram along its angle axis, rows v = 0 .. n_rows of the transform of
// length 2 n_rows (the stacked array's height), each [n_freq, n_cols] row-major.
struct VoSpectra {
  std::size_t n_rows = 0, n_cols = 0, n_freq = 0;
  std::vector<cfloat> a;           // the sinogram
  std::vector<cfloat> flip_coef;   // spline coefficients of the flipped rows, times (-1)^v
  std::vector<cfloat> comp_phase;  // the up-down flip's spectrum is comp_phase[v] conj(a)
  std::vector<float> weight;       // the mask, folded onto the half spectrum
  std::vector<std::size_t> reach;  // per row: the weight is 0 farther than this from DC
};

// Column transforms (length 2 n_rows, the lower half zero) of the sinogram: rows v = 0..n_rows.
void column_spectra(ConstImage sino, VoSpectra& s) {
  const std::size_t h = 2 * s.n_rows, n_freq = s.n_freq, n = s.n_cols;
  constexpr std::size_t kCols = 16;
  const long n_blocks = static_cast<long>((n + kCols - 1) / kCols);
  const FftPlan& plan = FftPlan::r2c_1d(h, kCols);
#pragma omp parallel
  {
    auto in = fft_alloc<float>(kCols * h);
    auto out = fft_alloc<cfloat>(kCols * n_freq);
#pragma omp for schedule(static)
    for (long b = 0; b < n_blocks; ++b) {
      const std::size_t j0 = static_cast<std::size_t>(b) * kCols;
      const std::size_t cols = std::min(kCols, n - j0);
      std::fill(in.get(), in.get() + kCols * h, 0.0f);
      for (std::size_t k = 0; k < cols; ++k)
        for (std::size_t m = 0; m < s.n_rows; ++m)
          in[k * h + m] = sino(m, j0 + k);
      plan.execute(in.get(), out.get());
      for (std::size_t k = 0; k < cols; ++k)
        for (std::size_t v = 0; v < n_freq; ++v)
          s.a[v * n + j0 + k] = out[k * n_freq + v];
    }
  }
}

// The spline coefficients of every flipped spectrum row times (-1)^v (the shifted half sits
// n_rows rows down in the stacked array); the up-down flip's spectrum is conj(a) times a phase.
void flipped_coefficients(VoSpectra& s) {
  const std::size_t n = s.n_cols, h = 2 * s.n_rows;
  s.flip_coef.resize(s.n_freq * n);
  s.comp_phase.resize(s.n_freq);
#pragma omp parallel
  {
    std::vector<double> re(n), im(n);
#pragma omp for schedule(static)
    for (long vl = 0; vl < static_cast<long>(s.n_freq); ++vl) {
      const auto v = static_cast<std::size_t>(vl);
      const double sign = v % 2 == 0 ? 1.0 : -1.0;
      for (std::size_t j = 0; j < n; ++j) {
        const cfloat x = s.a[v * n + (n - 1 - j)];
        re[j] = sign * x.real();
        im[j] = sign * x.imag();
      }
      spline_prefilter_mirror(re.data(), n);
      spline_prefilter_mirror(im.data(), n);
      for (std::size_t j = 0; j < n; ++j)
        s.flip_coef[v * n + j] = cfloat(static_cast<float>(re[j]), static_cast<float>(im[j]));
      // Up-down flip: sum_m x[n_rows-1-m] w^(m v) = w^((n_rows-1) v) conj(A[v]), w = e^(-2 pi i/h).
      const double phase = -2.0 * kPi * static_cast<double>((s.n_rows - 1) * v % h) / double(h);
      s.comp_phase[v] = cfloat(static_cast<float>(sign * std::cos(phase)),
                               static_cast<float>(sign * std::sin(phase)));
    }
  }
}

// How a shift of the flipped half makes the stacked rows (cuda::VoShift): the columns the shift
// leaves empty, whether it is whole, and its cubic-spline taps.
cuda::VoShift shift_plan(double shift, std::size_t n) {
  const long nl = static_cast<long>(n);
  cuda::VoShift sh;
  // Columns the shift leaves empty take the up-down flipped sinogram's (Algotom's overwrite).
  sh.left = static_cast<long>(std::min<double>(nl, shift >= 0 ? std::ceil(shift) : 0));
  sh.right = static_cast<long>(std::min<double>(nl, shift < 0 ? -std::floor(shift) : 0));
  sh.integer = shift == std::floor(shift);
  if (sh.integer) sh.rounded = std::lround(shift);
  const CubicTaps taps = cubic_shift_taps(shift);
  sh.offset = taps.offset;
  for (int h = 0; h < 4; ++h)
    sh.weight[h] = static_cast<float>(taps.weight[h]);
  return sh;
}

// The stacked array's row v of the column spectra for a shift of the flipped half.
void stacked_row(const VoSpectra& s, std::size_t v, const cuda::VoShift& sh, cfloat* out) {
  const std::size_t n = s.n_cols;
  const long nl = static_cast<long>(n);
  const cfloat* a = s.a.data() + v * n;
  const cfloat* coef = s.flip_coef.data() + v * n;
  const auto left = static_cast<std::size_t>(sh.left);
  const auto right = static_cast<std::size_t>(sh.right);
  const cfloat ph = s.comp_phase[v];
  for (std::size_t j = 0; j < left; ++j)
    out[j] = a[j] + ph * std::conj(a[j]);
  for (std::size_t j = n - right; j < n; ++j)
    out[j] = a[j] + ph * std::conj(a[j]);
  const float sign = v % 2 == 0 ? 1.0f : -1.0f;
  if (sh.integer) {  // flip[j - shift] = a[n - 1 - j + shift]
    for (std::size_t j = left; j < n - right; ++j)
      out[j] =
          a[j] + sign * a[static_cast<std::size_t>(nl - 1 - static_cast<long>(j) + sh.rounded)];
    return;
  }
  const float w0 = sh.weight[0], w1 = sh.weight[1], w2 = sh.weight[2], w3 = sh.weight[3];
  // Interior columns read taps j + offset .. j + offset + 3 inside the row: as interleaved
  // floats the loop vectorises; the few columns near the ends mirror their taps.
  const long in_lo = std::max<long>(static_cast<long>(left), -sh.offset);
  const long in_hi =
      std::max(in_lo, std::min<long>(static_cast<long>(n - right), nl - 3 - sh.offset));
  const float* af = reinterpret_cast<const float*>(a);
  const float* cf = reinterpret_cast<const float*>(coef);
  const long o = 2 * sh.offset;  // float offset of tap 0
  float* of = reinterpret_cast<float*>(out);
  for (long i = 2 * in_lo; i < 2 * in_hi; ++i)
    of[i] = af[i] + w0 * cf[i + o] + w1 * cf[i + o + 2] + w2 * cf[i + o + 4] + w3 * cf[i + o + 6];
  auto edge = [&](long j) {
    const long first = j + sh.offset;
    out[j] = a[j] + w0 * coef[mirror_index(first, nl)] + w1 * coef[mirror_index(first + 1, nl)] +
             w2 * coef[mirror_index(first + 2, nl)] + w3 * coef[mirror_index(first + 3, nl)];
  };
  for (long j = static_cast<long>(left); j < in_lo; ++j)
    edge(j);
  for (long j = in_hi; j < static_cast<long>(n - right); ++j)
    edge(j);
}

// Sum over spectrum rows [v0, v1) of |F| times the mask weight, for one shift.
double block_metric(const VoSpectra& s, const cuda::VoShift& sh, std::size_t v0, std::size_t v1,
                    cfloat* rows, cfloat* spectrum) {
  const std::size_t n = s.n_cols, count = v1 - v0;
  for (std::size_t v = v0; v < v1; ++v)
    stacked_row(s, v, sh, rows + (v - v0) * n);
  FftPlan::c2c_1d(n, count, true).execute(rows, spectrum);
  double sum = 0.0;
  for (std::size_t v = v0; v < v1; ++v) {
    // The weight is 0 beyond +-reach[v] columns of DC: only those columns need a magnitude.
    const std::size_t k = std::min(s.reach[v], n - 1);
    const float* w = s.weight.data() + v * n;
    const float* f = reinterpret_cast<const float*>(spectrum + (v - v0) * n);
    double row_sum = 0.0;
    auto add = [&](std::size_t u0, std::size_t u1) {
      for (std::size_t u = u0; u < u1; ++u)
        row_sum += w[u] * std::sqrt(f[2 * u] * f[2 * u] + f[2 * u + 1] * f[2 * u + 1]);
    };
    add(0, k + 1);
    add(std::max(k + 1, n - k), n);
    sum += row_sum;
  }
  return sum;
}

// Algotom's make_inverse_double_wedge_mask on the fftshifted (2 n_rows) x n_cols spectrum,
// folded onto the half spectrum: weight(v, u) = mask(v, u) + mask(-v, -u) for 0 < v < n_rows.
void mask_weights(VoSpectra& s, double radius, std::optional<int> hor_drop,
                  std::optional<int> ver_drop) {
  const long h = static_cast<long>(2 * s.n_rows), w = static_cast<long>(s.n_cols);
  const double du = 1.0 / static_cast<double>(w);
  const double dv = (static_cast<double>(h) - 1.0) / (static_cast<double>(h) * 2.0 * kPi);
  const long ndrop = hor_drop
                         ? std::clamp<long>(*hor_drop, 1, h / 3)
                         : std::min<long>(20, static_cast<long>(0.05 * static_cast<double>(h)));
  const long vdrop = ver_drop ? std::clamp<long>(*ver_drop, 1, w / 3) : 1;
  const long yc = h / 2, xc = w / 2;  // DC after fftshift: ceil((len - 1) / 2)
  std::vector<std::uint8_t> mask(static_cast<std::size_t>(h * w), 0);
  for (long i = 0; i < h; ++i) {
    if (std::abs(i - yc) <= ndrop) continue;
    const auto num = static_cast<long>(std::ceil((static_cast<double>(i - yc) * dv / radius) / du));
    const long p1 = std::clamp(xc - std::abs(num), 0L, w - 1);
    const long p2 = std::clamp(xc + std::abs(num), 0L, w - 1);
    for (long j = p1; j <= p2; ++j)
      if (std::abs(j - xc) > vdrop) mask[static_cast<std::size_t>(i * w + j)] = 1;
  }
  // Unshifted frequency (v, u) sits at shifted (v + yc, u + xc) modulo the size.
  auto at = [&](long v, long u) {
    return mask[static_cast<std::size_t>(((v % h + h + yc) % h) * w + (u % w + w + xc) % w)];
  };
  s.weight.assign(s.n_freq * s.n_cols, 0.0f);
  s.reach.assign(s.n_freq, 0);
  for (long v = 0; v < static_cast<long>(s.n_freq); ++v) {
    const bool self_paired = v == 0 || v == h / 2;
    for (long u = 0; u < w; ++u) {
      const int m = at(v, u) + (self_paired ? 0 : at(-v, -u));
      s.weight[static_cast<std::size_t>(v * w + u)] = static_cast<float>(m);
      const auto from_dc = static_cast<std::size_t>(std::min(u, w - u));
      if (m > 0)
        s.reach[static_cast<std::size_t>(v)] =
            std::max(s.reach[static_cast<std::size_t>(v)], from_dc);
    }
  }
}

VoSpectra make_spectra(ConstImage sino, double ratio, std::optional<int> hor_drop,
                       std::optional<int> ver_drop) {
  VoSpectra s;
  s.n_rows = sino.extent(0);
  s.n_cols = sino.extent(1);
  s.n_freq = s.n_rows + 1;
  s.a.resize(s.n_freq * s.n_cols);
  column_spectra(sino, s);
  flipped_coefficients(s);
  mask_weights(s, 0.5 * ratio * static_cast<double>(s.n_cols), hor_drop, ver_drop);
  return s;
}

// Runs block(candidate, v0, v1, buffer_a, buffer_b) over every (candidate, block of spectrum
// rows) in parallel and sums each candidate's blocks in order; buffers hold kBlockRows x
// buffer_cols values. Returns the means over all 2 n_rows x n_cols spectrum elements.
template <typename Block>
std::vector<double> sum_blocks(const VoSpectra& s, std::size_t n_candidates,
                               std::size_t buffer_cols, const Block& block) {
  const std::size_t n_blocks = (s.n_freq + kBlockRows - 1) / kBlockRows;
  // Plans are made here, not in the parallel loop, where an exception could not propagate.
  for (std::size_t rows : {kBlockRows, s.n_freq - (n_blocks - 1) * kBlockRows})
    FftPlan::c2c_1d(s.n_cols, rows, true);
  const std::size_t n_tasks = n_candidates * n_blocks;
  std::vector<double> partial(n_tasks);
#pragma omp parallel
  {
    auto buffer_a = fft_alloc<cfloat>(kBlockRows * buffer_cols);
    auto buffer_b = fft_alloc<cfloat>(kBlockRows * buffer_cols);
#pragma omp for schedule(dynamic, 1)
    for (long t = 0; t < static_cast<long>(n_tasks); ++t) {
      const std::size_t c = static_cast<std::size_t>(t) / n_blocks;
      const std::size_t v0 = (static_cast<std::size_t>(t) % n_blocks) * kBlockRows;
      const std::size_t v1 = std::min(v0 + kBlockRows, s.n_freq);
      partial[static_cast<std::size_t>(t)] = block(c, v0, v1, buffer_a.get(), buffer_b.get());
    }
  }
  const double count = 2.0 * static_cast<double>(s.n_rows) * static_cast<double>(s.n_cols);
  std::vector<double> out(n_candidates, 0.0);
  for (std::size_t c = 0; c < n_candidates; ++c) {
    for (std::size_t b = 0; b < n_blocks; ++b)
      out[c] += partial[c * n_blocks + b];
    out[c] /= count;
  }
  return out;
}

// Algotom's metric (calculate_center_metric) at each centre, on the CPU or on the CUDA device
// the parameters name.
std::vector<double> metrics(const VoSpectra& s, std::span<const double> centres,
                            const CenterVoParams& p) {
  const double mid = 0.5 * (static_cast<double>(s.n_cols) - 1.0);
  std::vector<cuda::VoShift> shifts;
  shifts.reserve(centres.size());
  for (double c : centres)
    shifts.push_back(shift_plan(2.0 * (c - mid), s.n_cols));
  if (p.use_cuda) {
    cuda::VoSpectraRef ref;
    ref.n_rows = s.n_rows;
    ref.n_cols = s.n_cols;
    ref.n_freq = s.n_freq;
    ref.a = s.a.data();
    ref.flip_coef = s.flip_coef.data();
    ref.comp_phase = s.comp_phase.data();
    ref.weight = s.weight.data();
    ref.reach = s.reach.data();
    return cuda::vo_metrics(ref, shifts, p.cuda_index);
  }
  return sum_blocks(s, centres.size(), s.n_cols,
                    [&](std::size_t c, std::size_t v0, std::size_t v1, cfloat* a, cfloat* b) {
                      return block_metric(s, shifts[c], v0, v1, a, b);
                    });
}

void check_sinogram(ConstImage sino) {
  const std::size_t n_rows = sino.extent(0), n_cols = sino.extent(1);
  XCT_CHECK(n_rows >= 2, ErrorKind::BadData, "the centre search needs at least 2 angles, got ",
            n_rows);
  XCT_CHECK(n_cols >= 3, ErrorKind::BadData, "the centre search needs at least 3 columns, got ",
            n_cols);
  float lo = sino(0, 0), hi = sino(0, 0);
  for (std::size_t i = 0; i < n_rows; ++i) {
    for (std::size_t j = 0; j < n_cols; ++j) {
      const float v = sino(i, j);
      XCT_CHECK(std::isfinite(v), ErrorKind::BadData, "the sinogram holds a non-finite value at (",
                i, ", ", j, ")");
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  XCT_CHECK(hi > lo, ErrorKind::BadData,
            "the sinogram is constant: no structure to align for the centre of rotation");
}

// Algotom's downsample_cor: block means, along columns first, in float.
HostArray<float, 2> block_mean(ConstImage in, std::size_t f_rows, std::size_t f_cols) {
  f_rows = std::clamp<std::size_t>(f_rows, 1, std::max<std::size_t>(1, in.extent(0) / 2));
  f_cols = std::clamp<std::size_t>(f_cols, 1, std::max<std::size_t>(1, in.extent(1) / 2));
  const std::size_t rows = in.extent(0) / f_rows, cols = in.extent(1) / f_cols;
  HostArray<float, 2> out({rows, cols});
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float total = 0.0f;
      for (std::size_t i = 0; i < f_rows; ++i) {
        float row_sum = 0.0f;
        for (std::size_t j = 0; j < f_cols; ++j)
          row_sum += in(r * f_rows + i, c * f_cols + j);
        total += row_sum / static_cast<float>(f_cols);
      }
      out(r, c) = total / static_cast<float>(f_rows);
    }
  }
  return out;
}

HostArray<float, 2> smoothed(ConstImage in, double sigma_rows, double sigma_cols) {
  HostArray<float, 2> out({in.extent(0), in.extent(1)});
  gaussian_filter(in, out.view(), sigma_rows, sigma_cols);
  return out;
}

std::size_t argmin(const std::vector<double>& v) {
  return static_cast<std::size_t>(std::min_element(v.begin(), v.end()) - v.begin());
}

void check_params(const CenterVoParams& p, double last, double start, double stop) {
  XCT_CHECK(
      std::isfinite(start) && std::isfinite(stop) && start >= 0 && stop <= last && start <= stop,
      ErrorKind::Usage, "centre search range [", start, ", ", stop,
      "] must lie within the detector [0, ", last, "] with start <= stop");
  XCT_CHECK(std::isfinite(p.step) && p.step > 0, ErrorKind::Usage,
            "centre search step must be positive, got ", p.step);
  XCT_CHECK(std::isfinite(p.radius) && p.radius >= 0, ErrorKind::Usage,
            "centre search radius must not be negative, got ", p.radius);
  XCT_CHECK(p.radius / p.step < 1e5, ErrorKind::Usage, "centre search radius ", p.radius,
            " over step ", p.step, " gives too many candidates");
  XCT_CHECK(std::isfinite(p.ratio) && p.ratio > 0, ErrorKind::Usage,
            "centre search ratio must be positive, got ", p.ratio);
}

// Fine candidates: NumPy's arange(-radius, radius + step, step) around `middle`, clipped to
// the detector.
std::vector<double> fine_candidates(double middle, double radius, double step, double last) {
  const auto count = static_cast<std::size_t>(std::ceil((2.0 * radius + step) / step));
  std::vector<double> c(count);
  for (std::size_t k = 0; k < count; ++k)
    c[k] = std::clamp(middle + (-radius + static_cast<double>(k) * step), 0.0, last);
  return c;
}

// Algotom's column down-sampling factor for the coarse search.
double coarse_factor(const CenterVoParams& p, std::size_t n_cols) {
  return p.downsample && n_cols > 1000 ? static_cast<double>(n_cols / 640) : 1.0;
}

// Coarse search: integer centres on the sinogram denoised along the angles and, for large
// sinograms, block-averaged (Algotom's dsp). Fills result.coarse and at_edge; returns the
// middle of the fine search (Algotom centres it on c dsp + dsp / 2 when it down-samples, even
// with dsp 1).
double coarse_search(ConstImage sino, const CenterVoParams& p, CenterResult& result) {
  const std::size_t n_rows = sino.extent(0), n_cols = sino.extent(1);
  const double dsp = coarse_factor(p, n_cols);
  const std::size_t dsp_rows = p.downsample && n_rows > 1000 ? n_rows / 900 : 1;
  HostArray<float, 2> coarse_sino = smoothed(sino, 3.0, 1.0);
  if (p.downsample)
    coarse_sino = block_mean(coarse_sino.cview(), dsp_rows, static_cast<std::size_t>(dsp));
  const double coarse_last = static_cast<double>(coarse_sino.extent(1)) - 1.0;
  double c0 = result.range_start, c1 = result.range_stop;
  if (p.downsample) {
    c0 = std::floor(c0 / dsp);
    c1 = std::ceil(c1 / dsp);
  }
  std::vector<double> coarse;
  for (auto c = static_cast<long>(std::clamp(c0, 0.0, coarse_last));
       c <= static_cast<long>(std::clamp(c1, 0.0, coarse_last)); ++c)
    coarse.push_back(static_cast<double>(c));
  result.coarse.metrics =
      metrics(make_spectra(coarse_sino.cview(), p.ratio, p.hor_drop, p.ver_drop), coarse, p);
  const std::size_t best = argmin(result.coarse.metrics);
  result.at_edge = coarse.size() > 1 && (best == 0 || best + 1 == coarse.size());
  // A coarse candidate c stands for the block of full-resolution columns it averages.
  for (double c : coarse)
    result.coarse.centres.push_back(c * dsp + 0.5 * (dsp - 1.0));
  return p.downsample ? coarse[best] * dsp + 0.5 * dsp : coarse[best];
}

}  // namespace

std::vector<double> center_vo_metrics(ConstImage sino180, std::span<const double> centres,
                                      const CenterVoParams& params) {
  check_sinogram(sino180);
  XCT_CHECK(std::isfinite(params.ratio) && params.ratio > 0, ErrorKind::Usage,
            "ratio must be positive");
  for (double c : centres)
    XCT_CHECK(std::isfinite(c) && c >= 0 && c <= static_cast<double>(sino180.extent(1)) - 1,
              ErrorKind::Usage, "candidate centre ", c, " lies outside the detector");
  return metrics(make_spectra(sino180, params.ratio, params.hor_drop, params.ver_drop), centres,
                 params);
}

std::vector<double> center_vo_metrics(ConstImage sino180, std::span<const double> centres,
                                      double ratio, std::optional<int> hor_drop,
                                      std::optional<int> ver_drop) {
  CenterVoParams p;
  p.ratio = ratio;
  p.hor_drop = hor_drop;
  p.ver_drop = ver_drop;
  return center_vo_metrics(sino180, centres, p);
}

CenterResult find_center_vo(ConstImage sino180, const CenterVoParams& p) {
  check_sinogram(sino180);
  const std::size_t n_cols = sino180.extent(1);
  const double last = static_cast<double>(n_cols) - 1.0;
  CenterResult result;
  result.method = "vo";
  result.range_start = p.start.value_or(0.25 * static_cast<double>(n_cols));
  result.range_stop = p.stop.value_or(0.75 * static_cast<double>(n_cols));
  check_params(p, last, result.range_start, result.range_stop);
  const double middle = coarse_search(sino180, p, result);
  // Fine search around the coarse minimum, on the full sinogram denoised in both directions.
  const double dsp = coarse_factor(p, n_cols);
  const double radius = p.downsample ? std::max(p.radius, dsp) : p.radius;
  result.fine.centres = fine_candidates(middle, radius, p.step, last);
  const HostArray<float, 2> fine_sino = smoothed(sino180, 2.0, 2.0);
  const VoSpectra fine = make_spectra(fine_sino.cview(), p.ratio, p.hor_drop, p.ver_drop);
  result.fine.metrics = metrics(fine, result.fine.centres, p);
  const auto [lo, hi] = std::minmax_element(result.fine.metrics.begin(), result.fine.metrics.end());
  XCT_CHECK(*hi > *lo || result.fine.metrics.size() == 1, ErrorKind::BadData,
            "the centre metric is flat: no structure to align for the centre of rotation");
  result.vo_centre = result.fine.centres[argmin(result.fine.metrics)];
  result.centre =
      p.refine ? refine_vo_centre(result.fine, static_cast<double>(n_cols)) : result.vo_centre;
  return result;
}

}  // namespace xct::recon
