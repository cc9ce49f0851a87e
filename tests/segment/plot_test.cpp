// SVG line plots (segment/plot.hpp): nice ticks over many ranges, tick labels, the
// data-to-pixel frame, polylines that are exactly the mapped data points and break at NaN,
// escaping, failed steps and events, degenerate data (empty, all-NaN, one point, constant), and
// well-formed XML checked by Python's own parser.
#include "segment/plot.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct::seg {
namespace {

using test::expect_error;
using test::python_ok;
using test::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
// Pixel coordinates are written with two decimals: within half a hundredth of the frame's.
constexpr double kPixelTolerance = 0.005 + 1e-9;

// The start tags `<tag ...>` of an element type, in document order.
std::vector<std::string> start_tags(const std::string& doc, const std::string& tag) {
  std::vector<std::string> tags;
  const std::string open = "<" + tag;
  for (std::size_t pos = doc.find(open); pos != std::string::npos; pos = doc.find(open, pos + 1)) {
    const char next = doc[pos + open.size()];
    if (next != ' ' && next != '>' && next != '/') continue;
    tags.push_back(doc.substr(pos, doc.find('>', pos) - pos + 1));
  }
  return tags;
}

// An attribute's value in a start tag ("" when absent).
std::string attr(const std::string& tag, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const std::size_t pos = tag.find(key);
  if (pos == std::string::npos) return "";
  const std::size_t begin = pos + key.size();
  return tag.substr(begin, tag.find('"', begin) - begin);
}

std::vector<std::pair<double, double>> polyline_points(const std::string& tag) {
  std::vector<std::pair<double, double>> points;
  std::istringstream in(attr(tag, "points"));
  std::string pair;
  while (in >> pair) {
    const std::size_t comma = pair.find(',');
    points.emplace_back(std::stod(pair.substr(0, comma)), std::stod(pair.substr(comma + 1)));
  }
  return points;
}

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

PlotSpec crack_plot() {
  PlotSpec spec;
  spec.title = "Crack volume";
  spec.x_label = "time (h)";
  spec.y_label = "crack volume (um^3)";
  PlotSeries measured;
  measured.name = "measured";
  measured.x = {0, 1, 2, 3, 4, 5};
  measured.y = {0, 120, 260, 410, 560, 700};
  spec.series.push_back(measured);
  return spec;
}

// The 1, 2 or 5 of a step m x 10^k (0 when the step is none of these).
int step_mantissa(double step) {
  const double k = std::floor(std::log10(step));
  const double m = step / std::pow(10.0, k);
  for (int candidate : {1, 2, 5, 10})
    if (std::abs(m - candidate) < 1e-9 * candidate) return candidate == 10 ? 1 : candidate;
  return 0;
}

void expect_nice(double lo, double hi, int target) {
  SCOPED_TRACE("range [" + std::to_string(lo) + ", " + std::to_string(hi) + "] target " +
               std::to_string(target));
  const std::vector<double> t = nice_ticks(lo, hi, target);
  ASSERT_GE(t.size(), 2u);
  const double step = t[1] - t[0];
  ASSERT_GT(step, 0);
  // Covering: the first tick at or below lo, the last at or above hi (up to rounding of the
  // tick values, a millionth of a step).
  EXPECT_LE(t.front(), std::min(lo, hi) + 1e-6 * step);
  EXPECT_GE(t.back(), std::max(lo, hi) - 1e-6 * step);
  // Not more than one step beyond the data on either side.
  EXPECT_GT(t.front(), std::min(lo, hi) - step);
  EXPECT_LT(t.back(), std::max(lo, hi) + step);
  EXPECT_NE(step_mantissa(step), 0) << "step " << step;
  for (std::size_t i = 1; i < t.size(); ++i)
    EXPECT_NEAR(t[i] - t[i - 1], step, 1e-6 * step) << "uneven step at tick " << i;
  // Steps of 1, 2, 5 come within a factor 2.5 of each other, so the best count lies within
  // about half the target (plus the one tick either end may add) of it.
  const double slack = 0.5 * target + 2;
  EXPECT_LE(std::abs(static_cast<double>(t.size()) - target), slack) << t.size() << " ticks";
}

TEST(NiceTicks, KnownRanges) {
  EXPECT_EQ(nice_ticks(0, 10, 6), (std::vector<double>{0, 2, 4, 6, 8, 10}));
  EXPECT_EQ(nice_ticks(-7, -2, 6), (std::vector<double>{-7, -6, -5, -4, -3, -2}));
  EXPECT_EQ(nice_ticks(0, 5e8, 6), (std::vector<double>{0, 1e8, 2e8, 3e8, 4e8, 5e8}));
  // Decimal steps give the nearest doubles to the decimals (not 0.30000000000000004).
  EXPECT_EQ(nice_ticks(0, 1e-9, 6), (std::vector<double>{0, 2e-10, 4e-10, 6e-10, 8e-10, 1e-9}));
  EXPECT_EQ(nice_ticks(0, 0.5, 6), (std::vector<double>{0, 0.1, 0.2, 0.3, 0.4, 0.5}));
  // Ends in either order.
  EXPECT_EQ(nice_ticks(10, 0, 6), nice_ticks(0, 10, 6));
  // A non-finite end: nothing to tick.
  EXPECT_TRUE(nice_ticks(0, kNaN, 5).empty());
  EXPECT_TRUE(nice_ticks(-std::numeric_limits<double>::infinity(), 1, 5).empty());
}

TEST(NiceTicks, CoverManyRangesWithOneTwoFiveSteps) {
  std::mt19937 rng(12345);  // fixed seed: the same ranges every run
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  std::uniform_int_distribution<int> exponent(-30, 30);
  for (int trial = 0; trial < 400; ++trial) {
    const double scale = std::pow(10.0, exponent(rng));
    const double lo = unit(rng) * scale;
    const double span = std::abs(unit(rng)) * scale + scale * 1e-6;
    const int target = 3 + trial % 8;  // 3..10 ticks asked for
    expect_nice(lo, lo + span, target);
  }
  // Negative, straddling zero, tiny and huge.
  expect_nice(-950, -12, 5);
  expect_nice(-3.2, 7.9, 6);
  expect_nice(1.5e-12, 4.2e-12, 5);
  expect_nice(3e250, 8e250, 5);
  expect_nice(1e6 + 0.1, 1e6 + 0.7, 4);  // a narrow range far from zero
}

TEST(NiceTicks, EqualEndsGiveARangeAroundTheValue) {
  for (double v : {5.0, -3.0, 0.0, 1e-20, 7e30}) {
    const std::vector<double> t = nice_ticks(v, v, 5);
    ASSERT_GE(t.size(), 2u) << v;
    EXPECT_LT(t.front(), v) << v;
    EXPECT_GT(t.back(), v) << v;
  }
}

TEST(NiceTicks, MinimumStepKeepsStepIndicesWhole) {
  // Steps 0..3: without a minimum the half step gives the count nearest 6 (7 ticks).
  EXPECT_EQ(nice_ticks(0, 3, 6), (std::vector<double>{0, 0.5, 1, 1.5, 2, 2.5, 3}));
  EXPECT_EQ(nice_ticks(0, 3, 6, 1.0), (std::vector<double>{0, 1, 2, 3}));
  // A single step index: whole ticks around it.
  EXPECT_EQ(nice_ticks(4, 4, 5, 1.0), (std::vector<double>{3, 4, 5}));
}

TEST(TickLabels, PlainWithTheStepsDecimalsOrCompactExponent) {
  EXPECT_EQ(tick_labels({0, 0.2, 0.4}), (std::vector<std::string>{"0", "0.2", "0.4"}));
  EXPECT_EQ(tick_labels({0, 0.05, 0.1}), (std::vector<std::string>{"0", "0.05", "0.10"}));
  EXPECT_EQ(tick_labels({1000, 1500, 2000}), (std::vector<std::string>{"1000", "1500", "2000"}));
  EXPECT_EQ(tick_labels({-1, 0, 1}), (std::vector<std::string>{"-1", "0", "1"}));
  // Largest tick >= 1e5: exponent form, with as many digits as the step needs.
  EXPECT_EQ(tick_labels({0, 50000, 100000, 150000}),
            (std::vector<std::string>{"0", "5e+04", "1e+05", "1.5e+05"}));
  // Largest tick < 1e-3.
  EXPECT_EQ(tick_labels({0, 1e-6, 2e-6}), (std::vector<std::string>{"0", "1e-06", "2e-06"}));
}

TEST(TickLabels, NiceTicksNearZeroReadAsZero) {
  // A tick of -1e-17 after rounding would print as "-0.0"; it is "0".
  EXPECT_EQ(tick_labels({-0.2, -1e-17, 0.2}), (std::vector<std::string>{"-0.2", "0", "0.2"}));
}

TEST(PlotFrame, MapsTheDataRangeOntoThePlotArea) {
  const PlotSpec spec = crack_plot();
  const PlotFrame f = plot_frame(spec);
  // x: steps 0..5 with a margin of 3 % of the range (0.15) either side.
  EXPECT_NEAR(f.x0, -0.15, 1e-12);
  EXPECT_NEAR(f.x1, 5.15, 1e-12);
  // y: from 0 since all data >= 0, the top beyond 700 + 3 % at a tick.
  EXPECT_EQ(f.y0, 0);
  EXPECT_GE(f.y1, 721);
  EXPECT_NE(std::find(f.yticks.begin(), f.yticks.end(), f.y1), f.yticks.end());
  EXPECT_EQ(f.to_px_x(f.x0), f.px0);
  EXPECT_DOUBLE_EQ(f.to_px_x(f.x1), f.px1);
  EXPECT_EQ(f.to_px_y(f.y0), f.py0);
  EXPECT_DOUBLE_EQ(f.to_px_y(f.y1), f.py1);
  // Inside the picture, rows growing downwards.
  EXPECT_GT(f.px0, 0);
  EXPECT_LT(f.px1, spec.width);
  EXPECT_GT(f.py1, 0);
  EXPECT_LT(f.py0, spec.height);
  EXPECT_LT(f.py1, f.py0);
  // Ticks inside the ranges, x ticks whole numbers (the x values are step indices).
  ASSERT_GE(f.xticks.size(), 2u);
  ASSERT_GE(f.yticks.size(), 2u);
  for (double t : f.xticks) {
    EXPECT_EQ(t, std::round(t));
    EXPECT_TRUE(t >= f.x0 && t <= f.x1) << t;
  }
  for (double t : f.yticks)
    EXPECT_TRUE(t >= f.y0 && t <= f.y1) << t;
}

TEST(PlotFrame, YRangeFromDataOrGiven) {
  PlotSpec spec = crack_plot();
  spec.series[0].y = {-40, -10, 15, 30, 20, 5};  // some negative: y does not start at 0
  PlotFrame f = plot_frame(spec);
  EXPECT_LE(f.y0, -40);
  EXPECT_GT(f.y0, -100);  // within one tick step (about 20) of the data, far above -100
  EXPECT_GE(f.y1, 30);

  spec.y_min = -5.0;
  spec.y_max = 25.0;
  f = plot_frame(spec);
  EXPECT_EQ(f.y0, -5.0);
  EXPECT_EQ(f.y1, 25.0);
  for (double t : f.yticks)
    EXPECT_TRUE(t >= -5.0 && t <= 25.0) << t;
  // Data beyond the explicit range maps outside the plot area (which the SVG clips to).
  EXPECT_GT(f.to_px_y(-40), f.py0);
  EXPECT_LT(f.to_px_y(30), f.py1);
}

TEST(PlotFrame, FlaggedAndEventStepsWidenTheXRange) {
  PlotSpec spec = crack_plot();  // steps 0..5
  spec.flagged_x = {7};
  spec.event_x = {-2};
  const PlotFrame f = plot_frame(spec);
  EXPECT_LE(f.x0, -2);
  EXPECT_GE(f.x1, 7);
}

TEST(SvgLinePlot, PolylinePointsAreTheMappedDataPoints) {
  const PlotSpec spec = crack_plot();
  const PlotFrame f = plot_frame(spec);
  const std::string svg = svg_line_plot(spec);
  const auto lines = start_tags(svg, "polyline");
  ASSERT_EQ(lines.size(), 1u);
  const auto points = polyline_points(lines[0]);
  ASSERT_EQ(points.size(), spec.series[0].x.size());
  for (std::size_t i = 0; i < points.size(); ++i) {
    EXPECT_NEAR(points[i].first, f.to_px_x(spec.series[0].x[i]), kPixelTolerance) << i;
    EXPECT_NEAR(points[i].second, f.to_px_y(spec.series[0].y[i]), kPixelTolerance) << i;
  }
  // One marker per point, in the palette's first colour; a single series has no legend.
  const auto markers = start_tags(svg, "circle");
  EXPECT_EQ(markers.size(), points.size());
  EXPECT_EQ(attr(lines[0], "stroke"), kPlotPalette[0]);
  EXPECT_EQ(svg.find("plot-legend"), std::string::npos);
}

TEST(SvgLinePlot, NaNBreaksTheLineIntoTwoPolylines) {
  PlotSpec spec = crack_plot();
  spec.series[0].y[2] = kNaN;  // points 0, 1 | gap | 3, 4, 5
  const PlotFrame f = plot_frame(spec);
  const std::string svg = svg_line_plot(spec);
  const auto lines = start_tags(svg, "polyline");
  ASSERT_EQ(lines.size(), 2u);
  const auto first = polyline_points(lines[0]), second = polyline_points(lines[1]);
  ASSERT_EQ(first.size(), 2u);
  ASSERT_EQ(second.size(), 3u);
  EXPECT_NEAR(first[1].first, f.to_px_x(1), kPixelTolerance);
  EXPECT_NEAR(second[0].first, f.to_px_x(3), kPixelTolerance);
  EXPECT_NEAR(second[0].second, f.to_px_y(410), kPixelTolerance);
  // The gap has no marker: five of six points are drawn.
  EXPECT_EQ(start_tags(svg, "circle").size(), 5u);
}

TEST(SvgLinePlot, TextIsEscaped) {
  PlotSpec spec = crack_plot();
  spec.title = "crack <main> & \"chip\"";
  spec.y_label = "volume (um^3) <raw>";
  spec.series[0].name = "a&b";
  PlotSeries truth = spec.series[0];
  truth.name = "truth <sim>";
  truth.dashed = true;
  spec.series.push_back(truth);
  const std::string svg = svg_line_plot(spec);
  EXPECT_NE(svg.find("crack &lt;main&gt; &amp; &quot;chip&quot;"), std::string::npos);
  EXPECT_NE(svg.find("volume (um^3) &lt;raw&gt;"), std::string::npos);
  EXPECT_NE(svg.find(">a&amp;b<"), std::string::npos);
  EXPECT_NE(svg.find(">truth &lt;sim&gt;<"), std::string::npos);
  EXPECT_EQ(svg.find("<main>"), std::string::npos);
  EXPECT_EQ(svg.find("<raw>"), std::string::npos);
  // Two series: a legend, the second in the palette's second colour and dashed.
  EXPECT_NE(svg.find("class=\"plot-legend\""), std::string::npos);
  const auto lines = start_tags(svg, "polyline");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(attr(lines[1], "stroke"), kPlotPalette[1]);
  EXPECT_FALSE(attr(lines[1], "stroke-dasharray").empty());
  EXPECT_TRUE(attr(lines[0], "stroke-dasharray").empty());
}

TEST(XmlEscape, EntitiesAndNoControlCharacters) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(xml_escape(std::string("bell\x07 tab\t") + '\0'), "bell tab\t");
  EXPECT_EQ(xml_escape("\u00b5m"), "\u00b5m");  // UTF-8 passes through
}

