// Small 3-vectors and 3x3 matrices for the phantom geometry (double precision: line integrals
// are checked to 1e-4 relative, and the geometry must not be the limit).
#pragma once

#include <cmath>

namespace xct::sim {

struct Vec3 {
  double x = 0, y = 0, z = 0;

  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  Vec3 operator-() const { return {-x, -y, -z}; }
  double operator[](int i) const { return i == 0 ? x : (i == 1 ? y : z); }
};

inline double dot(const Vec3& a, const Vec3& b) {
  return a.x * b.x + a.y * b.y + a.z * b.z;
}
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double norm(const Vec3& a) {
  return std::sqrt(dot(a, a));
}
inline Vec3 normalized(const Vec3& a) {
  return a * (1.0 / norm(a));
}

// Row-major 3x3 matrix.
struct Mat3 {
  double m[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};

  static Mat3 identity() { return Mat3{}; }
  // Rotation by `angle` radians about the unit vector `axis` (right hand).
  static Mat3 rotation(const Vec3& axis, double angle) {
    const Vec3 u = normalized(axis);
    const double c = std::cos(angle), s = std::sin(angle), k = 1 - c;
    Mat3 r;
    r.m[0][0] = c + u.x * u.x * k;
    r.m[0][1] = u.x * u.y * k - u.z * s;
    r.m[0][2] = u.x * u.z * k + u.y * s;
    r.m[1][0] = u.y * u.x * k + u.z * s;
    r.m[1][1] = c + u.y * u.y * k;
    r.m[1][2] = u.y * u.z * k - u.x * s;
    r.m[2][0] = u.z * u.x * k - u.y * s;
    r.m[2][1] = u.z * u.y * k + u.x * s;
    r.m[2][2] = c + u.z * u.z * k;
    return r;
  }
  // Columns as given.
  static Mat3 from_columns(const Vec3& a, const Vec3& b, const Vec3& c) {
    Mat3 r;
    for (int i = 0; i < 3; ++i) {
      r.m[i][0] = a[i];
      r.m[i][1] = b[i];
      r.m[i][2] = c[i];
    }
    return r;
  }

  Vec3 operator*(const Vec3& v) const {
    return {m[0][0] * v.x + m[0][1] * v.y + m[0][2] * v.z,
            m[1][0] * v.x + m[1][1] * v.y + m[1][2] * v.z,
            m[2][0] * v.x + m[2][1] * v.y + m[2][2] * v.z};
  }
  Mat3 operator*(const Mat3& o) const {
    Mat3 r;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        r.m[i][j] = m[i][0] * o.m[0][j] + m[i][1] * o.m[1][j] + m[i][2] * o.m[2][j];
    return r;
  }
  Mat3 transposed() const {
    Mat3 r;
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j)
        r.m[i][j] = m[j][i];
    return r;
  }
  Vec3 column(int j) const { return {m[0][j], m[1][j], m[2][j]}; }
};

}  // namespace xct::sim
