#include "simulate/projector.hpp"

#include <cmath>

namespace xct::sim {

namespace {

constexpr double kCmPerUm = 1e-4;

// Objects whose bounding sphere meets the (cell-frame) plane of the rays of one detector row.
void row_candidates(const Scene& scene, const Pose& pose, double z, std::vector<int>& out) {
  out.clear();
  const Vec3 normal = pose.rotation.transposed() * Vec3{0, 0, 1};
  const Vec3 point = pose.to_cell(Vec3{0, 0, z});
  const auto& bounds = scene.bounds();
  for (int i = 0; i < static_cast<int>(bounds.size()); ++i) {
    if (std::abs(dot(bounds[i].centre - point, normal)) <= bounds[i].radius) out.push_back(i);
  }
}

}  // namespace

Ray detector_ray(const ProjectionGeometry& g, double theta, double u, double v) {
  const double s = u - g.centre;
  const double c = std::cos(theta), sn = std::sin(theta);
  return {{s * c, -s * sn, v}, {sn, c, 0}};
}

void project(const Scene& scene, const Pose& pose, const ProjectionGeometry& g, double theta,
             float* transmission, float* delta) {
  const int ss = g.supersample < 1 ? 1 : g.supersample;
  const double mu_scale = g.pixel_size_um * kCmPerUm;
  const double inv = 1.0 / (ss * ss);
  std::vector<int> candidates;
  std::vector<double> t_sum(g.n_cols), d_sum(g.n_cols);
  for (std::size_t v = 0; v < g.n_rows; ++v) {
    std::fill(t_sum.begin(), t_sum.end(), 0.0);
    std::fill(d_sum.begin(), d_sum.end(), 0.0);
    for (int sv = 0; sv < ss; ++sv) {
      const double z = static_cast<double>(v) + (sv + 0.5) / ss - 0.5;
      row_candidates(scene, pose, z, candidates);
      for (std::size_t u = 0; u < g.n_cols; ++u) {
        for (int su = 0; su < ss; ++su) {
          const double uu = static_cast<double>(u) + (su + 0.5) / ss - 0.5;
          const Ray ray = pose.to_cell(detector_ray(g, theta, uu, z));
          const Scene::Integrals in = scene.integrate(ray, &candidates);
          t_sum[u] += std::exp(-in.mu * mu_scale);
          d_sum[u] += in.delta;
        }
      }
    }
    for (std::size_t u = 0; u < g.n_cols; ++u) {
      transmission[v * g.n_cols + u] = static_cast<float>(t_sum[u] * inv);
      if (delta) delta[v * g.n_cols + u] = static_cast<float>(d_sum[u] * inv);
    }
  }
}

double line_integral(const Scene& scene, const Pose& pose, const ProjectionGeometry& g,
                     double theta, double u, double v) {
  const Ray ray = pose.to_cell(detector_ray(g, theta, u, v));
  return scene.integrate(ray).mu * g.pixel_size_um * kCmPerUm;
}

}  // namespace xct::sim