TEST(SvgLinePlot, FlaggedStepsAreMarked) {
  PlotSpec spec = crack_plot();
  EXPECT_EQ(svg_line_plot(spec).find("plot-flag"), std::string::npos);
  spec.flagged_x = {3};
  const PlotFrame f = plot_frame(spec);
  const std::string svg = svg_line_plot(spec);
  const auto rects = start_tags(svg, "rect");
  int bands = 0;
  for (const std::string& r : rects) {
    if (attr(r, "class") != "plot-flag") continue;
    ++bands;
    const double centre = std::stod(attr(r, "x")) + std::stod(attr(r, "width")) / 2;
    // Two rounded numbers: within twice the pixel tolerance of step 3's column.
    EXPECT_NEAR(centre, f.to_px_x(3), 2 * kPixelTolerance);
    EXPECT_NE(attr(r, "fill-opacity"), "");
  }
  EXPECT_EQ(bands, 1);
  EXPECT_EQ(count(svg, "class=\"plot-flag-marker\""), 1u);
  EXPECT_NE(svg.find("fill=\"#d62728\""), std::string::npos);  // red
}

TEST(SvgLinePlot, EventsAreDashedLabelledLines) {
  PlotSpec spec = crack_plot();
  spec.event_x = {4};
  spec.event_label = "chip separates";
  const PlotFrame f = plot_frame(spec);
  const std::string svg = svg_line_plot(spec);
  std::vector<std::string> events;
  for (const std::string& l : start_tags(svg, "line"))
    if (attr(l, "class") == "plot-event") events.push_back(l);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NEAR(std::stod(attr(events[0], "x1")), f.to_px_x(4), kPixelTolerance);
  EXPECT_FALSE(attr(events[0], "stroke-dasharray").empty());
  EXPECT_NE(svg.find(">chip separates</text>"), std::string::npos);
}

