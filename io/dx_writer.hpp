// Writes raw scans as APS Data Exchange HDF5 (for the simulator, sample data and tests):
// /exchange/data, /exchange/data_white, /exchange/data_dark (one frame per chunk, as detectors
// write them), /exchange/theta in degrees, and /measurement metadata when known.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/dtype.hpp"
#include "io/scan.hpp"

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
  FrameStack flats;               // n_frames == 0: no /exchange/data_white
  FrameStack darks;               // n_frames == 0: no /exchange/data_dark
  std::vector<double> theta_deg;  // empty: no /exchange/theta
  std::optional<double> pixel_size_um;
  std::optional<double> energy_kev;
  std::optional<double> distance_mm;
  std::string description;  // free text stored as /exchange/description
  int deflate_level = 0;    // 1-9: frames compressed (shuffle + deflate)
};

// Writes a Data Exchange file frame block by frame block, for scans too large to hold in
// memory. `layout` gives the shapes and metadata (its data pointers are ignored). The file is
// written under a temporary name and renamed into place by commit(); a writer destroyed
// without commit() removes it.
class DxWriter {
 public:
  DxWriter(std::filesystem::path file, const DxScan& layout);
  ~DxWriter();
  DxWriter(const DxWriter&) = delete;
  DxWriter& operator=(const DxWriter&) = delete;

  // Frames first_frame .. first_frame + n_frames - 1 of a role, (n_frames, rows, cols) samples
  // of the layout's type.
  void write_frames(FrameRole role, std::size_t first_frame, std::size_t n_frames,
                    const void* data);
  // Every frame must have been written.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Written atomically (temporary name, renamed when complete).
void write_data_exchange(const std::filesystem::path& file, const DxScan& scan);

}  // namespace xct
