#include "recon/half_turn.hpp"

#include <cmath>
#include <numbers>

#include "core/error.hpp"

namespace xct::recon {

HalfTurn first_half_turn(std::span<const double> a) {
  const std::size_t n = a.size();
  XCT_CHECK(n >= 2, ErrorKind::BadData, "the scan has ", n,
            " projection(s); the centre needs projections over 180 degrees");
  for (double v : a)
    XCT_CHECK(std::isfinite(v), ErrorKind::BadData, "the scan's angles hold NaN or Inf");
  HalfTurn h;
  h.decreasing = a[1] < a[0];
  const double sign = h.decreasing ? -1.0 : 1.0;
  for (std::size_t k = 1; k < n; ++k)
    XCT_CHECK(sign * (a[k] - a[k - 1]) > 0, ErrorKind::BadData,
              "the scan's angles are not strictly monotonic (projection ", k, ")");
  const double step = sign * (a[n - 1] - a[0]) / static_cast<double>(n - 1);
  const double pi = std::numbers::pi;
  std::size_t end = 1;
  while (end < n && sign * (a[end] - a[0]) <= pi + 0.5 * step)
    ++end;
  h.end = end;
  h.span_rad = sign * (a[end - 1] - a[0]);
  XCT_CHECK(h.span_rad >= pi - 1.01 * step, ErrorKind::BadData, "the scan's angles cover ",
            std::round(h.span_rad * 180 / pi * 100) / 100,
            " degrees; the centre and a parallel-beam reconstruction need 180");
  return h;
}

}  // namespace xct::recon
