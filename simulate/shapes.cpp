// Exact ray intersections: quadrics are solved in closed form with the numerically stable
// quadratic formula; combinations are set operations on the resulting interval lists.
#include "simulate/shapes.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "core/error.hpp"

namespace xct::sim {

// ---- Spans ----------------------------------------------------------------------------------

void Spans::push(double t0, double t1) {
  if (!(t1 > t0)) return;
  if (n_ > 0 && t0 <= v_[n_ - 1].t1) {  // touching or overlapping the last one: merge
    v_[n_ - 1].t1 = std::max(v_[n_ - 1].t1, t1);
    return;
  }
  XCT_CHECK(n_ < kCapacity, ErrorKind::Internal, "a ray crosses one shape in more than ", kCapacity,
            " pieces");
  v_[n_++] = {t0, t1};
}

double Spans::total_length() const {
  double sum = 0;
  for (int i = 0; i < n_; ++i)
    sum += v_[i].t1 - v_[i].t0;
  return sum;
}

Spans Spans::intersect(const Spans& a, const Spans& b) {
  Spans out;
  int i = 0, j = 0;
  while (i < a.n_ && j < b.n_) {
    const double lo = std::max(a.v_[i].t0, b.v_[j].t0);
    const double hi = std::min(a.v_[i].t1, b.v_[j].t1);
    out.push(lo, hi);
    if (a.v_[i].t1 < b.v_[j].t1) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

Spans Spans::subtract(const Spans& a, const Spans& b) {
  Spans out;
  int j = 0;
  for (int i = 0; i < a.n_; ++i) {
    double start = a.v_[i].t0;
    const double end = a.v_[i].t1;
    while (j < b.n_ && b.v_[j].t1 <= start)
      ++j;
    int k = j;
    while (k < b.n_ && b.v_[k].t0 < end) {
      out.push(start, b.v_[k].t0);
      start = std::max(start, b.v_[k].t1);
      if (b.v_[k].t1 >= end) break;
      ++k;
    }
    out.push(start, end);
  }
  return out;
}

Spans Spans::unite(const Spans& a, const Spans& b) {
  Spans out;
  int i = 0, j = 0;
  while (i < a.n_ || j < b.n_) {
    const bool take_a = j >= b.n_ || (i < a.n_ && a.v_[i].t0 <= b.v_[j].t0);
    const Interval& v = take_a ? a.v_[i++] : b.v_[j++];
    out.push(v.t0, v.t1);
  }
  return out;
}

// ---- Box ------------------------------------------------------------------------------------

bool Box::bounded() const {
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(lo[i]) || !std::isfinite(hi[i])) return false;
  }
  return true;
}

Box Box::intersection(const Box& a, const Box& b) {
  return {{std::max(a.lo.x, b.lo.x), std::max(a.lo.y, b.lo.y), std::max(a.lo.z, b.lo.z)},
          {std::min(a.hi.x, b.hi.x), std::min(a.hi.y, b.hi.y), std::min(a.hi.z, b.hi.z)}};
}

Box Box::hull(const Box& a, const Box& b) {
  return {{std::min(a.lo.x, b.lo.x), std::min(a.lo.y, b.lo.y), std::min(a.lo.z, b.lo.z)},
          {std::max(a.hi.x, b.hi.x), std::max(a.hi.y, b.hi.y), std::max(a.hi.z, b.hi.z)}};
}

namespace {

const Box kEverywhere{{-kInf, -kInf, -kInf}, {kInf, kInf, kInf}};

// Roots of a t^2 + b t + c = 0 with a > 0, in order; false when there are none (a tangent
// ray counts as missing: it crosses no volume).
bool solve_quadratic(double a, double b, double c, double& t0, double& t1) {
  const double disc = b * b - 4 * a * c;
  if (!(disc > 0)) return false;
  const double q = -0.5 * (b + std::copysign(std::sqrt(disc), b));
  if (q == 0) {  // b == 0 and c == 0 cannot happen with disc > 0; keep the division safe
    t0 = t1 = 0;
    return false;
  }
  t0 = q / a;
  t1 = c / q;
  if (t0 > t1) std::swap(t0, t1);
  return true;
}

class Ellipsoid final : public Shape {
 public:
  Ellipsoid(const Vec3& centre, const Vec3& semi, const Mat3& axes)
      : centre_(centre),
        inv_semi_{1 / semi.x, 1 / semi.y, 1 / semi.z},
        to_local_(axes.transposed()) {
    for (int i = 0; i < 3; ++i) {
      double e = 0;
      for (int j = 0; j < 3; ++j) {
        const double v = axes.m[i][j] * semi[j];
        e += v * v;
      }
      half_extent_[i] = std::sqrt(e);
    }
  }

