// TIFF writing through libtiff: float32 slices that Fiji/ImageJ and tifffile read, pages of
// any supported type for tests and sample data, and volumes as one file per slice.
#include <tiffio.h>
#include <exception>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "io/atomic_file.hpp"
#include "io/tiff.hpp"
#include "io/tiff_handle.hpp"

namespace fs = std::filesystem;

namespace xct {

using tiff_detail::kClassicTiffLimit;
using tiff_detail::kMaxImageBytes;
using tiff_detail::TiffHandle;

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

void set_tag(TiffHandle& h, const fs::path& file, int ok, const char* tag) {
  XCT_CHECK(ok == 1, ErrorKind::OutputIO, "cannot set TIFF tag ", tag, " in ", file.string(),
            h.said());
}

// Tags of one uncompressed greyscale page; the whole page is one strip, as ImageJ writes.
void set_page_tags(TiffHandle& h, const fs::path& file, DType dtype, std::size_t rows,
                   std::size_t cols, const std::string& description = {}) {
  TIFF* tif = h.get();
  const auto bits = static_cast<std::uint16_t>(8 * dtype_size(dtype));
  const std::uint16_t format = dtype == DType::Float32 ? SAMPLEFORMAT_IEEEFP : SAMPLEFORMAT_UINT;
  const auto width = static_cast<std::uint32_t>(cols);
  const auto height = static_cast<std::uint32_t>(rows);
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_IMAGEWIDTH, width), "ImageWidth");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_IMAGELENGTH, height), "ImageLength");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_BITSPERSAMPLE, bits), "BitsPerSample");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_SAMPLESPERPIXEL, std::uint16_t{1}), "SamplesPerPixel");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_SAMPLEFORMAT, format), "SampleFormat");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK), "Photometric");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_PLANARCONFIG, PLANARCONFIG_CONTIG), "PlanarConfig");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_COMPRESSION, COMPRESSION_NONE), "Compression");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_ROWSPERSTRIP, height), "RowsPerStrip");
  set_tag(h, file, TIFFSetField(tif, TIFFTAG_SOFTWARE, "xct"), "Software");
  if (!description.empty())
    set_tag(h, file, TIFFSetField(tif, TIFFTAG_IMAGEDESCRIPTION, description.c_str()),
            "ImageDescription");
}

// libtiff swaps samples in place when the byte order differs from the host, so rows go
// through a scratch copy and the caller's data stays untouched.
void write_page_data(TiffHandle& h, const fs::path& file, DType dtype, const std::uint8_t* data,
                     std::size_t rows, std::size_t cols) {
  const std::size_t row_bytes = cols * dtype_size(dtype);
  std::vector<std::uint8_t> row(row_bytes);
  for (std::size_t r = 0; r < rows; ++r) {
    std::memcpy(row.data(), data + r * row_bytes, row_bytes);
    XCT_CHECK(TIFFWriteScanline(h.get(), row.data(), static_cast<std::uint32_t>(r), 0) == 1,
              ErrorKind::OutputIO, "cannot write row ", r, " of ", file.string(), h.said());
  }
  XCT_CHECK(TIFFWriteDirectory(h.get()) == 1, ErrorKind::OutputIO, "cannot write ", file.string(),
            h.said());
}

// One page of contiguous samples: when the file's byte order is the host's, the whole page
// is handed to libtiff as its one strip, written straight from `data` (no copy); otherwise row
// by row through write_page_data, which swaps a scratch copy.
void write_page(TiffHandle& h, const fs::path& file, DType dtype, const std::uint8_t* data,
                std::size_t rows, std::size_t cols) {
  if (TIFFIsByteSwapped(h.get())) {
    write_page_data(h, file, dtype, data, rows, cols);
    return;
  }
  const auto bytes = static_cast<tmsize_t>(rows * cols * dtype_size(dtype));
  // libtiff takes a non-const pointer but neither changes nor keeps the samples of a raw strip.
  auto* samples = const_cast<std::uint8_t*>(data);
  XCT_CHECK(TIFFWriteRawStrip(h.get(), 0, samples, bytes) == bytes, ErrorKind::OutputIO,
            "cannot write ", file.string(), h.said());
  XCT_CHECK(TIFFWriteDirectory(h.get()) == 1, ErrorKind::OutputIO, "cannot write ", file.string(),
            h.said());
}

const char* write_mode(bool big_endian, std::uint64_t total_bytes) {
  if (total_bytes > kClassicTiffLimit) return big_endian ? "wb8" : "wl8";
  return big_endian ? "wb" : "wl";
}

