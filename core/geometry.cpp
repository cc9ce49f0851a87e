#include "core/geometry.hpp"

#include <algorithm>
#include <cmath>

namespace xct {

AngleSummary summarize_angles(const std::vector<double>& a) {
  AngleSummary s;
  s.count = a.size();
  if (a.empty()) return s;
  s.first_rad = a.front();
  s.last_rad = a.back();
  if (a.size() < 2) return s;
  const double span = a.back() - a.front();
  s.mean_step_rad = span / static_cast<double>(a.size() - 1);
  for (std::size_t i = 1; i < a.size(); ++i) {
    const double step = a[i] - a[i - 1];
    s.max_step_deviation_rad = std::max(s.max_step_deviation_rad, std::abs(step - s.mean_step_rad));
    if ((step > 0) != (s.mean_step_rad > 0) || step == 0) s.monotonic = false;
  }
  const double step = std::abs(s.mean_step_rad);
  s.span_rad = std::abs(span);
  for (const double turn_deg : {180.0, 360.0}) {
    const double turn = deg_to_rad(turn_deg);
    if (std::abs(s.span_rad - turn) < 0.25 * step) {
      s.turn_deg = turn_deg;
      s.end_point_included = true;
    } else if (std::abs(s.span_rad + step - turn) < 0.25 * step) {
      s.turn_deg = turn_deg;
    }
  }
  return s;
}

bool angles_look_like_radians(const std::vector<double>& a) {
  if (a.size() < 8) return false;
  const auto [lo, hi] = std::minmax_element(a.begin(), a.end());
  const double span = *hi - *lo;
  // A scan of 8 or more angles in degrees spans at least a few degrees; in radians a full
  // turn is only 6.28. Spans below 7 with max |value| below 7 are read as radians.
  return span > 0 && span <= 2 * kPi + 0.5 && std::max(std::abs(*lo), std::abs(*hi)) <= 7.0;
}

std::vector<double> angle_range(double start, double stop, std::size_t count, bool endpoint) {
  std::vector<double> out(count);
  if (count == 0) return out;
  if (count == 1) {
    out[0] = start;
    return out;
  }
  const double div = endpoint ? static_cast<double>(count - 1) : static_cast<double>(count);
  const double step = (stop - start) / div;
  for (std::size_t i = 0; i < count; ++i)
    out[i] = start + step * static_cast<double>(i);
  if (endpoint) out.back() = stop;
  return out;
}

}  // namespace xct