TEST(SvgLinePlot, DegenerateDataDoesNotCrash) {
  // No series at all, and a series of NaN only: a frame saying "no data".
  PlotSpec empty;
  empty.title = "empty";
  const std::string e = svg_line_plot(empty);
  EXPECT_NE(e.find(">no data</text>"), std::string::npos);
  EXPECT_EQ(start_tags(e, "polyline").size(), 0u);
  PlotSpec nan = crack_plot();
  nan.series[0].y.assign(nan.series[0].x.size(), kNaN);
  const std::string n = svg_line_plot(nan);
  EXPECT_NE(n.find(">no data</text>"), std::string::npos);
  EXPECT_EQ(start_tags(n, "circle").size(), 0u);
  // The x axis still spans the steps, so that plots of one series share it.
  EXPECT_GE(plot_frame(nan).x1, 5);

  // One point: a marker, even without markers, and no line.
  PlotSpec one = crack_plot();
  one.series[0].x = {2};
  one.series[0].y = {42};
  one.series[0].markers = false;
  const std::string o = svg_line_plot(one);
  EXPECT_EQ(o.find("no data"), std::string::npos);
  EXPECT_EQ(start_tags(o, "polyline").size(), 0u);
  ASSERT_EQ(start_tags(o, "circle").size(), 1u);
  const PlotFrame fo = plot_frame(one);
  EXPECT_LT(fo.x0, 2);
  EXPECT_GT(fo.x1, 2);
  EXPECT_NEAR(std::stod(attr(start_tags(o, "circle")[0], "cy")), fo.to_px_y(42), kPixelTolerance);

  // Constant data: a range that holds the value and is not empty.
  for (double v : {0.0, 5.0, -3.0, 1e9}) {
    PlotSpec c = crack_plot();
    c.series[0].y.assign(c.series[0].x.size(), v);
    const PlotFrame fc = plot_frame(c);
    EXPECT_LT(fc.y0, fc.y1) << v;
    EXPECT_TRUE(v >= fc.y0 && v <= fc.y1) << v;
    EXPECT_EQ(start_tags(svg_line_plot(c), "polyline").size(), 1u) << v;
  }
}

