#include "recon/center_refine.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

namespace xct::recon {

namespace {

// Sub-pixel refinement of the fine search (docs/centre.md). Candidates whose flipped half needs
// the same fractional shift share the spline's smoothing and edge treatment, so each such
// group traces a smooth curve, while the groups sit at different levels (the unshifted one
// lowest): Algotom's argmin therefore prefers the half-pixel grid. Each group's minimum is
// refined by a least-squares parabola through up to kRefineHalf neighbours on each side, and
// the groups' vertices are averaged.
constexpr std::size_t kRefineHalf = 2;

// Vertex of the least-squares parabola through (x[i], y[i]), i in idx; nullopt unless convex.
std::optional<double> parabola_vertex(const std::vector<double>& x, const std::vector<double>& y,
                                      const std::vector<std::size_t>& idx, double x0) {
  double s[5] = {0, 0, 0, 0, 0}, t[3] = {0, 0, 0};  // sums of d^k and of d^k y
  for (std::size_t i : idx) {
    const double d = x[i] - x0;
    double dk = 1.0;
    for (int k = 0; k < 5; ++k, dk *= d) {
      s[k] += dk;
      if (k < 3) t[k] += dk * y[i];
    }
  }
  // Normal equations for y = c0 + c1 d + c2 d^2, by Cramer's rule.
  auto det = [](double a, double b, double c, double d, double e, double f, double g, double h,
                double i) {
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  };
  const double m = det(s[0], s[1], s[2], s[1], s[2], s[3], s[2], s[3], s[4]);
  if (std::abs(m) < 1e-300) return std::nullopt;
  const double c1 = det(s[0], t[0], s[2], s[1], t[1], s[3], s[2], t[2], s[4]) / m;
  const double c2 = det(s[0], s[1], t[0], s[1], s[2], t[1], s[2], s[3], t[2]) / m;
  if (!(c2 > 0.0)) return std::nullopt;
  return x0 - c1 / (2.0 * c2);
}

}  // namespace

double refine_vo_centre(const CenterCurve& fine, double n_cols) {
  const double mid = 0.5 * (n_cols - 1.0);
  // Groups by the fractional part of the flipped half's shift 2 (c - mid).
  std::vector<std::pair<double, std::vector<std::size_t>>> groups;
  for (std::size_t i = 0; i < fine.centres.size(); ++i) {
    const double shift = 2.0 * (fine.centres[i] - mid);
    const double frac = std::round((shift - std::floor(shift)) * 1e6) / 1e6;
    auto g = std::find_if(groups.begin(), groups.end(), [&](auto& e) { return e.first == frac; });
    if (g == groups.end()) g = groups.insert(groups.end(), {frac, {}});
    g->second.push_back(i);
  }
  double sum = 0.0;
  for (const auto& [frac, idx] : groups) {
    std::size_t k = 0;  // position of the group's minimum within the group
    for (std::size_t j = 1; j < idx.size(); ++j)
      if (fine.metrics[idx[j]] < fine.metrics[idx[k]]) k = j;
    const double best = fine.centres[idx[k]];
    double estimate = best;
    if (k > 0 && k + 1 < idx.size()) {
      const std::size_t lo = k >= kRefineHalf ? k - kRefineHalf : 0;
      const std::size_t hi = std::min(idx.size() - 1, k + kRefineHalf);
      const std::vector<std::size_t> near(idx.begin() + lo, idx.begin() + hi + 1);
      const double spacing = fine.centres[idx[k + 1]] - best;
      if (auto v = parabola_vertex(fine.centres, fine.metrics, near, best))
        estimate = std::clamp(*v, best - spacing, best + spacing);
    }
    sum += estimate;
  }
  return sum / static_cast<double>(groups.size());
}

}  // namespace xct::recon