  void spans(const Ray& ray, Spans& out) const override {
    out.clear();
    const Vec3 o = scale(to_local_ * (ray.origin - centre_));
    const Vec3 d = scale(to_local_ * ray.dir);
    double t0, t1;
    if (solve_quadratic(dot(d, d), 2 * dot(o, d), dot(o, o) - 1, t0, t1)) out.push(t0, t1);
  }
  bool contains(const Vec3& p) const override {
    const Vec3 q = scale(to_local_ * (p - centre_));
    return dot(q, q) <= 1;
  }
  Box bounds() const override {
    const Vec3 e{half_extent_[0], half_extent_[1], half_extent_[2]};
    return {centre_ - e, centre_ + e};
  }

 private:
  Vec3 scale(const Vec3& v) const {
    return {v.x * inv_semi_.x, v.y * inv_semi_.y, v.z * inv_semi_.z};
  }
  Vec3 centre_, inv_semi_;
  Mat3 to_local_;
  double half_extent_[3] = {0, 0, 0};
};

class Cylinder final : public Shape {
 public:
  Cylinder(const Vec3& p0, const Vec3& p1, double radius) : p0_(p0), radius_(radius) {
    const Vec3 axis = p1 - p0;
    length_ = norm(axis);
    XCT_CHECK(length_ > 0 && radius > 0, ErrorKind::Internal, "degenerate cylinder");
    u_ = axis * (1 / length_);
    Box b;
    for (int i = 0; i < 3; ++i) {
      const double r = radius * std::sqrt(std::max(0.0, 1 - u_[i] * u_[i]));
      const double lo = std::min(p0[i], p1[i]) - r, hi = std::max(p0[i], p1[i]) + r;
      (i == 0 ? b.lo.x : i == 1 ? b.lo.y : b.lo.z) = lo;
      (i == 0 ? b.hi.x : i == 1 ? b.hi.y : b.hi.z) = hi;
    }
    box_ = b;
  }

  void spans(const Ray& ray, Spans& out) const override {
    out.clear();
    const Vec3 w = ray.origin - p0_;
    const double du = dot(ray.dir, u_), wu = dot(w, u_);
    // The slab between the end planes.
    double lo = -kInf, hi = kInf;
    if (std::abs(du) > 1e-15) {
      const double a = -wu / du, b = (length_ - wu) / du;
      lo = std::min(a, b);
      hi = std::max(a, b);
    } else if (wu < 0 || wu > length_) {
      return;
    }
    // The infinite cylinder.
    const Vec3 dp = ray.dir - u_ * du, wp = w - u_ * wu;
    const double a = dot(dp, dp), c = dot(wp, wp) - radius_ * radius_;
    if (a < 1e-24) {  // parallel to the axis
      if (c <= 0) out.push(lo, hi);
      return;
    }
    double t0, t1;
    if (!solve_quadratic(a, 2 * dot(wp, dp), c, t0, t1)) return;
    out.push(std::max(lo, t0), std::min(hi, t1));
  }
  bool contains(const Vec3& p) const override {
    const Vec3 w = p - p0_;
    const double wu = dot(w, u_);
    if (wu < 0 || wu > length_) return false;
    const Vec3 wp = w - u_ * wu;
    return dot(wp, wp) <= radius_ * radius_;
  }
  Box bounds() const override { return box_; }

 private:
  Vec3 p0_, u_;
  double length_ = 0, radius_ = 0;
  Box box_;
};

class HalfSpace final : public Shape {
 public:
  HalfSpace(const Vec3& point, const Vec3& normal) : point_(point), normal_(normalized(normal)) {}

  void spans(const Ray& ray, Spans& out) const override {
    out.clear();
    const double dn = dot(ray.dir, normal_), on = dot(ray.origin - point_, normal_);
    if (std::abs(dn) < 1e-15) {
      if (on <= 0) out.push(-kInf, kInf);
      return;
    }
    const double t = -on / dn;
    if (dn > 0) {
      out.push(-kInf, t);
    } else {
      out.push(t, kInf);
    }
  }
  bool contains(const Vec3& p) const override { return dot(p - point_, normal_) <= 0; }
  Box bounds() const override { return kEverywhere; }

