// How a raw scan is laid out on disk: which layout, and where each role (projections, flats,
// darks, angles) lives. `Kind::Auto` lets open_scan() recognise Data Exchange, NeXus and TIFF
// folders by themselves; a beamline's own HDF5 layout is always described explicitly.
//
// Relative paths in a LayoutSpec are resolved against the folder of the input (the input
// itself when it is a folder).
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace xct {

struct AngleSpec {
  enum class Kind {
    Auto,      // whatever the layout provides (theta, rotation_angle, angles.txt ...)
    Dataset,   // an HDF5 dataset: `file` (empty = the main file) and `dataset`
    TextFile,  // one value per line in `file`, lines first_line..last_line (1-based, inclusive)
    Range,     // `count` values from start to stop, with or without the end point
  };
  Kind kind = Kind::Auto;
  std::string file;
  std::string dataset;
  std::size_t first_line = 0;  // 0 = from the first line
  std::size_t last_line = 0;   // 0 = to the last line
  double start = 0.0;
  double stop = 180.0;
  std::size_t count = 0;  // 0 = one per projection
  bool endpoint = true;
  bool degrees = true;  // false when the values are radians
};

// Where one role of the scan lives. For HDF5 layouts: a file (empty = the main input) and a
// dataset path. For TIFF layouts: a file (single or multi-page), a folder, or a glob pattern
// such as "proj_*.tif"; `dataset` is unused.
struct RoleSpec {
  std::string file;
  std::string dataset;
  bool empty() const { return file.empty() && dataset.empty(); }
};

struct LayoutSpec {
  enum class Kind { Auto, DataExchange, Nexus, Hdf5Custom, TiffStack };
  Kind kind = Kind::Auto;

  RoleSpec projections;
  RoleSpec flats;
  RoleSpec darks;
  AngleSpec angles;

  // NeXus: explicit paths inside the file; empty = discover them.
  std::string nexus_data;
  std::string nexus_image_key;
  std::string nexus_angles;

  // Values that override (or supply) what the file records.
  std::optional<double> pixel_size_um;
  std::optional<double> energy_kev;
  std::optional<double> distance_mm;
};

const char* layout_kind_name(LayoutSpec::Kind kind) noexcept;
// Parses "auto", "dxchange", "nexus", "hdf5", "tiff" (and a few aliases); throws a usage
// error for anything else.
LayoutSpec::Kind parse_layout_kind(const std::string& name);

}  // namespace xct
