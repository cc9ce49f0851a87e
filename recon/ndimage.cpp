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

// Number of window samples below v (a branch-free count the compiler vectorises).
std::size_t count_below(const float* w, std::size_t size, float v) {
  std::uint32_t k = 0;
  for (std::size_t i = 0; i < size; ++i)
    k += w[i] < v ? 1u : 0u;
  return k;
}

// Median filter of one contiguous line with SciPy's window placement and "reflect" boundary:
// the window is kept sorted; each step finds the leaving and the entering sample's places by
// counting and shifts only the samples between them. `ext` holds n + size - 1 floats, `win`
// size floats.
void line_median(const float* in, float* out, std::size_t n, std::size_t size, float* ext,
                 float* win) {
  const auto left = static_cast<std::ptrdiff_t>(size / 2);
  for (std::size_t k = 0; k + 1 < n + size; ++k)
    ext[k] =
        in[reflect_index(static_cast<std::ptrdiff_t>(k) - left, static_cast<std::ptrdiff_t>(n))];
  std::copy(ext, ext + size, win);
  std::sort(win, win + size);
  const std::size_t mid = size / 2;
  out[0] = win[mid];
  for (std::size_t j = 1; j < n; ++j) {
    const float leaving = ext[j - 1], entering = ext[j + size - 1];
    if (leaving != entering) {
      const std::size_t i = count_below(win, size, leaving);  // leaving sits at win[i]
      const std::size_t p = count_below(win, size, entering);
      if (p <= i) {
        std::memmove(win + p + 1, win + p, (i - p) * sizeof(float));
        win[p] = entering;
      } else {
        std::memmove(win + i, win + i + 1, (p - 1 - i) * sizeof(float));
        win[p - 1] = entering;
      }
    }
    out[j] = win[mid];
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
  std::vector<float> ext(n + size), win(size);
  line_median(in, out, n, size, ext.data(), win.data());
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
    // Along each row, or down each column through a contiguous copy of it.
    const bool along_cols = size_rows == 1;
    const std::size_t size = along_cols ? size_cols : size_rows;
    const auto lines = along_cols ? rows : cols;
    const auto n = static_cast<std::size_t>(along_cols ? cols : rows);
#pragma omp parallel
    {
      std::vector<float> ext(n + size), win(size), line(along_cols ? 0 : n), res(line.size());
#pragma omp for schedule(static)
      for (std::ptrdiff_t l = 0; l < lines; ++l) {
        if (along_cols) {
          line_median(src + l * cols, dst + l * cols, n, size, ext.data(), win.data());
          continue;
        }
        for (std::size_t j = 0; j < n; ++j)
          line[j] = src[static_cast<std::ptrdiff_t>(j) * cols + l];
        line_median(line.data(), res.data(), n, size, ext.data(), win.data());
        for (std::size_t j = 0; j < n; ++j)
          dst[static_cast<std::ptrdiff_t>(j) * cols + l] = res[j];
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
