// A small synthetic raw scan with a known answer, for tests and sample_data/: two
// attenuating discs per detector row projected analytically (exact chord lengths, no
// voxelisation), a flat field with a column gain pattern, a constant dark, and Poisson noise
// from a fixed seed. The phantom simulator of xct (simulate/) supersedes this for physics; this
// scan only has to be small, deterministic and exactly described.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <vector>

#include "core/array.hpp"

namespace xct::test {

struct SampleScanOptions {
  std::size_t n_angles = 121;  // over 180 degrees with both end points
  std::size_t n_rows = 24;
  std::size_t n_cols = 64;
  std::size_t n_flats = 4;
  std::size_t n_darks = 2;
  double center_offset = 1.25;   // rotation axis minus detector centre, in columns
  double flat_counts = 20000.0;  // mean open-beam counts
  double dark_counts = 100.0;
  double pixel_size_um = 1.3;
  double energy_kev = 80.0;
  std::uint32_t seed = 20261126;
};

struct SampleScan {
  HostArray<std::uint16_t, 3> projections;  // (angle, row, col)
  HostArray<std::uint16_t, 3> flats;
  HostArray<std::uint16_t, 3> darks;
  std::vector<double> theta_deg;
  double center_col = 0;  // from the centre of column 0
};

SampleScan make_sample_scan(const SampleScanOptions& opts = {});

// Writes the scan as Data Exchange HDF5 (io/dx_writer) and returns it.
SampleScan write_sample_scan(const std::filesystem::path& file, const SampleScanOptions& opts = {});

}  // namespace xct::test
