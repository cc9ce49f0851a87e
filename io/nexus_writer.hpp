// Writes raw scans as NeXus NXtomo (for the simulator and tests): one frame stack in
// acquisition order, sorted by an image_key (0 projection, 1 flat, 2 dark), so flats taken
// before and after the projections stay apart.
//   /entry                            NXentry, definition "NXtomo"
//   /entry/instrument/detector/data   frames (n_frames, rows, cols), one frame per chunk
//   /entry/instrument/detector/image_key, x_pixel_size, y_pixel_size (um), distance (mm)
//   /entry/instrument/monochromator/energy (keV)
//   /entry/sample/rotation_angle      degrees, one per frame
//   /entry/data                       NXdata with links to data, image_key, rotation_angle
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/dtype.hpp"

namespace xct {

struct NxTomoLayout {
  DType dtype = DType::UInt16;
  std::size_t n_rows = 0, n_cols = 0;
  std::vector<int> image_key;        // one per frame, in acquisition order
  std::vector<double> rotation_deg;  // one per frame
  std::optional<double> pixel_size_um;
  std::optional<double> energy_kev;
  std::optional<double> distance_mm;
  std::string title;
  int deflate_level = 0;  // 1-9: frames compressed (shuffle + deflate)
};

// Written under a temporary name and renamed into place by commit(); a writer destroyed
// without commit() removes the file.
class NxTomoWriter {
 public:
  NxTomoWriter(std::filesystem::path file, const NxTomoLayout& layout);
  ~NxTomoWriter();
  NxTomoWriter(const NxTomoWriter&) = delete;
  NxTomoWriter& operator=(const NxTomoWriter&) = delete;

  // Frames first .. first + count - 1 of the stack, samples of the layout's type.
  void write_frames(std::size_t first, std::size_t count, const void* data);
  // Every frame must have been written.
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct
