#include "simulate/preview.hpp"

#include <algorithm>
#include <cmath>

#include "io/png.hpp"
#include "simulate/truth.hpp"

namespace xct::sim {

std::size_t preview_row(const CellLayout& layout, std::size_t n_rows) {
  const double depth = layout.crack_present ? 0.5 * layout.crack_depth_limit_px : 3.0;
  const double z = std::round(layout.z_top + depth);
  return static_cast<std::size_t>(std::clamp(z, 0.0, static_cast<double>(n_rows - 1)));
}

SinogramTap::SinogramTap(std::size_t row, std::size_t n_angles, std::size_t n_cols)
    : row_(row),
      n_angles_(n_angles),
      n_cols_(n_cols),
      proj_(n_angles * n_cols, 0.0f),
      flat_(n_cols, 0.0),
      dark_(n_cols, 0.0) {}

void SinogramTap::add_projection(std::size_t angle, const float* frame) {
  std::copy_n(frame + row_ * n_cols_, n_cols_, proj_.begin() + angle * n_cols_);
}

void SinogramTap::add_flat(const float* frame) {
  for (std::size_t u = 0; u < n_cols_; ++u)
    flat_[u] += frame[row_ * n_cols_ + u];
  ++n_flats_;
}

void SinogramTap::add_dark(const float* frame) {
  for (std::size_t u = 0; u < n_cols_; ++u)
    dark_[u] += frame[row_ * n_cols_ + u];
  ++n_darks_;
}

std::vector<float> SinogramTap::sinogram() const {
  std::vector<float> s(proj_.size(), 0.0f);
  for (std::size_t u = 0; u < n_cols_; ++u) {
    const double dark = n_darks_ ? dark_[u] / n_darks_ : 0.0;
    const double open = (n_flats_ ? flat_[u] / n_flats_ : 0.0) - dark;
    if (!(open > 0)) continue;
    for (std::size_t a = 0; a < n_angles_; ++a) {
      const double lit = proj_[a * n_cols_ + u] - dark;
      s[a * n_cols_ + u] = lit > 0 ? static_cast<float>(-std::log(lit / open)) : 0.0f;
    }
  }
  return s;
}

void write_sinogram_preview(const std::filesystem::path& file, const SinogramTap& tap) {
  std::vector<float> s = tap.sinogram();
  write_png_preview(file, HostView<const float, 2>(s.data(), {tap.n_angles(), tap.n_cols()}));
}

void write_truth_preview(const std::filesystem::path& file, const Cell& cell, const Pose& pose,
                         std::size_t n_cols, std::size_t n_rows, std::size_t row) {
  // Axial slice (n x n) on the left, a gap, the vertical cut (n_rows x n) on the right.
  const std::size_t n = n_cols, gap = 4, width = 2 * n + gap, height = std::max(n, n_rows);
  std::vector<float> img(height * width, 0.0f);
  std::vector<float> slice(n * n);
  truth_slice(cell.scene, pose, n, row, 2, nullptr, slice.data());
  for (std::size_t y = 0; y < n; ++y)
    std::copy_n(&slice[y * n], n, &img[y * width]);
  const double az = cell.layout.crack_azimuth_rad, half = (static_cast<double>(n) - 1) / 2;
  const auto& objects = cell.scene.objects();
  for (std::size_t z = 0; z < n_rows; ++z) {
    for (std::size_t i = 0; i < n; ++i) {
      const double r = static_cast<double>(i) - half;
      const Vec3 world{r * std::cos(az), r * std::sin(az), static_cast<double>(z)};
      const int obj = cell.scene.object_at(pose.to_cell(world));
      img[z * width + n + gap + i] =
          obj < 0 ? 0.0f : static_cast<float>(objects[obj].material.mu_per_cm);
    }
  }
  // Square root of mu, so that NaK, PEEK, rubber and Al stand apart below NASICON; the full
  // range keeps grey levels comparable between steps.
  for (float& v : img)
    v = std::sqrt(std::max(v, 0.0f));
  write_png_preview(file, HostView<const float, 2>(img.data(), {height, width}), 0.0, 100.0);
}

}  // namespace xct::sim