TEST(SvgLinePlot, BadSpecsAreErrors) {
  PlotSpec spec = crack_plot();
  spec.series[0].y.pop_back();
  expect_error([&] { svg_line_plot(spec); }, ErrorKind::Internal, {"measured", "6 x", "5 y"});
  spec = crack_plot();
  spec.y_min = 10.0;
  spec.y_max = 10.0;
  expect_error([&] { svg_line_plot(spec); }, ErrorKind::Usage, {"y_max"});
  spec = crack_plot();
  spec.width = 50;  // below the 160-pixel minimum
  expect_error([&] { plot_frame(spec); }, ErrorKind::Usage, {"plot size"});
}

TEST(SvgLinePlot, EveryVariantIsWellFormedXml) {
  std::vector<PlotSpec> specs;
  specs.push_back(crack_plot());
  PlotSpec escaped = crack_plot();
  escaped.title = "a <b> & 'c' \"d\"";
  escaped.x_label = "time & date";
  escaped.event_x = {2};
  escaped.event_label = "<chip>";
  escaped.flagged_x = {1, 4};
  PlotSeries second = escaped.series[0];
  second.name = "truth & <sim>";
  second.colour = "#123456";
  second.y[3] = kNaN;
  escaped.series.push_back(second);
  specs.push_back(escaped);
  specs.push_back(PlotSpec{});  // empty
  PlotSpec nan = crack_plot();
  nan.series[0].y.assign(nan.series[0].x.size(), kNaN);
  specs.push_back(nan);
  PlotSpec one = crack_plot();
  one.series[0].x = {0};
  one.series[0].y = {1};
  specs.push_back(one);

  TempDir dir;
  std::vector<std::string> args;
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const auto file = dir / ("plot" + std::to_string(i) + ".svg");
    std::ofstream(file) << svg_line_plot(specs[i]);
    args.push_back(file.string());
  }
  // The root is an SVG element in the SVG namespace with a viewBox of the plot's size.
  const std::string out = python_ok(
      "import sys, xml.dom.minidom\n"
      "for f in sys.argv[1:]:\n"
      "    d = xml.dom.minidom.parse(f).documentElement\n"
      "    assert d.tagName == 'svg', f\n"
      "    assert d.getAttribute('xmlns') == 'http://www.w3.org/2000/svg', f\n"
      "    assert d.getAttribute('viewBox') == '0 0 520 320', f\n"
      "print(len(sys.argv) - 1)\n",
      args);
  EXPECT_EQ(out, std::to_string(specs.size()) + "\n");
}

}  // namespace
}  // namespace xct::seg
