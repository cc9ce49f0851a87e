// The truth volumes of a time step as HDF5: /labels (uint8) and, optionally, /attenuation
// (float32, 1/cm), both (z, y, x) on the reconstruction grid, one slice per chunk, written
// slab by slab under a temporary name.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

#include "core/progress.hpp"
#include "simulate/cell.hpp"

namespace xct::sim {

struct TruthFileOptions {
  std::size_t n_rows = 0, n_cols = 0;
  int supersample = 3;  // sub-rays per voxel side for the attenuation
  bool attenuation = true;
  double voxel_size_um = 0;
  int deflate_level = 0;
  std::string command;
};

// Advances `progress` by one per slice.
void write_truth_file(const std::filesystem::path& file, const Cell& cell, const Pose& pose,
                      const TruthFileOptions& options, Progress& progress);

}  // namespace xct::sim
