// Volumes in and labels out for `xct segment`.
//
// Input: a reconstructed volume (z, y, x) as
//  - a folder of TIFF slices, one page per file: recon_*.tiff when there are any (as xct recon
//    writes them), else every *.tif / *.tiff, ordered by name with the numbers in names
//    compared as numbers (slice_2 before slice_10);
//  - a single multi-page TIFF file, one page per slice (or a folder holding only that file);
//  - an HDF5 file: --dataset when given, else /exchange/data (xct recon), else the file's
//    only 3-D dataset; a folder holding recon.h5 and no TIFF reads recon.h5.
// Stored samples of type float32, float64, uint8, uint16 or int16 are read as float32; uint16
// volumes written by xct recon with --dtype uint16 are mapped back through their offset and
// scale (HDF5 attributes value_offset / value_scale, or the TIFF ImageDescription). Anything
// else (complex, int32, int64, float16, RGB or palette TIFF, a 2-D dataset ...) is
// ErrorKind::BadData with one line naming the file and the type; a missing input is
// ErrorKind::InputMissing; a volume with a zero extent is ErrorKind::BadData. With a region of
// interest only its slices (and, where the format allows, its rows) are read.
//
// Output: labels (uint8, segment/labels.hpp) as a TIFF stack labels_NNNNN.tif (five digits,
// more when the slice count needs them) or one HDF5 file labels.h5 with /labels (z, y, x),
// one slice per chunk, deflate-compressed, and the attributes axes ("z:y:x"), labels
// ("0 outside, 1 void, ..." as the simulator's truth), label_names (a JSON array indexed by
// label), voxel_size_um and command. Every file is written under a temporary name and renamed
// into place when complete.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/array.hpp"

namespace xct::seg {

// A box of voxels: [z0, z1) x [y0, y1) x [x0, x1).
struct Roi {
  std::size_t z0 = 0, z1 = 0, y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  std::array<std::size_t, 3> shape() const { return {z1 - z0, y1 - y0, x1 - x0}; }
  bool operator==(const Roi&) const = default;
};

// "Z0:Z1,Y0:Y1,X0:X1" (end exclusive; an empty side is the whole axis: ":,10:50,10:50").
// Throws ErrorKind::Usage for anything else. Sides left open are set to SIZE_MAX and closed
// against the volume by read_volume().
Roi parse_roi(const std::string& text);

struct VolumeInput {
  std::filesystem::path path;          // file or folder
  std::optional<std::string> dataset;  // HDF5 dataset path
  std::optional<Roi> roi;              // in the stored volume's voxels
};

// What the input holds, as stored.
struct VolumeInfo {
  std::filesystem::path source;  // the file, or the folder of slices
  std::string format;            // "tiff-stack", "tiff" (one multi-page file) or "hdf5"
  std::string dataset;           // HDF5 only
  std::string dtype;             // stored sample type: "float32", "uint16", "int16" ...
  std::size_t nz = 0, ny = 0, nx = 0;
  std::vector<std::filesystem::path> files;  // tiff-stack: the slices in z order
  std::optional<double> voxel_size_um;
  std::string voxel_size_from;  // where it was found: "hdf5 attribute", "tiff description",
                                // "report.json"; empty when unknown
  std::string units;            // as the file says ("1/cm"); empty when it does not
  // uint16 volumes stored as offset + scale * sample.
  double value_offset = 0.0, value_scale = 1.0;
};

// Opens the input and describes it, reading no samples (TIFF: the first slice's header).
VolumeInfo describe_volume(const VolumeInput& input);

struct LoadedVolume {
  HostArray<float, 3> data;  // the region of interest, (z, y, x)
  VolumeInfo info;
  Roi roi;  // the region read, in the stored volume's voxels (the whole volume when none)
};

// Reads the volume (or its region of interest) as float32. A region outside the volume, or
// empty, is ErrorKind::Usage.
LoadedVolume read_volume(const VolumeInput& input);

// ---- labels -------------------------------------------------------------------------------

struct LabelMeta {
  std::optional<double> voxel_size_um;
  std::string command;  // the command line that made the labels
};

// Names of the label files: labels_NNNNN.tif (digits: 5, more when nz needs them) and
// labels.h5.
std::filesystem::path label_slice_path(const std::filesystem::path& folder, std::size_t z,
                                       std::size_t nz);
inline const char* const kLabelsH5 = "labels.h5";

// Writes `labels` into `folder` as format "tiff" or "h5" (ErrorKind::Usage otherwise); returns
// the files written, in z order for TIFF. Each file is atomic. ErrorKind::OutputIO when it
// cannot write.
std::vector<std::filesystem::path> write_labels(const std::filesystem::path& folder,
                                                const std::string& format,
                                                HostView<const std::uint8_t, 3> labels,
                                                const LabelMeta& meta);

// Reads labels written by write_labels(): labels.h5 (or any HDF5 file with a uint8 /labels), or
// a folder of labels_*.tif. For tests and for the time series.
HostArray<std::uint8_t, 3> read_labels(const std::filesystem::path& path);

}  // namespace xct::seg
