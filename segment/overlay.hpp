// Pictures of a segmentation: the labels drawn over the grey image as RGB PNGs, in three
// orthogonal planes through a point.
//
// The grey image is windowed from its 0.5 and 99.5 percentiles (of the whole volume, so the
// three planes share one window) and each label is blended over it with its colour; label
// boundaries are outlined in the label's full colour. Label 0 (outside the cell) is left grey.
// Colours (RGB), fixed so that pictures of different runs compare:
//
//   label  name      colour            fill opacity
//   1      void      yellow  255,230,0     0.40
//   2      nak       blue    30,120,255    0.40
//   3      nasicon   green   40,200,60     0.40
//   4      crack     red     255,0,0       0.85  (thin: nearly opaque)
//   5      al        orange  255,140,0     0.40
//   6      housing   purple  170,80,220    0.40
//   7      sodium    cyan    0,230,230     0.40
//   8      chip      magenta 255,0,200     0.60
//
// Small volumes are magnified by a whole factor (the longer side up to 512 pixels, at most 4x),
// outlines staying one pixel wide.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "segment/labels.hpp"

namespace xct::seg {

inline constexpr std::array<std::array<std::uint8_t, 3>, kLabelCount> kLabelColours = {{
    {0, 0, 0},       // outside: not drawn
    {255, 230, 0},   // void
    {30, 120, 255},  // nak
    {40, 200, 60},   // nasicon
    {255, 0, 0},     // crack
    {255, 140, 0},   // al
    {170, 80, 220},  // housing
    {0, 230, 230},   // sodium
    {255, 0, 200},   // chip
}};
inline constexpr std::array<double, kLabelCount> kLabelOpacity = {0.0, 0.4, 0.4, 0.4, 0.85,
                                                                  0.4, 0.4, 0.4, 0.6};

struct GreyWindow {
  double low = 0, high = 0;  // values drawn black and white
};

// The percentiles of the finite voxels of `grey` (numpy's linear percentile), from a regular
// sample of at most about 16 million voxels.
GreyWindow grey_window(HostView<const float, 3> grey, double low_percentile = 0.5,
                       double high_percentile = 99.5);

// The magnification of a plane of rows x cols.
int overlay_scale(std::size_t rows, std::size_t cols);

// One plane (rows, cols) as RGB (rows * scale, cols * scale, 3).
HostArray<std::uint8_t, 3> render_overlay(HostView<const float, 2> grey,
                                          HostView<const std::uint8_t, 2> labels,
                                          const GreyWindow& window, int scale,
                                          bool outlines = true);

// Writes <prefix>_xy.png (the axial slice z = point[0], rows y, columns x), <prefix>_xz.png (the
// vertical cut y = point[1], rows z, columns x) and <prefix>_yz.png (x = point[2], rows z,
// columns y) into `folder`; returns them in that order.
std::vector<std::filesystem::path> write_overlays(const std::filesystem::path& folder,
                                                  const std::string& prefix,
                                                  HostView<const float, 3> grey,
                                                  HostView<const std::uint8_t, 3> labels,
                                                  const std::array<std::size_t, 3>& point,
                                                  const GreyWindow& window, bool outlines = true);

}  // namespace xct::seg