void check_write_shape(const fs::path& file, std::size_t rows, std::size_t cols) {
  const std::size_t max = std::numeric_limits<std::uint32_t>::max();
  XCT_CHECK(rows > 0 && cols > 0 && rows <= max && cols <= max, ErrorKind::Internal,
            "cannot write a TIFF image of ", rows, " x ", cols, " pixels: ", file.string());
}

}  // namespace

void write_tiff_float(const fs::path& file, HostView<const float, 2> image,
                      const std::string& description) {
  const std::size_t rows = image.extent(0), cols = image.extent(1);
  check_write_shape(file, rows, cols);
  // A strided view is copied into a contiguous page first.
  HostArray<float, 2> copy;
  const float* page = image.data();
  if (!image.is_contiguous()) {
    copy = HostArray<float, 2>({rows, cols});
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c)
        copy(r, c) = image(r, c);
    page = copy.data();
  }
  float lo = std::numeric_limits<float>::infinity(), hi = -lo;
  for (std::size_t i = 0; i < rows * cols; ++i) {
    const float v = page[i];
    if (std::isfinite(v)) {
      lo = std::min(lo, v);
      hi = std::max(hi, v);
    }
  }
  AtomicFile out(file);
  TiffHandle h(out.temp_path(), write_mode(false, rows * cols * sizeof(float)));
  XCT_CHECK(h.is_open(), ErrorKind::OutputIO, "cannot create ", file.string(), h.said());
  set_page_tags(h, file, DType::Float32, rows, cols, description);
  if (lo <= hi) {  // tell viewers the display range; absent when no value is finite
    set_tag(h, file, TIFFSetField(h.get(), TIFFTAG_SMINSAMPLEVALUE, double{lo}), "SMinSampleValue");
    set_tag(h, file, TIFFSetField(h.get(), TIFFTAG_SMAXSAMPLEVALUE, double{hi}), "SMaxSampleValue");
  }
  write_page(h, file, DType::Float32, reinterpret_cast<const std::uint8_t*>(page), rows, cols);
  h.close_written(file);
  out.commit();
}

void write_tiff_pages(const fs::path& file, DType dtype, const void* data, std::size_t pages,
                      std::size_t rows, std::size_t cols, bool big_endian,
                      const std::string& description) {
  check_write_shape(file, rows, cols);
  XCT_CHECK(pages > 0, ErrorKind::Internal, "cannot write a TIFF file of 0 pages: ", file.string());
  const std::size_t page_bytes = rows * cols * dtype_size(dtype);
  AtomicFile out(file);
  TiffHandle h(out.temp_path(), write_mode(big_endian, pages * page_bytes));
  XCT_CHECK(h.is_open(), ErrorKind::OutputIO, "cannot create ", file.string(), h.said());
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  for (std::size_t p = 0; p < pages; ++p) {
    set_page_tags(h, file, dtype, rows, cols, description);
    write_page(h, file, dtype, bytes + p * page_bytes, rows, cols);
  }
  h.close_written(file);
  out.commit();
}

// ---------------------------------------------------------------------------------------------
// Stacks of slices

TiffStackWriter::TiffStackWriter(fs::path folder, std::size_t n_slices, std::string prefix)
    : folder_(std::move(folder)), n_slices_(n_slices), prefix_(std::move(prefix)) {
  const std::size_t last = n_slices_ > 0 ? n_slices_ - 1 : 0;
  digits_ = std::max<std::size_t>(5, std::to_string(last).size());
}

fs::path TiffStackWriter::slice_path(std::size_t z) const {
  std::string index = std::to_string(z);
  if (index.size() < digits_) index.insert(0, digits_ - index.size(), '0');
  return folder_ / (prefix_ + index + ".tiff");
}

void TiffStackWriter::write_slice(std::size_t z, HostView<const float, 2> slice) {
  XCT_CHECK(z < n_slices_, ErrorKind::Internal, "slice ", z, " written to a stack of ", n_slices_);
  write_tiff_float(slice_path(z), slice, description_);
}

void TiffStackWriter::write_slab(std::size_t z0, HostView<const float, 3> slab) {
  // Each slice is a file of its own: they are written in parallel. The first failure is
  // rethrown once every writer has stopped.
  std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
  for (std::ptrdiff_t i = 0; i < static_cast<std::ptrdiff_t>(slab.extent(0)); ++i) {
    try {
      write_slice(z0 + static_cast<std::size_t>(i), slab[static_cast<std::size_t>(i)]);
    } catch (...) {
#pragma omp critical(xct_tiff_stack_error)
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace xct
