#include "recon/ndimage.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace xct::recon {

namespace {

void check_pair(ConstImage in, Image out) {
  XCT_CHECK(in.is_contiguous() && out.is_contiguous() && in.shape() == out.shape(),
            ErrorKind::Internal, "filter input and output must be contiguous and of one shape");
  XCT_CHECK(in.data() != out.data() || in.empty(), ErrorKind::Internal,
            "filter output must not alias its input");
}

std::vector<float> gaussian_taps(double sigma, std::ptrdiff_t& radius) {
  radius = static_cast<std::ptrdiff_t>(4.0 * sigma + 0.5);
  std::vector<double> w(static_cast<std::size_t>(2 * radius + 1));
  double sum = 0.0;
  for (std::ptrdiff_t k = -radius; k <= radius; ++k) {
    const double v = std::exp(-0.5 * static_cast<double>(k * k) / (sigma * sigma));
    w[static_cast<std::size_t>(k + radius)] = v;
    sum += v;
  }
  std::vector<float> taps(w.size());
  for (std::size_t i = 0; i < w.size(); ++i)
    taps[i] = static_cast<float>(w[i] / sum);
  return taps;
}

void copy_image(ConstImage in, Image out) {
  if (!in.empty()) std::memcpy(out.data(), in.data(), in.size() * sizeof(float));
}

}  // namespace

void gaussian_filter1d(ConstImage in, Image out, int axis, double sigma) {
  check_pair(in, out);
  if (!(sigma > 0.0)) return copy_image(in, out);
  std::ptrdiff_t radius = 0;
  const std::vector<float> taps = gaussian_taps(sigma, radius);
  const auto rows = static_cast<std::ptrdiff_t>(in.extent(0));
  const auto cols = static_cast<std::ptrdiff_t>(in.extent(1));
  const float* src = in.data();
  float* dst = out.data();
  if (axis == 0) {
    // Each output row is a weighted sum of whole input rows: vectorises across columns.
#pragma omp parallel for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      float* o = dst + r * cols;
      std::fill(o, o + cols, 0.0f);
      for (std::ptrdiff_t k = -radius; k <= radius; ++k) {
        const float w = taps[static_cast<std::size_t>(k + radius)];
        const float* s = src + reflect_index(r + k, rows) * cols;
        for (std::ptrdiff_t c = 0; c < cols; ++c)
          o[c] += w * s[c];
      }
    }
    return;
  }
  XCT_CHECK(axis == 1, ErrorKind::Internal, "gaussian_filter1d axis ", axis, " of a 2-D image");
#pragma omp parallel
  {
    std::vector<float> padded(static_cast<std::size_t>(cols + 2 * radius));
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      const float* s = src + r * cols;
      for (std::ptrdiff_t i = -radius; i < cols + radius; ++i)
        padded[static_cast<std::size_t>(i + radius)] = s[reflect_index(i, cols)];
      float* o = dst + r * cols;
      for (std::ptrdiff_t c = 0; c < cols; ++c) {
        float acc = 0.0f;
        const float* p = padded.data() + c;
        for (std::size_t k = 0; k < taps.size(); ++k)
          acc += taps[k] * p[k];
        o[c] = acc;
      }
    }
  }
}

void gaussian_filter(ConstImage in, Image out, double sigma_rows, double sigma_cols) {
  check_pair(in, out);
  if (!(sigma_rows > 0.0)) return gaussian_filter1d(in, out, 1, sigma_cols);
  if (!(sigma_cols > 0.0)) return gaussian_filter1d(in, out, 0, sigma_rows);
  HostArray<float, 2> tmp(in.shape());
  gaussian_filter1d(in, tmp.view(), 0, sigma_rows);
  gaussian_filter1d(tmp.cview(), out, 1, sigma_cols);
}

namespace {

// Median of a sliding window of `size` samples, kept sorted: each step removes the sample
// that leaves and inserts the one that enters, O(size) memory moves instead of a selection.
void sliding_median(const float* in, std::ptrdiff_t stride, float* out, std::ptrdiff_t n,
                    std::size_t size, std::vector<float>& window) {
  const auto left = static_cast<std::ptrdiff_t>(size / 2);
  const auto sz = static_cast<std::ptrdiff_t>(size);
  window.resize(size);
  for (std::ptrdiff_t t = 0; t < sz; ++t)
    window[static_cast<std::size_t>(t)] = in[reflect_index(t - left, n) * stride];
  std::sort(window.begin(), window.end());
  out[0] = window[size / 2];
  for (std::ptrdiff_t j = 1; j < n; ++j) {
    const float leaving = in[reflect_index(j - 1 - left, n) * stride];
    const float entering = in[reflect_index(j - left + sz - 1, n) * stride];
    if (leaving != entering) {
      auto it = std::lower_bound(window.begin(), window.end(), leaving);
      window.erase(it);
      window.insert(std::upper_bound(window.begin(), window.end(), entering), entering);
    }
    out[j] = window[size / 2];
  }
}

bool all_finite(ConstImage in) {
  const float* p = in.data();
  bool ok = true;
  for (std::size_t i = 0; i < in.size(); ++i)
    ok &= std::isfinite(p[i]);
  return ok;
}

}  // namespace

