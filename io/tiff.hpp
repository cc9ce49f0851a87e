// TIFF images through libtiff: reading rows of single- and multi-page files (uint8, uint16 in
// either byte order, float32; strips or tiles) and writing float32 slices that Fiji/ImageJ and
// tifffile read. Every libtiff call is checked; libtiff's own warnings and errors are captured
// and turned into xct::Error instead of being printed.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "core/array.hpp"
#include "io/dtype.hpp"
#include "io/scan.hpp"

namespace xct {

struct TiffImageInfo {
  std::size_t n_cols = 0;   // width
  std::size_t n_rows = 0;   // height
  std::size_t n_pages = 0;  // directories of the same shape and type
  DType dtype = DType::UInt16;
  bool big_endian = false;
};

// An open TIFF file whose pages have all been checked: shape and type shared by every page,
// strips or tiles that lie inside the file and hold enough bytes for their rows. Keeping it
// open makes repeated reads of a multi-page file cheap (pages are found by their recorded
// directory offsets). Not safe for concurrent use; open one per thread.
class TiffFile {
 public:
  // Throws as tiff_info() does.
  explicit TiffFile(const std::filesystem::path& file);
  ~TiffFile();
  TiffFile(TiffFile&&) noexcept;
  TiffFile& operator=(TiffFile&&) noexcept;

  const TiffImageInfo& info() const;
  const std::filesystem::path& path() const;

  // As read_tiff_rows(): rows [rows.begin, rows.end) of `page`, all columns, as `out_type`.
  void read_rows(std::size_t page, Range rows, DType out_type, void* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Describes a file; throws ErrorKind::InputMissing when absent and ErrorKind::BadData for a
// file that is not a readable greyscale TIFF of a supported type (or whose pages differ).
TiffImageInfo tiff_info(const std::filesystem::path& file);

// Reads rows [rows.begin, rows.end) of page `page` into `out` (rows.size() * n_cols samples of
// `out_type`), decoding only the strips or tiles that cover those rows.
void read_tiff_rows(const std::filesystem::path& file, std::size_t page, Range rows, DType out_type,
                    void* out);

// The whole of page `page` as float32 (rows, cols).
HostArray<float, 2> read_tiff_image(const std::filesystem::path& file, std::size_t page = 0);

// Writes one float32 image (rows, cols) atomically, as an uncompressed little-endian
// single-page TIFF with min/max sample tags and, when given, an ImageDescription.
void write_tiff_float(const std::filesystem::path& file, HostView<const float, 2> image,
                      const std::string& description = {});

// Writes images of any supported type, for tests and sample data: `pages` images of
// rows x cols samples, in the given byte order (big_endian writes Motorola "MM" files).
void write_tiff_pages(const std::filesystem::path& file, DType dtype, const void* data,
                      std::size_t pages, std::size_t rows, std::size_t cols,
                      bool big_endian = false, const std::string& description = {});

// A volume as one float32 TIFF per z slice: <folder>/<prefix>00000.tiff with five digits, more
// when the slice count needs them. Each slice is written atomically.
class TiffStackWriter {
 public:
  TiffStackWriter(std::filesystem::path folder, std::size_t n_slices,
                  std::string prefix = "recon_");
  std::filesystem::path slice_path(std::size_t z) const;
  void write_slice(std::size_t z, HostView<const float, 2> slice);
  // Writes slices z0 .. z0 + slab.extent(0) - 1.
  void write_slab(std::size_t z0, HostView<const float, 3> slab);
  std::size_t digits() const { return digits_; }
  // ImageDescription of every slice written from now on (units, voxel size ...).
  void set_description(std::string text) { description_ = std::move(text); }

 private:
  std::filesystem::path folder_;
  std::size_t n_slices_;
  std::string prefix_;
  std::size_t digits_;
  std::string description_;
};

// Reads slices z of a TIFF stack written by TiffStackWriter (files <prefix>NNNNN.tiff in
// `folder`, sorted by index) into a (z, y, x) volume.
HostArray<float, 3> read_tiff_stack_volume(const std::filesystem::path& folder, Range z,
                                           const std::string& prefix = "recon_");

}  // namespace xct
