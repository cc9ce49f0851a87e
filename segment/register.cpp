// Rigid transforms, resampling (own OpenMP code), the noise estimate and the registration's
// driver: checks, the pyramid and the metric's sample points, the two ITK stages
// (itk_register.cpp) and the residual that says whether it worked.
#include "segment/register.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/stopwatch.hpp"

namespace xct::seg {

// ---------------------------------------------------------------------------------------------
// RigidTransform

namespace {

using Vec = std::array<double, 3>;
using Mat = std::array<double, 9>;

Vec mul(const Mat& m, const Vec& v) {
  return {m[0] * v[0] + m[1] * v[1] + m[2] * v[2], m[3] * v[0] + m[4] * v[1] + m[5] * v[2],
          m[6] * v[0] + m[7] * v[1] + m[8] * v[2]};
}

Mat mul(const Mat& a, const Mat& b) {
  Mat r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      r[3 * i + j] = a[3 * i] * b[j] + a[3 * i + 1] * b[3 + j] + a[3 * i + 2] * b[6 + j];
  return r;
}

Mat transposed(const Mat& m) {
  return {m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]};
}

Vec add(const Vec& a, const Vec& b) {
  return {a[0] + b[0], a[1] + b[1], a[2] + b[2]};
}
Vec sub(const Vec& a, const Vec& b) {
  return {a[0] - b[0], a[1] - b[1], a[2] - b[2]};
}
double norm(const Vec& a) {
  return std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
}

// Unit quaternion (w, x, y, z), w >= 0, of a rotation matrix (Shepperd's method: stable for
// every angle).
std::array<double, 4> quaternion(const Mat& m) {
  const double tr = m[0] + m[4] + m[8];
  std::array<double, 4> q{};
  if (tr > 0) {
    const double s = 2 * std::sqrt(tr + 1);
    q = {s / 4, (m[7] - m[5]) / s, (m[2] - m[6]) / s, (m[3] - m[1]) / s};
  } else if (m[0] > m[4] && m[0] > m[8]) {
    const double s = 2 * std::sqrt(1 + m[0] - m[4] - m[8]);
    q = {(m[7] - m[5]) / s, s / 4, (m[1] + m[3]) / s, (m[2] + m[6]) / s};
  } else if (m[4] > m[8]) {
    const double s = 2 * std::sqrt(1 + m[4] - m[0] - m[8]);
    q = {(m[2] - m[6]) / s, (m[1] + m[3]) / s, s / 4, (m[5] + m[7]) / s};
  } else {
    const double s = 2 * std::sqrt(1 + m[8] - m[0] - m[4]);
    q = {(m[3] - m[1]) / s, (m[2] + m[6]) / s, (m[5] + m[7]) / s, s / 4};
  }
  if (q[0] < 0)
    for (double& c : q)
      c = -c;
  return q;
}

}  // namespace

std::array<double, 3> RigidTransform::apply(const std::array<double, 3>& p) const {
  return add(add(mul(rotation, sub(p, centre)), centre), translation);
}

RigidTransform RigidTransform::inverse() const {
  RigidTransform inv;
  inv.rotation = transposed(rotation);
  inv.centre = add(centre, translation);
  inv.translation = {-translation[0], -translation[1], -translation[2]};
  return inv;
}

RigidTransform RigidTransform::compose(const RigidTransform& then) const {
  // then(this(p)) = R2 R1 (p - c1) + R2 (c1 + t1 - c2) + c2 + t2.
  RigidTransform out;
  out.rotation = mul(then.rotation, rotation);
  out.centre = centre;
  const Vec moved = add(mul(then.rotation, sub(add(centre, translation), then.centre)),
                        add(then.centre, then.translation));
  out.translation = sub(moved, centre);
  return out;
}

double RigidTransform::angle_deg() const {
  const auto q = quaternion(rotation);
  const double v = std::sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  return 2 * std::atan2(v, q[0]) * 180 / std::numbers::pi;
}

