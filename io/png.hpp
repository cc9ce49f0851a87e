// 8-bit greyscale PNG previews of float images with a stated percentile window.
#pragma once

#include <filesystem>
#include <string>

#include "core/array.hpp"

namespace xct {

struct PreviewWindow {
  double low_percentile = 0.5;
  double high_percentile = 99.5;
  double low_value = 0.0;      // maps to 0
  double high_value = 0.0;     // maps to 255
  std::size_t non_finite = 0;  // NaN/Inf pixels, drawn as 0 and left out of the percentiles
};

// The values at the given percentiles of the finite pixels of `image`.
PreviewWindow percentile_window(HostView<const float, 2> image, double low_percentile = 0.5,
                                double high_percentile = 99.5);

// Writes `image` (rows, cols) as an 8-bit PNG, values mapped linearly from the window to
// 0..255 and clipped; written atomically. Returns the window used. The window's percentiles
// are also stored in the PNG as a tEXt chunk ("xct:window").
PreviewWindow write_png_preview(const std::filesystem::path& file, HostView<const float, 2> image,
                                double low_percentile = 0.5, double high_percentile = 99.5);

// Reads an 8-bit greyscale PNG (rows, cols); for tests and tools.
HostArray<std::uint8_t, 2> read_png_gray8(const std::filesystem::path& file);

// Writes an 8-bit RGB image (rows, cols, 3) as a PNG, atomically, with `text` (when not empty)
// in an "xct:overlay" tEXt chunk; and reads one back.
void write_png_rgb(const std::filesystem::path& file, HostView<const std::uint8_t, 3> rgb,
                   const std::string& text = {});
HostArray<std::uint8_t, 3> read_png_rgb(const std::filesystem::path& file);

}  // namespace xct
