// PNG pictures of a simulated time step, for a quick look without other tools:
//   truth_tNN.png     attenuation truth (grey level = square root of mu): the axial slice
//                     through the crack beside a vertical cut through the rotation axis along
//                     the crack's azimuth
//   sinogram_tNN.png  the flat-field-corrected -log sinogram of that slice's detector row
#pragma once

#include <cstddef>
#include <filesystem>
#include <vector>

#include "simulate/cell.hpp"

namespace xct::sim {

// The detector row the previews show: halfway down the crack, or just below the pellet's
// face when there is none.
std::size_t preview_row(const CellLayout& layout, std::size_t n_rows);

// Collects one detector row of every frame as the scan is exposed.
class SinogramTap {
 public:
  SinogramTap(std::size_t row, std::size_t n_angles, std::size_t n_cols);
  std::size_t row() const { return row_; }
  // `frame` is a whole frame (rows x cols) of counts.
  void add_projection(std::size_t angle, const float* frame);
  void add_flat(const float* frame);
  void add_dark(const float* frame);
  // -log((p - dark) / (flat - dark)) with the mean flat and dark; pixels whose flat does not
  // exceed the dark are drawn as 0.
  std::vector<float> sinogram() const;
  std::size_t n_angles() const { return n_angles_; }
  std::size_t n_cols() const { return n_cols_; }

 private:
  std::size_t row_, n_angles_, n_cols_;
  std::vector<float> proj_;
  std::vector<double> flat_, dark_;
  std::size_t n_flats_ = 0, n_darks_ = 0;
};

void write_sinogram_preview(const std::filesystem::path& file, const SinogramTap& tap);
void write_truth_preview(const std::filesystem::path& file, const Cell& cell, const Pose& pose,
                         std::size_t n_cols, std::size_t n_rows, std::size_t row);

}  // namespace xct::sim
