// Solid shapes of the phantom and their exact intersection with a straight ray. Every shape
// answers two questions: which parameter intervals of a ray lie inside it (the basis of the
// analytic line integrals) and whether a point lies inside it (the basis of the label volume).
// The two answers come from different code, so tests can check one against the other.
//
// Lengths are in detector pixels. Shapes are immutable and shared between time steps.
#pragma once

#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "simulate/vec.hpp"

namespace xct::sim {

// A ray o + t d with |d| = 1, so t measures length.
struct Ray {
  Vec3 origin;
  Vec3 dir;
  Vec3 at(double t) const { return origin + dir * t; }
};

struct Interval {
  double t0 = 0, t1 = 0;
};

// The sorted, disjoint intervals of a ray inside a shape. Small and on the stack: the
// phantom's shapes cross a ray in at most a few pieces.
class Spans {
 public:
  static constexpr int kCapacity = 8;
  int size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const Interval& operator[](int i) const { return v_[i]; }
  void clear() { n_ = 0; }
  // Appends an interval that starts after the last one; empty intervals are dropped.
  void push(double t0, double t1);
  double total_length() const;

  // Set algebra on sorted disjoint interval lists.
  static Spans intersect(const Spans& a, const Spans& b);
  static Spans subtract(const Spans& a, const Spans& b);
  static Spans unite(const Spans& a, const Spans& b);

 private:
  int n_ = 0;
  Interval v_[kCapacity];
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// An axis-aligned bounding box; unbounded shapes (half-spaces) report infinite boxes.
struct Box {
  Vec3 lo{kInf, kInf, kInf};
  Vec3 hi{-kInf, -kInf, -kInf};
  bool bounded() const;
  static Box intersection(const Box& a, const Box& b);
  static Box hull(const Box& a, const Box& b);
};

class Shape {
 public:
  virtual ~Shape() = default;
  virtual void spans(const Ray& ray, Spans& out) const = 0;
  virtual bool contains(const Vec3& p) const = 0;
  virtual Box bounds() const = 0;
};

using ShapePtr = std::shared_ptr<const Shape>;

// Leaves.
// An ellipsoid with semi-axes a, b, c along the columns of `axes` (orthonormal); a sphere
// when all three are equal.
ShapePtr ellipsoid(const Vec3& centre, const Vec3& semi_axes, const Mat3& axes = Mat3::identity());
ShapePtr sphere(const Vec3& centre, double radius);
// A solid circular cylinder from p0 to p1 (flat ends perpendicular to the axis).
ShapePtr cylinder(const Vec3& p0, const Vec3& p1, double radius);
// The half-space {p : (p - point) . normal <= 0}.
ShapePtr half_space(const Vec3& point, const Vec3& normal);

// Combinations.
ShapePtr intersect(std::vector<ShapePtr> parts);
ShapePtr subtract(ShapePtr a, ShapePtr b);
ShapePtr unite(std::vector<ShapePtr> parts);
// The shape moved rigidly: p -> rotation * (p - pivot) + pivot + shift.
ShapePtr moved(ShapePtr shape, const Mat3& rotation, const Vec3& pivot, const Vec3& shift);

}  // namespace xct::sim
