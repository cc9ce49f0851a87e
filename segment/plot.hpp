// Line plots of per-step metrics against time, as self-contained SVG documents that open
// offline (no scripts, no external fonts or styles) and can be inlined in the HTML report.
//
// A plot has a title, axes with "nice" ticks (1, 2 or 5 x 10^k), light gridlines, one polyline
// per run of finite points of each series (a non-finite x or y breaks the line), optional
// markers, a legend when there is more than one series, failed steps as red vertical bands
// with a red triangle on the top edge, and events (a chip separating) as grey dashed vertical
// lines with a label. Data outside an explicit y range is clipped to the plot area.
//
// Colours of series without their own come from the Okabe-Ito palette, which stays
// distinguishable with the common colour-vision deficiencies.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xct::seg {

inline constexpr std::array<const char*, 8> kPlotPalette = {
    "#0072B2",  // blue
    "#D55E00",  // vermillion
    "#009E73",  // bluish green
    "#CC79A7",  // reddish purple
    "#E69F00",  // orange
    "#56B4E9",  // sky blue
    "#000000",  // black
    "#F0E442",  // yellow (last: faint on white)
};

struct PlotSeries {
  std::string name;          // legend entry
  std::vector<double> x, y;  // same length; a non-finite x or y is a gap (the line breaks there)
  std::string colour;        // "" : kPlotPalette[index of the series % size]
  bool dashed = false;       // e.g. the ground truth
  bool markers = true;       // a point alone between gaps is drawn as a marker either way
};

struct PlotSpec {
  std::string title, x_label, y_label;  // y_label carries the unit: "crack volume (um^3)"
  std::vector<PlotSeries> series;
  std::vector<double> flagged_x;  // steps marked as failed: a red vertical band + marker
  std::vector<double> event_x;    // e.g. the step a chip separates: a grey dashed line, labelled
  std::string event_label;
  // Otherwise from the data (the y range of finite points), y_min 0 when all data >= 0; an
  // automatic end gets a margin of 3 % of the range (none below a floor of 0) and is widened
  // to the tick that covers it.
  std::optional<double> y_min, y_max;
  int width = 520, height = 320;  // pixels, at least 160 x 120
};

// The data-to-pixel mapping of a plot. The data range [x0, x1] x [y0, y1] fills the plot area:
// px0 and px1 are the pixel columns of x0 and x1, py0 and py1 the pixel rows of y0 and y1
// (py0 > py1: SVG rows grow downwards). xticks and yticks lie inside the ranges.
// The x range spans every finite x of the series (gaps included, so that plots of one time
// series share their x axis), flagged_x and event_x, with a margin of 3 % either side (a single
// x value: the ticks around it); when all of these are whole numbers (step indices) the x ticks
// are whole numbers too.
struct PlotFrame {
  double x0 = 0, x1 = 1, y0 = 0, y1 = 1;
  double px0 = 0, px1 = 1, py0 = 1, py1 = 0;
  std::vector<double> xticks, yticks;
  double to_px_x(double x) const;
  double to_px_y(double y) const;
};

// A standalone SVG document (xmlns set, viewBox, text escaped). Empty data or all-NaN: a plot
// frame with a "no data" note. Throws ErrorKind::Internal when a series has different numbers
// of x and y values, ErrorKind::Usage when the size is too small or y_max <= y_min.
std::string svg_line_plot(const PlotSpec& spec);

PlotFrame plot_frame(const PlotSpec& spec);

// Ticks at multiples of a step of 1, 2 or 5 x 10^k, the first <= lo and the last >= hi, their
// count as near target_count (2..50) as such a step allows; on a tie, the ticks that fit
// [lo, hi] tighter, then the fewer. The step is at least min_step when that is > 0 (min_step 1:
// whole-number ticks). lo == hi: a range around the value. Swapped ends are put in order; a
// non-finite end gives no ticks.
std::vector<double> nice_ticks(double lo, double hi, int target_count, double min_step = 0);

// Labels for ticks as nice_ticks makes them: plain numbers with the decimals the step needs
// ("0.25", "1500"), or, when the largest tick is >= 1e5 or < 1e-3, the compact exponent form
// with the digits the step needs ("1.5e+05", "2e-06"). Zero is "0".
std::vector<std::string> tick_labels(const std::vector<double>& ticks);

// Text for XML and HTML content and attribute values: & < > " ' as entities; control
// characters other than tab, line feed and carriage return (not allowed in XML) dropped.
std::string xml_escape(std::string_view text);

}  // namespace xct::seg
