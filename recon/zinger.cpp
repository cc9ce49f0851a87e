#include "recon/zinger.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "core/error.hpp"

namespace xct::recon {

namespace {

// The 8-neighbour mean at distance s of row r, with circular wrap-around like np.roll: from
// the vertical three-tap sums of rows r - s, r, r + s, the sum at c - s, c, c + s less the
// centre sample. A mean of exactly 0 becomes 1, as in Algotom.
void neighbour_mean_row(const float* src, std::ptrdiff_t rows, std::ptrdiff_t cols,
                        std::ptrdiff_t s, std::ptrdiff_t r, float* colsum, float* mean) {
  const auto wrap = [](std::ptrdiff_t i, std::ptrdiff_t n) { return ((i % n) + n) % n; };
  const float* up = src + wrap(r - s, rows) * cols;
  const float* mid = src + r * cols;
  const float* down = src + wrap(r + s, rows) * cols;
  for (std::ptrdiff_t c = 0; c < cols; ++c)
    colsum[c] = up[c] + mid[c] + down[c];
  const auto at = [&](std::ptrdiff_t c) {
    const float v = (colsum[wrap(c - s, cols)] + colsum[c] + colsum[wrap(c + s, cols)] - mid[c]);
    return v * 0.125f;
  };
  const std::ptrdiff_t lo = std::min(s, cols), hi = std::max(lo, cols - s);
  for (std::ptrdiff_t c = 0; c < lo; ++c)
    mean[c] = at(c);
  for (std::ptrdiff_t c = lo; c < hi; ++c)  // no wrap-around: vectorises
    mean[c] = (colsum[c - s] + colsum[c] + colsum[c + s] - mid[c]) * 0.125f;
  for (std::ptrdiff_t c = hi; c < cols; ++c)
    mean[c] = at(c);
  for (std::ptrdiff_t c = 0; c < cols; ++c)
    mean[c] = mean[c] == 0.0f ? 1.0f : mean[c];
}

// Algotom's size check: label 4-connected regions of the mask; a region is kept when the mask
// pixels inside its bounding box number at most `max_size`.
void select_small(std::vector<unsigned char>& mask, std::ptrdiff_t rows, std::ptrdiff_t cols,
                  std::size_t max_size) {
  std::vector<int> label(mask.size(), 0);
  std::vector<unsigned char> keep(mask.size(), 0);
  std::vector<std::ptrdiff_t> todo;
  int next = 0;
  for (std::ptrdiff_t start = 0; start < rows * cols; ++start) {
    if (!mask[start] || label[start]) continue;
    ++next;
    std::ptrdiff_t r0 = rows, r1 = -1, c0 = cols, c1 = -1;
    todo.assign(1, start);
    label[start] = next;
    while (!todo.empty()) {
      const std::ptrdiff_t i = todo.back();
      todo.pop_back();
      const std::ptrdiff_t r = i / cols, c = i % cols;
      r0 = std::min(r0, r), r1 = std::max(r1, r), c0 = std::min(c0, c), c1 = std::max(c1, c);
      const std::ptrdiff_t nb[4] = {r > 0 ? i - cols : -1, r + 1 < rows ? i + cols : -1,
                                    c > 0 ? i - 1 : -1, c + 1 < cols ? i + 1 : -1};
      for (std::ptrdiff_t j : nb)
        if (j >= 0 && mask[j] && !label[j]) {
          label[j] = next;
          todo.push_back(j);
        }
    }
    std::size_t in_box = 0;
    for (std::ptrdiff_t r = r0; r <= r1; ++r)
      for (std::ptrdiff_t c = c0; c <= c1; ++c)
        in_box += mask[r * cols + c];
    if (in_box <= max_size)
      for (std::ptrdiff_t r = r0; r <= r1; ++r)
        for (std::ptrdiff_t c = c0; c <= c1; ++c)
          keep[r * cols + c] |= mask[r * cols + c];
  }
  mask.swap(keep);
}

}  // namespace

std::size_t remove_zinger(ConstImage in, Image out, const ZingerParams& params) {
  XCT_CHECK(in.is_contiguous() && out.is_contiguous() && in.shape() == out.shape(),
            ErrorKind::Internal, "remove_zinger: input and output differ in shape");
  XCT_CHECK(params.size >= 1, ErrorKind::Usage, "zinger size must be at least 1 pixel");
  XCT_CHECK(std::isfinite(params.threshold) && params.threshold > 0, ErrorKind::Usage,
            "zinger threshold must be a positive number");
  const auto rows = static_cast<std::ptrdiff_t>(in.extent(0));
  const auto cols = static_cast<std::ptrdiff_t>(in.extent(1));
  if (rows == 0 || cols == 0) return 0;
  // Neighbours are read from the input while the output is written: in place needs a copy.
  HostArray<float, 2> copy;
  const float* src = in.data();
  if (in.data() == out.data()) {
    copy = HostArray<float, 2>(in.shape());
    std::copy_n(in.data(), in.size(), copy.data());
    src = copy.data();
  }
  const auto s = static_cast<std::ptrdiff_t>(params.size);
  const auto threshold = static_cast<float>(params.threshold);
  float* dst = out.data();
  std::vector<unsigned char> mask(params.check_size ? in.size() : 0);
  std::vector<float> means(params.check_size ? in.size() : 0);
  std::size_t replaced = 0, nonfinite = 0;
#pragma omp parallel reduction(+ : replaced, nonfinite)
  {
    std::vector<float> mean(static_cast<std::size_t>(cols)), colsum(mean.size());
#pragma omp for schedule(static)
    for (std::ptrdiff_t r = 0; r < rows; ++r) {
      neighbour_mean_row(src, rows, cols, s, r, colsum.data(), mean.data());
      const float* x = src + r * cols;
      const float* up = src + ((r - s) % rows + rows) % rows * cols;
      const float* down = src + (r + s) % rows * cols;
      float* y = dst + r * cols;
      std::size_t hits = 0, bad = 0;
      for (std::ptrdiff_t c = 0; c < cols; ++c) {
        bad += !(x[c] - x[c] == 0.0f);  // NaN or Inf
        const float column = params.frame_check ? 0.5f * (up[c] + down[c]) : 0.0f;
        const bool hit = x[c] / mean[c] - 1.0f > threshold &&
                         (!params.frame_check || x[c] - column > threshold * column);
        hits += hit;
        y[c] = hit && !params.check_size ? mean[c] : x[c];
        if (params.check_size) {  // replaced after the size check below
          mask[r * cols + c] = hit;
          means[r * cols + c] = mean[c];
        }
      }
      replaced += hits;
      nonfinite += bad;
    }
  }
  XCT_CHECK(nonfinite == 0, ErrorKind::BadData, "zinger removal input holds ", nonfinite,
            " NaN or Inf samples");
  if (!params.check_size) return replaced;
  select_small(mask, rows, cols, params.size);
  replaced = 0;
  for (std::size_t i = 0; i < in.size(); ++i)
    if (mask[i]) dst[i] = means[i], ++replaced;
  return replaced;
}

}  // namespace xct::recon
