// Writes raw scans as APS Data Exchange HDF5 (for the simulator, sample data and tests):
// /exchange/data, /exchange/data_white, /exchange/data_dark (one frame per chunk, as detectors
// write them), /exchange/theta in degrees, and /measurement metadata when known.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/dtype.hpp"

namespace xct {

// A contiguous (frames, rows, cols) stack of samples.
struct FrameStack {
  DType dtype = DType::UInt16;
  const void* data = nullptr;
  std::size_t n_frames = 0;
  std::size_t n_rows = 0;
  std::size_t n_cols = 0;
};

struct DxScan {
  FrameStack projections;
  FrameStack flats;  // n_frames == 0: no /exchange/data_white
  FrameStack darks;  // n_frames == 0: no /exchange/data_dark
  std::vector<double> theta_deg;  // empty: no /exchange/theta
  std::optional<double> pixel_size_um;
  std::optional<double> energy_kev;
  std::optional<double> distance_mm;
  std::string description;  // free text stored as /exchange/description
};

// Written atomically (temporary name, renamed when complete).
void write_data_exchange(const std::filesystem::path& file, const DxScan& scan);

}  // namespace xct
