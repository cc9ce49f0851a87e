// The TIFF reader (io/tiff.hpp): any file gives its description and pixels, or one
// xct::Error, never a crash, a hang or a leak. The first pages are read whole, and a few rows
// of each as uint16 and float32, as the scan readers do.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/error.hpp"
#include "fuzz/fuzz_file.hpp"
#include "io/tiff.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = xct::fuzz::write_input("image.tif", data, size);
  try {
    const xct::TiffImageInfo info = xct::tiff_info(file);
    for (std::size_t page = 0; page < std::min<std::size_t>(info.n_pages, 3); ++page) {
      const auto image = xct::read_tiff_image(file, page);
      const std::size_t rows = std::min<std::size_t>(info.n_rows, 2);
      std::vector<std::uint16_t> u16(rows * info.n_cols);
      xct::read_tiff_rows(file, page, xct::Range{info.n_rows - rows, info.n_rows},
                          xct::DType::UInt16, u16.data());
      std::vector<float> f32(rows * info.n_cols);
      xct::read_tiff_rows(file, page, xct::Range{0, rows}, xct::DType::Float32, f32.data());
    }
  } catch (const xct::Error&) {
  }
  return 0;
}