std::array<double, 3> RigidTransform::axis() const {
  const auto q = quaternion(rotation);
  const double v = std::sqrt(q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (v < 1e-15) return {0, 0, 1};
  return {q[1] / v, q[2] / v, q[3] / v};
}

double RigidTransform::max_displacement_difference(const RigidTransform& other,
                                                   std::array<std::size_t, 3> shape_zyx) const {
  double worst = 0;
  for (int corner = 0; corner < 8; ++corner) {
    const Vec p{(corner & 1) ? static_cast<double>(shape_zyx[2]) - 1 : 0.0,
                (corner & 2) ? static_cast<double>(shape_zyx[1]) - 1 : 0.0,
                (corner & 4) ? static_cast<double>(shape_zyx[0]) - 1 : 0.0};
    worst = std::max(worst, norm(sub(apply(p), other.apply(p))));
  }
  return worst;
}

RigidTransform RigidTransform::identity(std::array<double, 3> centre) {
  RigidTransform t;
  t.centre = centre;
  return t;
}

RigidTransform RigidTransform::from_axis_angle(std::array<double, 3> axis, double angle_deg,
                                               std::array<double, 3> centre,
                                               std::array<double, 3> translation) {
  const double n = norm(axis);
  XCT_CHECK(n > 0 || angle_deg == 0, ErrorKind::Internal, "a rotation needs a non-zero axis");
  const Vec u = n > 0 ? Vec{axis[0] / n, axis[1] / n, axis[2] / n} : Vec{0, 0, 1};
  const double a = angle_deg * std::numbers::pi / 180;
  const double c = std::cos(a), s = std::sin(a), k = 1 - c;
  RigidTransform t;
  t.rotation = {c + u[0] * u[0] * k,        u[0] * u[1] * k - u[2] * s, u[0] * u[2] * k + u[1] * s,
                u[1] * u[0] * k + u[2] * s, c + u[1] * u[1] * k,        u[1] * u[2] * k - u[0] * s,
                u[2] * u[0] * k - u[1] * s, u[2] * u[1] * k + u[0] * s, c + u[2] * u[2] * k};
  t.centre = centre;
  t.translation = translation;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Interpolation and resampling

namespace {

int omp_threads(int threads) {
  return threads > 0 ? threads : omp_get_max_threads();
}

// A strided volume in (x, y, z) terms.
template <typename T>
struct Grid {
  const T* data;
  std::ptrdiff_t sx, sy, sz;
  long nx, ny, nz;

  explicit Grid(HostView<const T, 3> v)
      : data(v.data()),
        sx(v.stride(2)),
        sy(v.stride(1)),
        sz(v.stride(0)),
        nx(static_cast<long>(v.extent(2))),
        ny(static_cast<long>(v.extent(1))),
        nz(static_cast<long>(v.extent(0))) {}

  bool inside(const Vec& p) const {
    constexpr double kSlack = 1e-6;
    return p[0] >= -kSlack && p[1] >= -kSlack && p[2] >= -kSlack &&
           p[0] <= static_cast<double>(nx - 1) + kSlack &&
           p[1] <= static_cast<double>(ny - 1) + kSlack &&
           p[2] <= static_cast<double>(nz - 1) + kSlack;
  }
};

// floor() for the coordinates here (|x| < 2^62): a conversion and a compare, where std::floor
// is a library call on baseline x86-64.
inline double fast_floor(double x) {
  const auto i = static_cast<long>(x);
  return static_cast<double>(x < static_cast<double>(i) ? i - 1 : i);
}

long clamp_index(long i, long n) {
  return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

// Keys (a = -0.5) weights of the taps at floor - 1 .. floor + 2 for the fraction t in [0, 1].
void keys_weights(float t, float w[4]) {
  const float t2 = t * t, t3 = t2 * t;
  w[0] = 0.5f * (-t3 + 2 * t2 - t);
  w[1] = 0.5f * (3 * t3 - 5 * t2 + 2);
  w[2] = 0.5f * (-3 * t3 + 4 * t2 + t);
  w[3] = 0.5f * (t3 - t2);
}

float sample_cubic(const Grid<float>& g, const Vec& p) {
  const double fx = fast_floor(p[0]), fy = fast_floor(p[1]), fz = fast_floor(p[2]);
  float wx[4], wy[4], wz[4];
  keys_weights(static_cast<float>(p[0] - fx), wx);
  keys_weights(static_cast<float>(p[1] - fy), wy);
  keys_weights(static_cast<float>(p[2] - fz), wz);
  const long ix = static_cast<long>(fx) - 1, iy = static_cast<long>(fy) - 1,
             iz = static_cast<long>(fz) - 1;
  float acc = 0;
  if (ix >= 0 && iy >= 0 && iz >= 0 && ix + 3 < g.nx && iy + 3 < g.ny && iz + 3 < g.nz) {
    // Inside: no clamping.
    const float* base = g.data + iz * g.sz + iy * g.sy + ix * g.sx;
    const std::ptrdiff_t sx = g.sx;
    for (int kz = 0; kz < 4; ++kz) {
      const float* pz = base + kz * g.sz;
      float plane = 0;
      for (int ky = 0; ky < 4; ++ky) {
        const float* row = pz + ky * g.sy;
        plane +=
            wy[ky] * (wx[0] * row[0] + wx[1] * row[sx] + wx[2] * row[2 * sx] + wx[3] * row[3 * sx]);
      }
      acc += wz[kz] * plane;
    }
    return acc;
  }
  std::ptrdiff_t ox[4], oy[4], oz[4];
  for (long k = 0; k < 4; ++k) {
    ox[k] = clamp_index(ix + k, g.nx) * g.sx;
    oy[k] = clamp_index(iy + k, g.ny) * g.sy;
    oz[k] = clamp_index(iz + k, g.nz) * g.sz;
  }
  for (int kz = 0; kz < 4; ++kz) {
    float plane = 0;
    for (int ky = 0; ky < 4; ++ky) {
      const float* row = g.data + oz[kz] + oy[ky];
      plane += wy[ky] *
               (wx[0] * row[ox[0]] + wx[1] * row[ox[1]] + wx[2] * row[ox[2]] + wx[3] * row[ox[3]]);
    }
    acc += wz[kz] * plane;
  }
  return acc;
}

double sample_linear(const Grid<float>& g, const Vec& p) {
  const double fx = fast_floor(p[0]), fy = fast_floor(p[1]), fz = fast_floor(p[2]);
  const double tx = p[0] - fx, ty = p[1] - fy, tz = p[2] - fz;
  const long ix = static_cast<long>(fx), iy = static_cast<long>(fy), iz = static_cast<long>(fz);
  const std::ptrdiff_t x0 = clamp_index(ix, g.nx) * g.sx, x1 = clamp_index(ix + 1, g.nx) * g.sx;
  const std::ptrdiff_t y0 = clamp_index(iy, g.ny) * g.sy, y1 = clamp_index(iy + 1, g.ny) * g.sy;
  const std::ptrdiff_t z0 = clamp_index(iz, g.nz) * g.sz, z1 = clamp_index(iz + 1, g.nz) * g.sz;
  auto row = [&](std::ptrdiff_t oz, std::ptrdiff_t oy) {
    const float* r = g.data + oz + oy;
    return (1 - tx) * r[x0] + tx * r[x1];
  };
  const double a = (1 - ty) * row(z0, y0) + ty * row(z0, y1);
  const double b = (1 - ty) * row(z1, y0) + ty * row(z1, y1);
  return (1 - tz) * a + tz * b;
}

// Calls f(z, y, x, p) for every voxel of the output grid with p = t(x, y, z), rows in parallel.
template <typename F>
void for_each_mapped(const RigidTransform& t, std::array<std::size_t, 3> shape, int threads,
                     F&& f) {
  const long nz = static_cast<long>(shape[0]), ny = static_cast<long>(shape[1]);
  const long nx = static_cast<long>(shape[2]);
  const Vec dx{t.rotation[0], t.rotation[3], t.rotation[6]};  // the image of +x
#pragma omp parallel for collapse(2) schedule(static) num_threads(omp_threads(threads))
  for (long z = 0; z < nz; ++z)
    for (long y = 0; y < ny; ++y) {
      const Vec p0 = t.apply({0.0, static_cast<double>(y), static_cast<double>(z)});
      for (long x = 0; x < nx; ++x) {
        const double xd = static_cast<double>(x);
        f(z, y, x, Vec{p0[0] + xd * dx[0], p0[1] + xd * dx[1], p0[2] + xd * dx[2]});
      }
    }
}

}  // namespace

HostArray<float, 3> resample(HostView<const float, 3> moving, const RigidTransform& t,
                             std::array<std::size_t, 3> shape_zyx, Interpolation interp,
                             float outside, int threads) {
  HostArray<float, 3> out(shape_zyx);
  if (out.size() == 0) return out;
  if (moving.size() == 0) {
    std::fill(out.begin(), out.end(), outside);
    return out;
  }
  const Grid<float> g(moving);
  float* o = out.data();
  const std::size_t sy = shape_zyx[2], sz = shape_zyx[1] * shape_zyx[2];
  auto index = [&](long z, long y, long x) {
    return static_cast<std::size_t>(z) * sz + static_cast<std::size_t>(y) * sy +
           static_cast<std::size_t>(x);
  };
  if (interp == Interpolation::Cubic) {
    for_each_mapped(t, shape_zyx, threads, [&](long z, long y, long x, const Vec& p) {
      o[index(z, y, x)] = g.inside(p) ? sample_cubic(g, p) : outside;
    });
  } else {
    for_each_mapped(t, shape_zyx, threads, [&](long z, long y, long x, const Vec& p) {
      o[index(z, y, x)] = g.inside(p) ? static_cast<float>(sample_linear(g, p)) : outside;
    });
  }
  return out;
}

HostArray<std::uint8_t, 3> resample_labels(HostView<const std::uint8_t, 3> moving,
                                           const RigidTransform& t,
                                           std::array<std::size_t, 3> shape_zyx,
                                           std::uint8_t outside, int threads) {
  HostArray<std::uint8_t, 3> out(shape_zyx, outside);
  if (out.size() == 0 || moving.size() == 0) return out;
  const Grid<std::uint8_t> g(moving);
  std::uint8_t* o = out.data();
  const std::size_t sy = shape_zyx[2], sz = shape_zyx[1] * shape_zyx[2];
  for_each_mapped(t, shape_zyx, threads, [&](long z, long y, long x, const Vec& p) {
    // The voxel whose cell [i - 0.5, i + 0.5) holds p, if any.
    if (!(p[0] >= -0.5 && p[1] >= -0.5 && p[2] >= -0.5 && p[0] < static_cast<double>(g.nx) - 0.5 &&
          p[1] < static_cast<double>(g.ny) - 0.5 && p[2] < static_cast<double>(g.nz) - 0.5))
      return;
    const double fx = fast_floor(p[0] + 0.5), fy = fast_floor(p[1] + 0.5),
                 fz = fast_floor(p[2] + 0.5);
    o[static_cast<std::size_t>(z) * sz + static_cast<std::size_t>(y) * sy +
      static_cast<std::size_t>(x)] =
        g.data[static_cast<long>(fz) * g.sz + static_cast<long>(fy) * g.sy +
               static_cast<long>(fx) * g.sx];
  });
  return out;
}

double masked_rms_difference(HostView<const float, 3> fixed, HostView<const float, 3> moving,
                             HostView<const std::uint8_t, 3> mask, const RigidTransform& t,
                             std::size_t* count, int threads) {
  XCT_CHECK(mask.shape() == fixed.shape(), ErrorKind::Internal,
            "the mask's shape differs from the fixed volume's");
  const long nz = static_cast<long>(fixed.extent(0)), ny = static_cast<long>(fixed.extent(1));
  const long nx = static_cast<long>(fixed.extent(2));
  const Grid<float> g(moving);
  // Per-slice sums added in order: the result does not depend on the threads.
  std::vector<double> sums(static_cast<std::size_t>(nz), 0.0);
  std::vector<std::size_t> counts(static_cast<std::size_t>(nz), 0);
  if (moving.size() > 0) {
#pragma omp parallel for schedule(dynamic) num_threads(omp_threads(threads))
    for (long z = 0; z < nz; ++z) {
      double s = 0;
      std::size_t c = 0;
      for (long y = 0; y < ny; ++y)
        for (long x = 0; x < nx; ++x) {
          const auto zu = static_cast<std::size_t>(z), yu = static_cast<std::size_t>(y),
                     xu = static_cast<std::size_t>(x);
          if (!mask(zu, yu, xu)) continue;
          const Vec p =
              t.apply({static_cast<double>(x), static_cast<double>(y), static_cast<double>(z)});
          if (!g.inside(p)) continue;
          const double d =
              static_cast<double>(fixed(zu, yu, xu)) - static_cast<double>(sample_cubic(g, p));
          s += d * d;
          ++c;
        }
      sums[static_cast<std::size_t>(z)] = s;
      counts[static_cast<std::size_t>(z)] = c;
    }
  }
  double total = 0;
  std::size_t n = 0;
  for (long z = 0; z < nz; ++z) {
    total += sums[static_cast<std::size_t>(z)];
    n += counts[static_cast<std::size_t>(z)];
  }
  if (count) *count = n;
  return n > 0 ? std::sqrt(total / static_cast<double>(n)) : 0.0;
}

// ---------------------------------------------------------------------------------------------
// Noise

namespace {

// Median of `v` (reordered).
double median_of(std::vector<float>& v) {
  if (v.empty()) return 0;
  const auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

}  // namespace

double estimate_noise_sigma(HostView<const float, 3> volume, int threads) {
  constexpr long kRadius = 2;             // the 5^3 box
  constexpr double kTargetSamples = 1e6;  // voxels looked at
  constexpr double kBox = 125;
  const long nz = static_cast<long>(volume.extent(0)), ny = static_cast<long>(volume.extent(1));
  const long nx = static_cast<long>(volume.extent(2));
  if (nz <= 2 * kRadius || ny <= 2 * kRadius || nx <= 2 * kRadius) return 0;
  const double inner = static_cast<double>(nz - 2 * kRadius) *
                       static_cast<double>(ny - 2 * kRadius) *
                       static_cast<double>(nx - 2 * kRadius);
  const long stride = std::max(1L, std::lround(std::cbrt(inner / kTargetSamples)));
  const Grid<float> g(volume);
  std::vector<long> zs;
  for (long z = kRadius; z < nz - kRadius; z += stride)
    zs.push_back(z);
  std::vector<std::vector<float>> per_slice(zs.size());
#pragma omp parallel for schedule(dynamic) num_threads(omp_threads(threads))
  for (std::size_t i = 0; i < zs.size(); ++i) {
    const long z = zs[i];
    auto& out = per_slice[i];
    for (long y = kRadius; y < ny - kRadius; y += stride)
      for (long x = kRadius; x < nx - kRadius; x += stride) {
        double sum = 0;
        float lo = std::numeric_limits<float>::max(), hi = std::numeric_limits<float>::lowest();
        for (long dz = -kRadius; dz <= kRadius; ++dz)
          for (long dy = -kRadius; dy <= kRadius; ++dy) {
            const float* row = g.data + (z + dz) * g.sz + (y + dy) * g.sy;
            for (long dx = -kRadius; dx <= kRadius; ++dx) {
              const float v = row[(x + dx) * g.sx];
              sum += v;
              lo = std::min(lo, v);
              hi = std::max(hi, v);
            }
          }
        if (!(hi > lo)) continue;  // padding, or no noise at all here
        const float centre = g.data[z * g.sz + y * g.sy + x * g.sx];
        out.push_back(static_cast<float>(centre - sum / kBox));
      }
  }
  std::vector<float> h;
  for (auto& s : per_slice)
    h.insert(h.end(), s.begin(), s.end());
  if (h.empty()) return 0;
  std::vector<float> dev(h);
  const double med = median_of(dev);
  for (auto& v : h)
    v = static_cast<float>(std::abs(v - med));
  const double mad = median_of(h);
  // 1.4826: MAD to sigma for a normal distribution; v minus the box mean keeps 124/125 of the
  // variance of white noise.
  return 1.4826 * mad * std::sqrt(kBox / (kBox - 1));
}

// ---------------------------------------------------------------------------------------------
// The registration

namespace {

// Values at up to ~10^6 mask voxels (regular subset), for the contrast checks.
std::vector<float> masked_values(HostView<const float, 3> v, HostView<const std::uint8_t, 3> mask,
                                 std::size_t mask_count) {
  const std::size_t step = std::max<std::size_t>(1, mask_count / 1000000);
  std::vector<float> out;
  std::size_t seen = 0;
  for (std::size_t z = 0; z < v.extent(0); ++z)
    for (std::size_t y = 0; y < v.extent(1); ++y)
      for (std::size_t x = 0; x < v.extent(2); ++x)
        if (mask(z, y, x) && (seen++ % step) == 0) out.push_back(v(z, y, x));
  return out;
}

bool all_finite(HostView<const float, 3> v) {
  bool ok = true;
  for (std::size_t z = 0; z < v.extent(0) && ok; ++z)
    for (std::size_t y = 0; y < v.extent(1) && ok; ++y)
      for (std::size_t x = 0; x < v.extent(2); ++x)
        if (!std::isfinite(v(z, y, x))) {
          ok = false;
          break;
        }
  return ok;
}

// Correlation with a separable kernel (odd lengths, centred; edges replicated) and subsampling
// by `shrink` in one pass per axis, each pass computing only the samples the next one needs:
// voxel i of the output is the filtered value at shrink * i.
HostArray<float, 3> separable(HostView<const float, 3> v, const std::vector<float>& kx,
                              const std::vector<float>& ky, const std::vector<float>& kz,
                              int shrink, int threads) {
  const long s = shrink;
  const long nz = static_cast<long>(v.extent(0)), ny = static_cast<long>(v.extent(1)),
             nx = static_cast<long>(v.extent(2));
  const long mz = (nz - 1) / s + 1, my = (ny - 1) / s + 1, mx = (nx - 1) / s + 1;
  const long rx = static_cast<long>(kx.size() / 2), ry = static_cast<long>(ky.size() / 2),
             rz = static_cast<long>(kz.size() / 2);
  const Grid<float> g(v);
  const int nt = omp_threads(threads);
  // x: every row of the input, the kept columns.
  HostArray<float, 3> a(
      {static_cast<std::size_t>(nz), static_cast<std::size_t>(ny), static_cast<std::size_t>(mx)});
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt)
  for (long z = 0; z < nz; ++z)
    for (long y = 0; y < ny; ++y) {
      const float* in = g.data + z * g.sz + y * g.sy;
      float* out = a.data() + (z * ny + y) * mx;
      for (long x = 0; x < mx; ++x) {
        float acc = 0;
        for (long k = -rx; k <= rx; ++k)
          acc += kx[static_cast<std::size_t>(k + rx)] * in[clamp_index(s * x + k, nx) * g.sx];
        out[x] = acc;
      }
    }
  // y: the kept rows.
  HostArray<float, 3> b(
      {static_cast<std::size_t>(nz), static_cast<std::size_t>(my), static_cast<std::size_t>(mx)},
      0.0f);
#pragma omp parallel for collapse(2) schedule(static) num_threads(nt)
  for (long z = 0; z < nz; ++z)
    for (long y = 0; y < my; ++y) {
      float* out = b.data() + (z * my + y) * mx;
      for (long k = -ry; k <= ry; ++k) {
        const float wk = ky[static_cast<std::size_t>(k + ry)];
        const float* in = a.data() + (z * ny + clamp_index(s * y + k, ny)) * mx;
        for (long x = 0; x < mx; ++x)
          out[x] += wk * in[x];
      }
    }
  a = HostArray<float, 3>();
  // z: the kept slices.
  HostArray<float, 3> c(
      {static_cast<std::size_t>(mz), static_cast<std::size_t>(my), static_cast<std::size_t>(mx)},
      0.0f);
  const long plane = my * mx;
#pragma omp parallel for schedule(static) num_threads(nt)
  for (long z = 0; z < mz; ++z) {
    float* out = c.data() + z * plane;
    for (long k = -rz; k <= rz; ++k) {
      const float wk = kz[static_cast<std::size_t>(k + rz)];
      const float* in = b.data() + clamp_index(s * z + k, nz) * plane;
      for (long i = 0; i < plane; ++i)
        out[i] += wk * in[i];
    }
  }
  return c;
}

// Gaussian kernel truncated at 3 sigma (sigma in voxels; 0: the identity), summing to 1.
std::vector<float> gaussian_kernel(double sigma) {
  const long r = sigma > 0 ? std::max(1L, static_cast<long>(std::ceil(3 * sigma))) : 0;
  if (r == 0) return {1.0f};
  std::vector<double> g(static_cast<std::size_t>(2 * r + 1));
  double sum = 0;
  for (long k = -r; k <= r; ++k) {
    g[static_cast<std::size_t>(k + r)] =
        std::exp(-0.5 * static_cast<double>(k * k) / (sigma * sigma));
    sum += g[static_cast<std::size_t>(k + r)];
  }
  std::vector<float> out(g.size());
  for (std::size_t i = 0; i < g.size(); ++i)
    out[i] = static_cast<float>(g[i] / sum);
  return out;
}

// Gaussian smoothing (sigma in voxels of `v`) then subsampling by `shrink`.
HostArray<float, 3> smooth_shrink(HostView<const float, 3> v, double sigma, int shrink,
                                  int threads) {
  const auto g = gaussian_kernel(sigma);
  return separable(v, g, g, g, shrink, threads);
}

// Gradient (per full-grid voxel) of a level image smoothed by one level voxel (`smoothed`),
// by central differences (one-sided at the faces): the moving image's gradient for the metric.
std::array<HostArray<float, 3>, 3> gradient_images(const HostArray<float, 3>& smoothed, int shrink,
                                                   int threads) {
  const auto shape = smoothed.shape();
  std::array<HostArray<float, 3>, 3> out{HostArray<float, 3>(shape), HostArray<float, 3>(shape),
                                         HostArray<float, 3>(shape)};
  const long nz = static_cast<long>(shape[0]), ny = static_cast<long>(shape[1]),
             nx = static_cast<long>(shape[2]);
  const float* v = smoothed.data();
  const float per_voxel = 1.0f / static_cast<float>(shrink);
#pragma omp parallel for collapse(2) schedule(static) num_threads(omp_threads(threads))
  for (long z = 0; z < nz; ++z)
    for (long y = 0; y < ny; ++y) {
      const long z0 = std::max(z - 1, 0L), z1 = std::min(z + 1, nz - 1);
      const long y0 = std::max(y - 1, 0L), y1 = std::min(y + 1, ny - 1);
      const float fz = per_voxel / static_cast<float>(z1 - z0 > 0 ? z1 - z0 : 1);
      const float fy = per_voxel / static_cast<float>(y1 - y0 > 0 ? y1 - y0 : 1);
      const long row = (z * ny + y) * nx;
      for (long x = 0; x < nx; ++x) {
        const long x0 = std::max(x - 1, 0L), x1 = std::min(x + 1, nx - 1);
        const float fx = per_voxel / static_cast<float>(x1 - x0 > 0 ? x1 - x0 : 1);
        out[0].data()[row + x] = fx * (v[row + x1] - v[row + x0]);
        out[1].data()[row + x] = fy * (v[(z * ny + y1) * nx + x] - v[(z * ny + y0) * nx + x]);
        out[2].data()[row + x] = fz * (v[(z1 * ny + y) * nx + x] - v[(z0 * ny + y) * nx + x]);
      }
    }
  return out;
}

// Central-difference gradient (per full-grid voxel) of a level image at the level voxel
// nearest to the full-grid point p.
Vec level_gradient(const HostArray<float, 3>& f, int shrink, const Vec& p) {
  const double s = static_cast<double>(shrink);
  const long n[3] = {static_cast<long>(f.extent(2)), static_cast<long>(f.extent(1)),
                     static_cast<long>(f.extent(0))};
  long i[3];
  for (int d = 0; d < 3; ++d)
    i[d] = clamp_index(std::lround(p[d] / s), n[d]);
  auto at = [&](long x, long y, long z) {
    return static_cast<double>(f(static_cast<std::size_t>(clamp_index(z, n[2])),
                                 static_cast<std::size_t>(clamp_index(y, n[1])),
                                 static_cast<std::size_t>(clamp_index(x, n[0]))));
  };
  return {(at(i[0] + 1, i[1], i[2]) - at(i[0] - 1, i[1], i[2])) / (2 * s),
          (at(i[0], i[1] + 1, i[2]) - at(i[0], i[1] - 1, i[2])) / (2 * s),
          (at(i[0], i[1], i[2] + 1) - at(i[0], i[1], i[2] - 1)) / (2 * s)};
}

// The metric's sample points at one level: of the level voxels over the mask (the full-grid
// voxel under the level voxel is masked), the sampling_fraction with the strongest fixed-image
// gradient (at least kMinSamples where there are that many, at most max_samples), each moved
// uniformly at random within its level voxel so that the points sit off both grids. Flat
// voxels add noise and no information on the pose: taking the edges first makes the estimate
// more precise for the same work.
std::vector<Vec> level_samples(const HostArray<float, 3>& f, HostView<const std::uint8_t, 3> mask,
                               int shrink, const RegisterParams& params, std::size_t level) {
  constexpr std::size_t kMinSamples = 4096;
  const auto s = static_cast<std::size_t>(shrink);
  const std::size_t mz = f.extent(0), my = f.extent(1), mx = f.extent(2);
  struct Candidate {
    float g2;
    std::uint32_t index;
  };
  std::vector<Candidate> c;
  for (std::size_t z = 0; z < mz; ++z)
    for (std::size_t y = 0; y < my; ++y)
      for (std::size_t x = 0; x < mx; ++x) {
        if (!mask(z * s, y * s, x * s)) continue;
        const Vec p{static_cast<double>(x * s), static_cast<double>(y * s),
                    static_cast<double>(z * s)};
        const Vec g = level_gradient(f, shrink, p);
        c.push_back({static_cast<float>(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]),
                     static_cast<std::uint32_t>((z * my + y) * mx + x)});
      }
  if (c.empty()) return {};
  const double wanted = params.sampling_fraction * static_cast<double>(c.size());
  std::size_t count = static_cast<std::size_t>(std::llround(wanted));
  count = std::max(count, std::min(c.size(), kMinSamples));
  count = std::clamp<std::size_t>(count, 1, std::min(c.size(), params.max_samples));
  auto stronger = [](const Candidate& a, const Candidate& b) {
    return a.g2 > b.g2 || (a.g2 == b.g2 && a.index < b.index);
  };
  std::nth_element(c.begin(), c.begin() + static_cast<std::ptrdiff_t>(count - 1), c.end(),
                   stronger);
  c.resize(count);
  std::sort(c.begin(), c.end(),
            [](const Candidate& a, const Candidate& b) { return a.index < b.index; });
  std::mt19937_64 rng(params.seed * 0x9E3779B97F4A7C15ull + level);
  std::uniform_real_distribution<double> jitter(-0.5, 0.5);
  std::vector<Vec> out(count);
  const double sd = static_cast<double>(s);
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t idx = c[i].index;
    const std::size_t x = idx % mx, y = (idx / mx) % my, z = idx / (mx * my);
    out[i] = {sd * (static_cast<double>(x) + jitter(rng)),
              sd * (static_cast<double>(y) + jitter(rng)),
              sd * (static_cast<double>(z) + jitter(rng))};
  }
  return out;
}

// Linear-interpolated central-difference gradient (per full-grid voxel) of a level image at
// the full-grid point p; false outside the image.
bool gradient_at(const HostArray<float, 3>& f, int shrink, const Vec& p, Vec& g) {
  const double s = static_cast<double>(shrink);
  const long n[3] = {static_cast<long>(f.extent(2)), static_cast<long>(f.extent(1)),
                     static_cast<long>(f.extent(0))};
  double q[3];
  for (int d = 0; d < 3; ++d) {
    q[d] = p[d] / s;
    if (!(q[d] >= 0 && q[d] <= static_cast<double>(n[d] - 1))) return false;
  }
  const long i0[3] = {static_cast<long>(q[0]), static_cast<long>(q[1]), static_cast<long>(q[2])};
  const double t[3] = {q[0] - i0[0], q[1] - i0[1], q[2] - i0[2]};
  auto at = [&](long x, long y, long z) {
    return static_cast<double>(f(static_cast<std::size_t>(clamp_index(z, n[2])),
                                 static_cast<std::size_t>(clamp_index(y, n[1])),
                                 static_cast<std::size_t>(clamp_index(x, n[0]))));
  };
  g = {0, 0, 0};
  for (int c = 0; c < 8; ++c) {
    const long x = i0[0] + (c & 1), y = i0[1] + ((c >> 1) & 1), z = i0[2] + ((c >> 2) & 1);
    const double w = ((c & 1) ? t[0] : 1 - t[0]) * (((c >> 1) & 1) ? t[1] : 1 - t[1]) *
                     (((c >> 2) & 1) ? t[2] : 1 - t[2]);
    g[0] += w * (at(x + 1, y, z) - at(x - 1, y, z));
    g[1] += w * (at(x, y + 1, z) - at(x, y - 1, z));
    g[2] += w * (at(x, y, z + 1) - at(x, y, z - 1));
  }
  for (double& v : g)
    v /= 2 * s;
  return true;
}

// What the mean squares metric at the sample points knows about a small rigid motion about
// t's centre: rotations about x, y, z (radians), then translations along x, y, z (voxels).
struct Information {
  std::array<double, 6> sigma{};     // standard deviations (free parameters jointly)
  std::array<double, 3> sigma_px{};  // rotations' sigma times the farthest sample's lever
};

// Gauss-Newton information sum_p J J^T / noise^2, J_k = grad . (e_k x (p - centre)) for the
// rotations and grad . e_k for the translations, with the gradient taken once from each volume
// (fixed at p; moving at t(p), turned back into the fixed frame) and the two products averaged:
// the volumes' noises are independent, so the noise's own gradients drop out on average where
// a product of one volume's gradients would count them as information. `held` parameters are
// left out of the joint inverse (their sigma is the marginal one).
Information information(const HostArray<float, 3>& f, const HostArray<float, 3>& m, int shrink,
                        const std::vector<Vec>& samples, const RigidTransform& t, double noise,
                        std::array<bool, 3> held = {}) {
  std::array<double, 36> h{};
  std::array<double, 3> lever{};
  const Mat rt = transposed(t.rotation);
  for (const Vec& p : samples) {
    Vec gf, gm;
    if (!gradient_at(f, shrink, p, gf) || !gradient_at(m, shrink, t.apply(p), gm)) continue;
    gm = mul(rt, gm);
    const Vec d = sub(p, t.centre);
    auto jacobian = [&](const Vec& g, double j[6]) {
      j[0] = -g[1] * d[2] + g[2] * d[1];
      j[1] = g[0] * d[2] - g[2] * d[0];
      j[2] = -g[0] * d[1] + g[1] * d[0];
      j[3] = g[0];
      j[4] = g[1];
      j[5] = g[2];
    };
    double jf[6], jm[6];
    jacobian(gf, jf);
    jacobian(gm, jm);
    for (int a = 0; a < 6; ++a)
      for (int b = 0; b < 6; ++b)
        h[6 * a + b] += 0.5 * (jf[a] * jm[b] + jm[a] * jf[b]);
    lever[0] = std::max(lever[0], std::hypot(d[1], d[2]));
    lever[1] = std::max(lever[1], std::hypot(d[0], d[2]));
    lever[2] = std::max(lever[2], std::hypot(d[0], d[1]));
  }
  const double n2 = noise * noise;
  Information out;
  const double inf = std::numeric_limits<double>::infinity();
  for (int k = 0; k < 6; ++k)
    out.sigma[k] = h[7 * k] > 0 ? std::sqrt(n2 / h[7 * k]) : inf;
  // Joint sigmas of the free parameters: the diagonal of the inverse of their block
  // (Gauss-Jordan with partial pivoting); a singular block keeps the marginal ones.
  std::vector<int> free;
  for (int k = 0; k < 6; ++k)
    if (k >= 3 || !held[static_cast<std::size_t>(k)]) free.push_back(k);
  const std::size_t nf = free.size();
  std::vector<double> a(nf * 2 * nf, 0.0);
  for (std::size_t i = 0; i < nf; ++i) {
    for (std::size_t j = 0; j < nf; ++j)
      a[i * 2 * nf + j] = h[6 * free[i] + free[j]];
    a[i * 2 * nf + nf + i] = 1;
  }
  bool singular = false;
  for (std::size_t c = 0; c < nf && !singular; ++c) {
    std::size_t piv = c;
    for (std::size_t r = c + 1; r < nf; ++r)
      if (std::abs(a[r * 2 * nf + c]) > std::abs(a[piv * 2 * nf + c])) piv = r;
    if (!(std::abs(a[piv * 2 * nf + c]) > 1e-12 * std::abs(h[7 * free[c]]))) {
      singular = true;
      break;
    }
    for (std::size_t j = 0; j < 2 * nf; ++j)
      std::swap(a[c * 2 * nf + j], a[piv * 2 * nf + j]);
    const double d = a[c * 2 * nf + c];
    for (std::size_t j = 0; j < 2 * nf; ++j)
      a[c * 2 * nf + j] /= d;
    for (std::size_t r = 0; r < nf; ++r) {
      if (r == c) continue;
      const double f2 = a[r * 2 * nf + c];
      for (std::size_t j = 0; j < 2 * nf; ++j)
        a[r * 2 * nf + j] -= f2 * a[c * 2 * nf + j];
    }
  }
  if (!singular)
    for (std::size_t i = 0; i < nf; ++i) {
      const double v = a[i * 2 * nf + nf + i];
      out.sigma[free[i]] = v > 0 ? std::sqrt(n2 * v) : inf;
    }
  for (int k = 0; k < 3; ++k)
    out.sigma_px[k] = out.sigma[k] * lever[k];
  return out;
}

}  // namespace

RegisterResult register_rigid(HostView<const float, 3> fixed, HostView<const float, 3> moving,
                              HostView<const std::uint8_t, 3> fixed_mask,
                              const RegisterParams& params, Logger& log) {
  Stopwatch clock;
  const std::size_t levels_n = params.shrink_factors.size();
  XCT_CHECK(levels_n > 0 && params.smoothing_sigmas_px.size() == levels_n, ErrorKind::Usage,
            "registration needs one smoothing sigma per shrink factor (", levels_n, " factors, ",
            params.smoothing_sigmas_px.size(), " sigmas)");
  for (std::size_t i = 0; i < levels_n; ++i)
    XCT_CHECK(params.shrink_factors[i] >= 1 && params.smoothing_sigmas_px[i] >= 0 &&
                  std::isfinite(params.smoothing_sigmas_px[i]),
              ErrorKind::Usage,
              "registration shrink factors must be >= 1 and smoothing sigmas >= 0");
  XCT_CHECK(params.sampling_fraction > 0 && params.sampling_fraction <= 1, ErrorKind::Usage,
            "the registration's sampling fraction must lie in (0, 1]");
  XCT_CHECK(params.step_px > 0 && params.tolerance_px > 0 && params.tolerance_px < params.step_px,
            ErrorKind::Usage, "registration steps need 0 < tolerance < step");
  XCT_CHECK(params.translation_iterations > 0 && params.rigid_iterations > 0, ErrorKind::Usage,
            "registration iteration limits must be positive");
  XCT_CHECK(params.max_samples > 0 && params.hold_sigma_deg > 0 && params.min_overlap >= 0 &&
                params.min_overlap <= 1,
            ErrorKind::Usage,
            "registration needs max_samples > 0, hold_sigma_deg > 0 and min_overlap in [0, 1]");

  XCT_CHECK(fixed_mask.shape() == fixed.shape(), ErrorKind::BadData, "the registration mask is ",
            fixed_mask.extent(0), "x", fixed_mask.extent(1), "x", fixed_mask.extent(2),
            " and the fixed volume ", fixed.extent(0), "x", fixed.extent(1), "x", fixed.extent(2));
  XCT_CHECK(moving.size() > 0, ErrorKind::BadData, "the moving volume is empty");
  XCT_CHECK(all_finite(fixed) && all_finite(moving), ErrorKind::BadData,
            "a volume to register holds NaN or infinite values");

  // The mask's voxel count and centroid.
  XCT_CHECK(fixed.size() < std::numeric_limits<std::uint32_t>::max(), ErrorKind::Usage,
            "the fixed volume is too large to register (", fixed.size(), " voxels)");
  std::size_t mask_count = 0;
  Vec centroid{0, 0, 0};
  for (std::size_t z = 0; z < fixed.extent(0); ++z)
    for (std::size_t y = 0; y < fixed.extent(1); ++y)
      for (std::size_t x = 0; x < fixed.extent(2); ++x)
        if (fixed_mask(z, y, x)) {
          ++mask_count;
          centroid[0] += static_cast<double>(x);
          centroid[1] += static_cast<double>(y);
          centroid[2] += static_cast<double>(z);
        }
  XCT_CHECK(mask_count > 0, ErrorKind::BadData, "the registration mask is empty");
  for (double& c : centroid)
    c /= static_cast<double>(mask_count);

  auto values = masked_values(fixed, fixed_mask, mask_count);
  const auto [lo_it, hi_it] = std::minmax_element(values.begin(), values.end());
  XCT_CHECK(*hi_it > *lo_it, ErrorKind::BadData,
            "the fixed volume has no contrast over the registration mask (all ", *lo_it, ")");
  const double full_range = *hi_it - *lo_it;
  std::sort(values.begin(), values.end());
  const double p1 = values[values.size() / 100];
  const double p99 = values[values.size() - 1 - values.size() / 100];
  const double contrast = p99 > p1 ? p99 - p1 : full_range;
  {
    float lo = moving(0, 0, 0), hi = lo;
    for (std::size_t z = 0; z < moving.extent(0); ++z)
      for (std::size_t y = 0; y < moving.extent(1); ++y)
        for (std::size_t x = 0; x < moving.extent(2); ++x) {
          lo = std::min(lo, moving(z, y, x));
          hi = std::max(hi, moving(z, y, x));
        }
    XCT_CHECK(hi > lo, ErrorKind::BadData, "the moving volume has no contrast (all ", lo, ")");
  }

  // The pyramid and each level's sample points (level_samples).
  std::vector<register_detail::PyramidLevel> levels(levels_n);
  HostArray<float, 3> fine_fixed, fine_moving;  // the finest level smoothed by >= 1 voxel
  for (std::size_t li = 0; li < levels_n; ++li) {
    auto& level = levels[li];
    level.shrink = params.shrink_factors[li];
    level.fixed =
        smooth_shrink(fixed, params.smoothing_sigmas_px[li], level.shrink, params.threads);
    level.moving =
        smooth_shrink(moving, params.smoothing_sigmas_px[li], level.shrink, params.threads);
    // Edges are ranked (and the information estimated) on images smoothed by at least one
    // voxel, where the noise's own gradients are small beside the edges'.
    const double sigma = params.smoothing_sigmas_px[li];
    const double extra = std::sqrt(std::max(0.0, 1 - sigma * sigma)) / level.shrink;
    HostArray<float, 3> ranked = smooth_shrink(level.fixed.cview(), extra, 1, params.threads);
    level.samples = level_samples(ranked, fixed_mask, level.shrink, params, li);
    auto moving_smoothed = smooth_shrink(level.moving.cview(), 1.0, 1, params.threads);
    level.moving_gradient = gradient_images(moving_smoothed, level.shrink, params.threads);
    if (li + 1 == levels_n) {
      fine_fixed = std::move(ranked);
      fine_moving = extra == 1.0 ? std::move(moving_smoothed)
                                 : smooth_shrink(level.moving.cview(), extra, 1, params.threads);
    }
  }
  const auto& fine = levels.back();

  RegisterResult result;
  result.noise_fixed = estimate_noise_sigma(fixed, params.threads);
  result.noise_moving = estimate_noise_sigma(moving, params.threads);
  const double noise =
      std::max(std::hypot(result.noise_fixed, result.noise_moving), 0.02 * contrast);
  const RigidTransform start = RigidTransform::identity(centroid);
  const double built = clock.lap();
  const auto translation = register_detail::itk_optimise(levels, false, start, {}, params,
                                                         params.translation_iterations, log);
  const double t_translation = clock.lap();

  // Rotations the mask does not determine (a cylindrically symmetric mask leaves the rotation
  // about its axis free): held at zero instead of drifting on noise.
  const Information before =
      information(fine_fixed, fine_moving, fine.shrink, fine.samples, translation.transform, noise);
  for (int k = 0; k < 3; ++k) {
    result.rotation_held[static_cast<std::size_t>(k)] =
        !(before.sigma[static_cast<std::size_t>(k)] * 180 / std::numbers::pi <=
          params.hold_sigma_deg);
    if (result.rotation_held[static_cast<std::size_t>(k)])
      log.warn("registration: the mask does not determine the rotation about ", "xyz"[k],
               " (sigma ", before.sigma[static_cast<std::size_t>(k)] * 180 / std::numbers::pi,
               " deg, ", before.sigma_px[static_cast<std::size_t>(k)],
               " voxel at the farthest masked point): held at zero");
  }
  const auto rigid =
      register_detail::itk_optimise(levels, true, translation.transform, result.rotation_held,
                                    params, params.rigid_iterations, log);
  const double t_rigid = clock.lap();
  result.transform = rigid.transform;
  result.iterations_translation = translation.iterations;
  result.iterations_rigid = rigid.iterations;
  result.metric_initial = register_detail::itk_metric_value(fine, start, params.threads);
  result.metric_final = rigid.value_last;
  const Information after = information(fine_fixed, fine_moving, fine.shrink, fine.samples,
                                        result.transform, noise, result.rotation_held);
  for (std::size_t k = 0; k < 3; ++k) {
    result.rotation_sigma_deg[k] = after.sigma[k] * 180 / std::numbers::pi;
    result.translation_sigma_px[k] = after.sigma[3 + k];
  }

  std::size_t inside = 0;
  result.rms_before =
      masked_rms_difference(fixed, moving, fixed_mask, start, nullptr, params.threads);
  result.rms_after =
      masked_rms_difference(fixed, moving, fixed_mask, result.transform, &inside, params.threads);
  result.overlap = static_cast<double>(inside) / static_cast<double>(mask_count);
  result.residual = result.rms_after / noise;

  if (!rigid.converged) {
    result.message = "the rigid optimiser did not converge: " + rigid.stop;
  } else if (!(result.overlap >= params.min_overlap)) {
    std::ostringstream os;
    os << "only " << 100 * result.overlap << " % of the mask maps inside the moving volume "
       << "(at least " << 100 * params.min_overlap << " % expected)";
    result.message = os.str();
  } else if (!(result.residual <= params.max_residual)) {
    std::ostringstream os;
    os << "the residual " << result.residual << " exceeds " << params.max_residual << " (rms "
       << result.rms_after << " against noise " << noise << ")";
    result.message = os.str();
  }
  result.ok = result.message.empty();
  const double t_check = clock.lap();
  result.seconds = built + t_translation + t_rigid + t_check;

  const auto& t = result.transform.translation;
  const auto axis = result.transform.axis();
  log.info("registered: translation (", t[0], ", ", t[1], ", ", t[2], ") voxel, rotation ",
           result.transform.angle_deg(), " deg about (", axis[0], ", ", axis[1], ", ", axis[2],
           "); rms ", result.rms_before, " -> ", result.rms_after, ", residual ", result.residual,
           " (noise ", result.noise_fixed, ", ", result.noise_moving, "); ",
           result.iterations_translation, " + ", result.iterations_rigid, " iterations; ",
           result.seconds, " s", result.ok ? "" : "; FAILED: ", result.message);
  log.debug("registration sigmas: rotation (", result.rotation_sigma_deg[0], ", ",
            result.rotation_sigma_deg[1], ", ", result.rotation_sigma_deg[2],
            ") deg, translation (", result.translation_sigma_px[0], ", ",
            result.translation_sigma_px[1], ", ", result.translation_sigma_px[2], ") voxel");
  log.debug("registration times: pyramid ", built, " s, translation ", t_translation, " s, rigid ",
            t_rigid, " s, residual ", t_check, " s");
  return result;
}

}  // namespace xct::seg
