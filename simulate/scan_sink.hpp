// Where the simulator's frames go: a Data Exchange file, a NeXus NXtomo file or a folder of
// TIFF files, each written under a temporary name and put in place by commit().
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/dtype.hpp"
#include "io/scan.hpp"

namespace xct::sim {

enum class ScanFormat { Hdf5, Nexus, Tiff };
const char* format_name(ScanFormat format);       // "data-exchange", "nexus", "tiff"
const char* format_extension(ScanFormat format);  // ".h5", ".nxs", "" (a folder)

struct ScanLayout {
  ScanFormat format = ScanFormat::Hdf5;
  DType dtype = DType::UInt16;
  std::size_t n_rows = 0, n_cols = 0, n_angles = 0;
  std::size_t n_flats = 0, n_flats_after = 0, n_darks = 0;
  std::vector<double> theta_deg;
  double pixel_size_um = 0, energy_kev = 0;
  std::optional<double> distance_mm;
  std::string description;
  int deflate_level = 0;
};

class ScanSink {
 public:
  virtual ~ScanSink() = default;
  // Frames first .. first + count - 1 of a role, samples of the layout's type. Flats numbered
  // from n_flats on are those taken after the projections.
  virtual void write(FrameRole role, std::size_t first, std::size_t count, const void* data) = 0;
  virtual void commit() = 0;
};

std::unique_ptr<ScanSink> open_scan_sink(const std::filesystem::path& path,
                                         const ScanLayout& layout);

}  // namespace xct::sim
