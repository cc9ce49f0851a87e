// Parallel-beam scan geometry in the project conventions.
//
// Angles are radians inside the code (degrees only at the edges: file formats, the CLI).
// The centre of rotation is measured in detector columns from the centre of column 0
// (0 = centre of the first pixel), unbinned; the detector centre of an n-column detector is
// therefore (n - 1) / 2.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace xct {

inline constexpr double kPi = 3.14159265358979323846;

constexpr double deg_to_rad(double deg) {
  return deg * (kPi / 180.0);
}
constexpr double rad_to_deg(double rad) {
  return rad * (180.0 / kPi);
}

// Facts about an angle grid, as `xct info` reports them.
struct AngleSummary {
  std::size_t count = 0;
  double first_rad = 0;
  double last_rad = 0;
  double mean_step_rad = 0;           // signed: negative for a grid that runs backwards
  double max_step_deviation_rad = 0;  // largest |step - mean step|
  bool monotonic = true;
  // |last - first|, the angle the grid spans.
  double span_rad = 0;
  // The turn the grid covers, 180 or 360 degrees (0 when it is neither), and whether its end
  // point is present: a grid with both end points spans the whole turn; one without stops a
  // step short, so that one more step would reach it.
  double turn_deg = 0;
  bool end_point_included = false;
};

AngleSummary summarize_angles(const std::vector<double>& angles_rad);

// Angles that look like degrees stored where radians were expected, or the other way round.
// Returns true when the values look like radians: they span no more than 2 pi + a little
// and there are enough of them that degree values would be expected to span more.
bool angles_look_like_radians(const std::vector<double>& angles);

// `count` equally spaced angles from start to stop, with or without the end point.
std::vector<double> angle_range(double start, double stop, std::size_t count, bool endpoint);

struct Geometry {
  std::size_t n_rows = 0;  // detector rows (volume z)
  std::size_t n_cols = 0;  // detector columns
  std::vector<double> angles_rad;
  std::optional<double> center_col;  // from the centre of column 0; unset until measured
  std::optional<double> pixel_size_um;

  std::size_t n_angles() const { return angles_rad.size(); }
  double detector_center() const { return (static_cast<double>(n_cols) - 1.0) / 2.0; }
};

}  // namespace xct