 private:
  Vec3 point_, normal_;
};

class Intersection final : public Shape {
 public:
  explicit Intersection(std::vector<ShapePtr> parts) : parts_(std::move(parts)) {
    XCT_CHECK(!parts_.empty(), ErrorKind::Internal, "empty intersection");
    box_ = kEverywhere;
    for (const auto& p : parts_)
      box_ = Box::intersection(box_, p->bounds());
  }
  void spans(const Ray& ray, Spans& out) const override {
    parts_[0]->spans(ray, out);
    Spans next;
    for (std::size_t i = 1; i < parts_.size() && !out.empty(); ++i) {
      parts_[i]->spans(ray, next);
      out = Spans::intersect(out, next);
    }
  }
  bool contains(const Vec3& p) const override {
    for (const auto& s : parts_) {
      if (!s->contains(p)) return false;
    }
    return true;
  }
  Box bounds() const override { return box_; }

 private:
  std::vector<ShapePtr> parts_;
  Box box_;
};

class Difference final : public Shape {
 public:
  Difference(ShapePtr a, ShapePtr b) : a_(std::move(a)), b_(std::move(b)) {}
  void spans(const Ray& ray, Spans& out) const override {
    a_->spans(ray, out);
    if (out.empty()) return;
    Spans cut;
    b_->spans(ray, cut);
    if (!cut.empty()) out = Spans::subtract(out, cut);
  }
  bool contains(const Vec3& p) const override { return a_->contains(p) && !b_->contains(p); }
  Box bounds() const override { return a_->bounds(); }

 private:
  ShapePtr a_, b_;
};

class Union final : public Shape {
 public:
  explicit Union(std::vector<ShapePtr> parts) : parts_(std::move(parts)) {
    for (const auto& p : parts_)
      box_ = Box::hull(box_, p->bounds());
  }
  void spans(const Ray& ray, Spans& out) const override {
    out.clear();
    Spans next;
    for (const auto& p : parts_) {
      p->spans(ray, next);
      if (!next.empty()) out = Spans::unite(out, next);
    }
  }
  bool contains(const Vec3& p) const override {
    for (const auto& s : parts_) {
      if (s->contains(p)) return true;
    }
    return false;
  }
  Box bounds() const override { return box_; }

 private:
  std::vector<ShapePtr> parts_;
  Box box_;
};

class Moved final : public Shape {
 public:
  Moved(ShapePtr shape, const Mat3& rotation, const Vec3& pivot, const Vec3& shift)
      : shape_(std::move(shape)), inverse_(rotation.transposed()), pivot_(pivot), shift_(shift) {
    const Box b = shape_->bounds();
    if (!b.bounded()) {
      box_ = kEverywhere;
      return;
    }
    for (int corner = 0; corner < 8; ++corner) {
      const Vec3 c{(corner & 1) ? b.hi.x : b.lo.x, (corner & 2) ? b.hi.y : b.lo.y,
                   (corner & 4) ? b.hi.z : b.lo.z};
      const Vec3 w = rotation * (c - pivot) + pivot + shift;
      box_ = Box::hull(box_, Box{w, w});
    }
  }
  void spans(const Ray& ray, Spans& out) const override {
    shape_->spans({to_local(ray.origin), inverse_ * ray.dir}, out);
  }
  bool contains(const Vec3& p) const override { return shape_->contains(to_local(p)); }
  Box bounds() const override { return box_; }

 private:
  Vec3 to_local(const Vec3& p) const { return inverse_ * (p - pivot_ - shift_) + pivot_; }
  ShapePtr shape_;
  Mat3 inverse_;
  Vec3 pivot_, shift_;
  Box box_;
};

}  // namespace

ShapePtr ellipsoid(const Vec3& centre, const Vec3& semi_axes, const Mat3& axes) {
  XCT_CHECK(semi_axes.x > 0 && semi_axes.y > 0 && semi_axes.z > 0, ErrorKind::Internal,
            "ellipsoid semi-axes must be positive");
  return std::make_shared<Ellipsoid>(centre, semi_axes, axes);
}
ShapePtr sphere(const Vec3& centre, double radius) {
  return ellipsoid(centre, {radius, radius, radius});
}
ShapePtr cylinder(const Vec3& p0, const Vec3& p1, double radius) {
  return std::make_shared<Cylinder>(p0, p1, radius);
}
ShapePtr half_space(const Vec3& point, const Vec3& normal) {
  return std::make_shared<HalfSpace>(point, normal);
}
ShapePtr intersect(std::vector<ShapePtr> parts) {
  return std::make_shared<Intersection>(std::move(parts));
}
ShapePtr subtract(ShapePtr a, ShapePtr b) {
  return std::make_shared<Difference>(std::move(a), std::move(b));
}
ShapePtr unite(std::vector<ShapePtr> parts) {
  return std::make_shared<Union>(std::move(parts));
}
ShapePtr moved(ShapePtr shape, const Mat3& rotation, const Vec3& pivot, const Vec3& shift) {
  return std::make_shared<Moved>(std::move(shape), rotation, pivot, shift);
}

}  // namespace xct::sim