void median_filter1d(const float* in, float* out, std::size_t n, std::size_t size) {
  XCT_CHECK(size >= 1, ErrorKind::Usage, "median filter size must be at least 1");
  if (n == 0) return;
  std::vector<float> window;
  sliding_median(in, 1, out, static_cast<std::ptrdiff_t>(n), size, window);
}

void median_filter(ConstImage in, Image out, std::size_t size_rows, std::size_t size_cols) {
  check_pair(in, out);
  XCT_CHECK(size_rows >= 1 && size_cols >= 1, ErrorKind::Usage,
            "median filter sizes must be at least 1");
  // The sorted sliding window needs an ordering, which NaN breaks.
  XCT_CHECK(all_finite(in), ErrorKind::BadData, "median filter input holds NaN or Inf");
  const auto rows = static_cast<std::ptrdiff_t>(in.extent(0));
  const auto cols = static_cast<std::ptrdiff_t>(in.extent(1));
  if (rows == 0 || cols == 0) return;
  const float* src = in.data();
  float* dst = out.data();
  if (size_rows == 1 || size_cols == 1) {
    const bool along_cols = size_rows == 1;
    const std::size_t size = along_cols ? size_cols : size_rows;
    const std::ptrdiff_t lines = along_cols ? rows : cols;
    const std::ptrdiff_t n = along_cols ? cols : rows;
    const std::ptrdiff_t stride = along_cols ? 1 : cols;
#pragma omp parallel
    {
      std::vector<float> window;
      std::vector<float> line(static_cast<std::size_t>(n));
#pragma omp for schedule(static)
      for (std::ptrdiff_t l = 0; l < lines; ++l) {
        const float* s = along_cols ? src + l * cols : src + l;
        sliding_median(s, stride, line.data(), n, size, window);
        for (std::ptrdiff_t j = 0; j < n; ++j)
          dst[along_cols ? l * cols + j : j * cols + l] = line[static_cast<std::size_t>(j)];
      }
    }
    return;
  }
  // A full 2-D window: select the rank-(count/2) value of each gathered window.
  const auto left_r = static_cast<std::ptrdiff_t>(size_rows / 2);
  const auto left_c = static_cast<std::ptrdiff_t>(size_cols / 2);
  const std::size_t count = size_rows * size_cols;
#pragma omp parallel
  {
    std::vector<float> window(count);
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r)
      for (std::ptrdiff_t c = 0; c < cols; ++c) {
        std::size_t k = 0;
        for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(size_rows); ++i) {
          const float* s = src + reflect_index(r - left_r + i, rows) * cols;
          for (std::ptrdiff_t j = 0; j < static_cast<std::ptrdiff_t>(size_cols); ++j)
            window[k++] = s[reflect_index(c - left_c + j, cols)];
        }
        std::nth_element(window.begin(), window.begin() + count / 2, window.end());
        dst[r * cols + c] = window[count / 2];
      }
  }
}

void uniform_filter1d_rows(ConstImage in, Image out, std::size_t size) {
  check_pair(in, out);
  XCT_CHECK(size >= 1, ErrorKind::Usage, "uniform filter size must be at least 1");
  const auto rows = static_cast<std::ptrdiff_t>(in.extent(0));
  const auto cols = static_cast<std::ptrdiff_t>(in.extent(1));
  const auto left = static_cast<std::ptrdiff_t>(size / 2);
  const auto sz = static_cast<std::ptrdiff_t>(size);
  const float* src = in.data();
  float* dst = out.data();
  const double inv = 1.0 / static_cast<double>(size);
  // Running sums in double, one per column, as SciPy keeps them.
#pragma omp parallel
  {
    std::vector<double> acc;
#pragma omp for schedule(static)
    for (std::ptrdiff_t c0 = 0; c0 < cols; c0 += 256) {
      const std::ptrdiff_t c1 = std::min(cols, c0 + 256);
      acc.assign(static_cast<std::size_t>(c1 - c0), 0.0);
      for (std::ptrdiff_t t = 0; t < sz; ++t) {
        const float* s = src + reflect_index(t - left, rows) * cols;
        for (std::ptrdiff_t c = c0; c < c1; ++c)
          acc[static_cast<std::size_t>(c - c0)] += s[c];
      }
      for (std::ptrdiff_t r = 0; r < rows; ++r) {
        float* o = dst + r * cols;
        for (std::ptrdiff_t c = c0; c < c1; ++c)
          o[c] = static_cast<float>(acc[static_cast<std::size_t>(c - c0)] * inv);
        if (r + 1 == rows) break;
        const float* out_row = src + reflect_index(r - left, rows) * cols;
        const float* in_row = src + reflect_index(r + 1 - left + sz - 1, rows) * cols;
        for (std::ptrdiff_t c = c0; c < c1; ++c)
          acc[static_cast<std::size_t>(c - c0)] += static_cast<double>(in_row[c]) - out_row[c];
      }
    }
  }
}

}  // namespace xct::recon
