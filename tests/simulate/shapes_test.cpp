// The analytic ray-shape intersections against numeric integration along the same rays: the
// numeric side walks the ray with point-in-shape tests and locates each boundary by bisection,
// so it shares no code with the closed-form solutions.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "simulate/random.hpp"
#include "simulate/shapes.hpp"

namespace xct::sim {
namespace {

// Length of the ray inside the shape over t in [lo, hi], by stepping and bisection.
double numeric_length(const Shape& shape, const Ray& ray, double lo, double hi, int steps) {
  const double dt = (hi - lo) / steps;
  double total = 0, entered = lo;
  bool inside = shape.contains(ray.at(lo));
  for (int i = 1; i <= steps; ++i) {
    const double t = lo + i * dt;
    const bool now = shape.contains(ray.at(t));
    if (now == inside) continue;
    double a = t - dt, b = t;  // the boundary lies in (a, b]
    for (int k = 0; k < 60; ++k) {
      const double m = 0.5 * (a + b);
      (shape.contains(ray.at(m)) == inside ? a : b) = m;
    }
    const double edge = 0.5 * (a + b);
    if (inside) total += edge - entered;
    entered = edge;
    inside = now;
  }
  if (inside) total += hi - entered;
  return total;
}

// Random rays through a ball of radius `reach` about `centre`, in all directions.
Ray random_ray(Rng& rng, const Vec3& centre, double reach) {
  Vec3 d{rng.normal(), rng.normal(), rng.normal()};
  d = normalized(d);
  Vec3 a = std::abs(d.x) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
  const Vec3 e1 = normalized(cross(d, a)), e2 = cross(d, e1);
  const double r = reach * std::sqrt(rng.uniform()), phi = rng.uniform(0, 2 * std::numbers::pi);
  return {centre + e1 * (r * std::cos(phi)) + e2 * (r * std::sin(phi)) - d * (3 * reach), d};
}

// Horizontal rays, the ones the projector casts: every angle, offsets across the shape.
Ray horizontal_ray(double theta, double s, double z, double reach) {
  const double c = std::cos(theta), sn = std::sin(theta);
  return {Vec3{s * c, -s * sn, z} - Vec3{sn, c, 0} * (3 * reach), {sn, c, 0}};
}

void expect_exact(const Shape& shape, const Vec3& centre, double reach, int n_rays,
                  std::uint64_t seed) {
  Rng rng(seed);
  int hits = 0;
  for (int i = 0; i < n_rays; ++i) {
    const Ray ray = i % 2 == 0 ? random_ray(rng, centre, reach)
                               : horizontal_ray(rng.uniform(0, std::numbers::pi),
                                                centre.x + rng.uniform(-reach, reach),
                                                centre.z + rng.uniform(-reach, reach), reach);
    Spans s;
    shape.spans(ray, s);
    const double analytic = s.total_length();
    const double numeric = numeric_length(shape, ray, 0, 6 * reach, 20000);
    if (numeric > 1e-3) {
      ++hits;
      // Relative error of the analytic line integral.
      EXPECT_LT(std::abs(analytic - numeric) / numeric, 1e-4)
          << "ray " << i << ": analytic " << analytic << ", numeric " << numeric;
    } else {
      EXPECT_LT(analytic, 1e-3) << "ray " << i;
    }
  }
  // Most rays must cross the shape, or the test says little.
  EXPECT_GT(hits, n_rays / 4);
}

TEST(Spans, SetAlgebraOnIntervalLists) {
  Spans a, b;
  a.push(0, 4);
  a.push(6, 10);
  b.push(2, 7);
  b.push(9, 12);
  const Spans i = Spans::intersect(a, b);
  ASSERT_EQ(i.size(), 3);
  EXPECT_DOUBLE_EQ(i.total_length(), 2 + 1 + 1);
  const Spans d = Spans::subtract(a, b);
  ASSERT_EQ(d.size(), 2);
  EXPECT_DOUBLE_EQ(d[0].t1, 2);
  EXPECT_DOUBLE_EQ(d[1].t0, 7);
  EXPECT_DOUBLE_EQ(d[1].t1, 9);
  const Spans u = Spans::unite(a, b);
  ASSERT_EQ(u.size(), 1);
  EXPECT_DOUBLE_EQ(u[0].t0, 0);
  EXPECT_DOUBLE_EQ(u[0].t1, 12);
}

TEST(Shapes, SphereMatchesNumericIntegration) {
  const Vec3 c{3, -2, 10};
  expect_exact(*sphere(c, 7.5), c, 9, 300, 1);
}

TEST(Shapes, ChordOfSphereIsTheClosedForm) {
  // A chord at distance b from the centre has length 2 sqrt(r^2 - b^2).
  const auto s = sphere({0, 0, 0}, 5);
  Spans sp;
  s->spans(Ray{{-20, 3, 0}, {1, 0, 0}}, sp);
  EXPECT_NEAR(sp.total_length(), 8.0, 1e-12);
}

TEST(Shapes, RotatedEllipsoidMatchesNumericIntegration) {
  const Vec3 c{-4, 1, 5};
  const Mat3 axes = Mat3::rotation({1, 2, 0.5}, 0.7);
  expect_exact(*ellipsoid(c, {9, 4, 2.5}, axes), c, 5, 300, 2);
}

TEST(Shapes, TiltedCylinderMatchesNumericIntegration) {
  const Vec3 p0{-3, 2, 0}, p1{5, -1, 12};
  expect_exact(*cylinder(p0, p1, 3.2), (p0 + p1) * 0.5, 10, 300, 3);
}

TEST(Shapes, VerticalCylinderMatchesNumericIntegration) {
  expect_exact(*cylinder({0, 0, -10}, {0, 0, 10}, 20), {0, 0, 0}, 24, 300, 4);
}

TEST(Shapes, CrackShellMatchesNumericIntegration) {
  // The crack's construction: a spherical shell, cut by the pellet and a depth plane.
  const auto pellet = cylinder({0, 0, 0}, {0, 0, 30}, 40);
  const Vec3 c{70, 10, -10};
  const auto shell = subtract(sphere(c, 45), sphere(c, 43.5));
  const auto crack = intersect({shell, pellet, half_space({0, 0, 15}, {0, 0, 1})});
  expect_exact(*crack, {32, 5, 8}, 16, 400, 5);
}

TEST(Shapes, UnionAndMovedShapesMatchNumericIntegration) {
  const auto blob =
      unite({sphere({0, 0, 0}, 4), sphere({3, 0, 1}, 3), cylinder({0, 0, 0}, {6, 2, 0}, 1.5)});
  const auto moved_blob = moved(blob, Mat3::rotation({0, 1, 1}, 0.4), {1, 1, 1}, {2, -3, 0.5});
  expect_exact(*blob, {2, 0, 0}, 5, 300, 6);
  expect_exact(*moved_blob, {4, -3, 1.5}, 5, 300, 7);
}

TEST(Shapes, MovedShapeIsTheShapeMoved) {
  // A point inside the original, moved with the shape, is inside the moved shape.
  const auto s = ellipsoid({1, 2, 3}, {3, 2, 1});
  const Mat3 r = Mat3::rotation({0, 0, 1}, 0.5);
  const Vec3 pivot{0, 0, 0}, shift{4, 0, 0};
  const auto m = moved(s, r, pivot, shift);
  Rng rng(8);
  int inside = 0;
  for (int i = 0; i < 2000; ++i) {
    const Vec3 p{rng.uniform(-3, 5), rng.uniform(-1, 5), rng.uniform(1, 5)};
    const Vec3 q = r * (p - pivot) + pivot + shift;
    EXPECT_EQ(s->contains(p), m->contains(q));
    inside += s->contains(p);
  }
  EXPECT_GT(inside, 50);
}

}  // namespace
}  // namespace xct::sim
