#include "tests/support/sample_scan.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/geometry.hpp"
#include "io/dx_writer.hpp"

namespace xct::test {

namespace {

struct Disc {
  double x, y, radius, mu;  // centre and radius in pixels from the axis; mu per pixel
};

// Line integral of the discs along the ray at detector offset t (pixels from the axis) for
// projection angle theta: each disc contributes mu times its chord length.
double line_integral(const std::vector<Disc>& discs, double theta, double t) {
  double sum = 0.0;
  for (const Disc& d : discs) {
    const double s = d.x * std::cos(theta) + d.y * std::sin(theta);
    const double h = t - s;
    if (std::abs(h) < d.radius) sum += d.mu * 2.0 * std::sqrt(d.radius * d.radius - h * h);
  }
  return sum;
}

std::uint16_t to_counts(double v) {
  return static_cast<std::uint16_t>(std::clamp(std::lround(v), 0L, 65535L));
}

}  // namespace

SampleScan make_sample_scan(const SampleScanOptions& o) {
  SampleScan s;
  s.center_col = (static_cast<double>(o.n_cols) - 1.0) / 2.0 + o.center_offset;
  s.theta_deg = angle_range(0.0, 180.0, o.n_angles, true);
  const double r = 0.3 * static_cast<double>(o.n_cols);
  std::mt19937 rng(o.seed);
  // Column gain of the flat: a smooth ripple, as from a scintillator's uneven response.
  std::vector<double> gain(o.n_cols);
  for (std::size_t c = 0; c < o.n_cols; ++c)
    gain[c] = 1.0 + 0.1 * std::sin(0.3 * c);
  auto noisy = [&](double mean) {
    return to_counts(std::poisson_distribution<long>(std::max(mean, 0.0))(rng));
  };
  s.flats = HostArray<std::uint16_t, 3>({o.n_flats, o.n_rows, o.n_cols});
  for (std::size_t f = 0; f < o.n_flats; ++f)
    for (std::size_t row = 0; row < o.n_rows; ++row)
      for (std::size_t c = 0; c < o.n_cols; ++c)
        s.flats(f, row, c) = noisy(o.flat_counts * gain[c] + o.dark_counts);
  s.darks = HostArray<std::uint16_t, 3>({o.n_darks, o.n_rows, o.n_cols});
  for (auto& v : s.darks)
    v = noisy(o.dark_counts);
  s.projections = HostArray<std::uint16_t, 3>({o.n_angles, o.n_rows, o.n_cols});
  for (std::size_t row = 0; row < o.n_rows; ++row) {
    // The small disc moves with the row so that slices differ.
    const std::vector<Disc> discs{{0.0, 0.0, r, 0.02},
                                  {0.4 * r, 0.1 * r * (1.0 + 0.05 * row), 0.3 * r, 0.05}};
    for (std::size_t a = 0; a < o.n_angles; ++a) {
      const double theta = deg_to_rad(s.theta_deg[a]);
      for (std::size_t c = 0; c < o.n_cols; ++c) {
        const double t = static_cast<double>(c) - s.center_col;
        const double mean = o.flat_counts * gain[c] * std::exp(-line_integral(discs, theta, t));
        s.projections(a, row, c) = noisy(mean + o.dark_counts);
      }
    }
  }
  return s;
}

SampleScan write_sample_scan(const std::filesystem::path& file, const SampleScanOptions& o) {
  SampleScan s = make_sample_scan(o);
  auto stack = [](const HostArray<std::uint16_t, 3>& a) {
    return FrameStack{DType::UInt16, a.data(), a.extent(0), a.extent(1), a.extent(2)};
  };
  DxScan dx;
  dx.projections = stack(s.projections);
  dx.flats = stack(s.flats);
  dx.darks = stack(s.darks);
  dx.theta_deg = s.theta_deg;
  dx.pixel_size_um = o.pixel_size_um;
  dx.energy_kev = o.energy_kev;
  dx.description = "xct sample scan: two discs, analytic projections, Poisson noise";
  write_data_exchange(file, dx);
  return s;
}

}  // namespace xct::test
