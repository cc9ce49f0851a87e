#include "segment/plot.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/error.hpp"

namespace xct::seg {

namespace {

constexpr int kMinWidth = 160, kMinHeight = 120;
constexpr double kCharWidth = 6.2;    // average advance of an 11 px sans-serif character
constexpr double kTitleBand = 30;     // pixels above the legend and plot area with a title
constexpr double kLegendRow = 16;     // pixels per legend row
constexpr double kLegendSample = 22;  // length of a legend's line sample
constexpr double kMargin = 0.03;      // of a data range, between the data and the frame
constexpr double kClipSlack = 5;      // markers on the edge of the plot area stay whole
constexpr double kPixelLimit = 1e6;   // coordinates far outside the picture are clamped
constexpr double kDefaultBand = 14;   // band width without a spacing of x values
constexpr const char* kFlagColour = "#d62728";
constexpr const char* kFontFamily =
    "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif";

// A pixel coordinate: two decimals, trailing zeros dropped, independent of the C locale.
std::string px(double v) {
  v = std::clamp(v, -kPixelLimit, kPixelLimit);
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, 2);
  std::string s(buf, r.ptr);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0')
      s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

// Characters of UTF-8 text (bytes that do not continue a sequence).
std::size_t text_length(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

double text_width(std::string_view s) {
  return static_cast<double>(text_length(s)) * kCharWidth;
}

bool is_whole(double v) {
  return std::abs(v) < 1e15 && v == std::round(v);
}

// A tick step m x 10^k, with its multiples computed so that decimal steps give the nearest
// double to the decimal value (0.3, not 0.30000000000000004).
struct Step {
  long long m = 1;
  int k = 0;
  double value(long long i) const {
    const double im = static_cast<double>(i * m);
    return k >= 0 ? im * std::pow(10.0, k) : im / std::pow(10.0, -k);
  }
};

std::string colour_of(const PlotSpec& spec, std::size_t i) {
  const std::string& c = spec.series[i].colour;
  return c.empty() ? kPlotPalette[i % kPlotPalette.size()] : c;
}

std::string legend_name(const PlotSpec& spec, std::size_t i) {
  const std::string& n = spec.series[i].name;
  return n.empty() ? "series " + std::to_string(i + 1) : n;
}

struct LegendItem {
  std::size_t series = 0;
  double x = 0, y = 0;  // left end of the sample, centre line of the row
};

struct Layout {
  PlotFrame frame;
  bool has_data = false;
  std::vector<std::string> xlabels, ylabels;
  std::vector<LegendItem> legend;
  double band_px = kDefaultBand;  // width of a failed step's band
};

// Items of the legend in rows no wider than the picture, each row centred.
std::vector<LegendItem> legend_layout(const PlotSpec& spec, double top) {
  std::vector<LegendItem> items;
  if (spec.series.size() < 2) return items;
  const double avail = spec.width - 24.0;
  std::vector<std::vector<std::pair<std::size_t, double>>> rows(1);
  double row_width = 0;
  for (std::size_t i = 0; i < spec.series.size(); ++i) {
    const double w = kLegendSample + 6 + text_width(legend_name(spec, i)) + 14;
    if (!rows.back().empty() && row_width + w > avail) {
      rows.emplace_back();
      row_width = 0;
    }
    rows.back().emplace_back(i, w);
    row_width += w;
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    double total = 0;
    for (const auto& [i, w] : rows[r])
      total += w;
    double x = std::max(12.0, (spec.width - total) / 2);
    for (const auto& [i, w] : rows[r]) {
      items.push_back({i, x, top + kLegendRow * static_cast<double>(r) + kLegendRow / 2});
      x += w;
    }
  }
  return items;
}

std::size_t legend_rows(const std::vector<LegendItem>& items) {
  std::size_t rows = 0;
  for (std::size_t i = 0; i < items.size(); ++i)
    if (i == 0 || items[i].y != items[i - 1].y) ++rows;
  return rows;
}

Layout make_layout(const PlotSpec& spec) {
  XCT_CHECK(spec.width >= kMinWidth && spec.height >= kMinHeight, ErrorKind::Usage, "plot size ",
            spec.width, " x ", spec.height, " is below ", kMinWidth, " x ", kMinHeight, " pixels");
  for (const PlotSeries& s : spec.series)
    XCT_CHECK(s.x.size() == s.y.size(), ErrorKind::Internal, "plot series '", s.name, "' has ",
              s.x.size(), " x values and ", s.y.size(), " y values");
  XCT_CHECK(!spec.y_min || std::isfinite(*spec.y_min), ErrorKind::Usage,
            "plot y_min is not finite");
  XCT_CHECK(!spec.y_max || std::isfinite(*spec.y_max), ErrorKind::Usage,
            "plot y_max is not finite");
  XCT_CHECK(!spec.y_min || !spec.y_max || *spec.y_max > *spec.y_min, ErrorKind::Usage,
            "plot y range: y_max ", *spec.y_max, " is not above y_min ", *spec.y_min);

  Layout L;
  PlotFrame& f = L.frame;

  // Data ranges.
  std::vector<double> xs, series_xs;
  double ylo = std::numeric_limits<double>::infinity(), yhi = -ylo;
  for (const PlotSeries& s : spec.series) {
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i])) continue;
      series_xs.push_back(s.x[i]);
      if (!std::isfinite(s.y[i])) continue;
      L.has_data = true;
      ylo = std::min(ylo, s.y[i]);
      yhi = std::max(yhi, s.y[i]);
    }
  }
  xs = series_xs;
  for (double x : spec.flagged_x)
    if (std::isfinite(x)) xs.push_back(x);
  for (double x : spec.event_x)
    if (std::isfinite(x)) xs.push_back(x);
  const bool whole_x = !xs.empty() && std::all_of(xs.begin(), xs.end(), is_whole);
  double xlo = 0, xhi = 1;
  if (!xs.empty()) {
    const auto [mn, mx] = std::minmax_element(xs.begin(), xs.end());
    xlo = *mn;
    xhi = *mx;
  }
  bool zero_floor = false;  // y starts at 0 because all data >= 0
  if (!L.has_data) {
    ylo = 0;
    yhi = 1;
  } else if (ylo >= 0) {
    ylo = 0;
    zero_floor = true;
  }
  if (spec.y_min) ylo = *spec.y_min;
  if (spec.y_max) yhi = *spec.y_max;
  if (yhi <= ylo) {  // constant data, or an explicit end beyond the data
    if (!spec.y_max)
      yhi = ylo == 0 ? 1 : ylo + std::abs(ylo);
    else
      ylo = yhi == 0 ? -1 : yhi - std::abs(yhi);
  }

  // Vertical layout: title, legend, plot area, x tick labels, x label.
  const double legend_top = spec.title.empty() ? 8 : kTitleBand;
  L.legend = legend_layout(spec, legend_top);
  const std::size_t rows = legend_rows(L.legend);
  const double top = legend_top + kLegendRow * static_cast<double>(rows) + (rows ? 8 : 4);
  const double bottom = 30 + (spec.x_label.empty() ? 0 : 16);
  f.py1 = top;
  f.py0 = spec.height - bottom;

  // Automatic ends get a margin of 3 % of the range (none below a floor of 0), so that no
  // point sits on the frame, and are widened to the ticks that cover them.
  const double ypad = L.has_data ? kMargin * (yhi - ylo) : 0.0;
  const double ylo_t = spec.y_min || (L.has_data && ylo == 0 && zero_floor) ? ylo : ylo - ypad;
  const double yhi_t = spec.y_max ? yhi : yhi + ypad;
  const int ytarget = std::clamp(static_cast<int>((f.py0 - f.py1) / 45), 3, 10);
  std::vector<double> yt = nice_ticks(ylo_t, yhi_t, ytarget);
  f.y0 = spec.y_min ? *spec.y_min : yt.front();
  f.y1 = spec.y_max ? *spec.y_max : yt.back();
  const double ytol = (f.y1 - f.y0) * 1e-9;
  for (double t : yt)
    if (t >= f.y0 - ytol && t <= f.y1 + ytol) f.yticks.push_back(t);
  L.ylabels = tick_labels(f.yticks);

  double label_width = 0;
  for (const std::string& s : L.ylabels)
    label_width = std::max(label_width, text_width(s));
  const double left =
      std::min((spec.y_label.empty() ? 8.0 : 24.0) + label_width + 8, 0.45 * spec.width);
  f.px0 = left;
  // x: the data range with a margin of 3 % either side, ticks inside it; a single x value gets
  // the ticks around it.
  const int xtarget = std::clamp(static_cast<int>((spec.width - left - 16) / 70), 2, 12);
  const std::vector<double> xt = nice_ticks(xlo, xhi, xtarget, whole_x ? 1.0 : 0.0);
  if (xhi > xlo) {
    const double xpad = kMargin * (xhi - xlo);
    f.x0 = xlo - xpad;
    f.x1 = xhi + xpad;
    for (double t : xt)
      if (t >= f.x0 && t <= f.x1) f.xticks.push_back(t);
  }
  if (f.xticks.size() < 2) {
    f.xticks = xt;
    f.x0 = xt.front();
    f.x1 = xt.back();
  }
  L.xlabels = tick_labels(f.xticks);
  const double right = std::max(16.0, text_width(L.xlabels.back()) / 2 + 4);
  f.px1 = std::max(f.px0 + 20, spec.width - right);

  // Failed steps' band: 60 % of the smallest spacing of the series' x values.
  std::sort(series_xs.begin(), series_xs.end());
  double spacing = std::numeric_limits<double>::infinity();
  for (std::size_t i = 1; i < series_xs.size(); ++i)
    if (series_xs[i] > series_xs[i - 1])
      spacing = std::min(spacing, series_xs[i] - series_xs[i - 1]);
  if (std::isfinite(spacing))
    L.band_px = std::clamp(0.6 * spacing * (f.px1 - f.px0) / (f.x1 - f.x0), 6.0, 40.0);
  return L;
}

// A short hash for element ids, so that plots inlined in one page do not share ids unless they
// would mean the same thing.
std::string short_hash(std::string_view s) {
  std::uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

void text_element(std::ostringstream& out, double x, double y, std::string_view anchor,
                  std::string_view extra, std::string_view text) {
  out << "<text x=\"" << px(x) << "\" y=\"" << px(y) << "\"";
  if (!anchor.empty()) out << " text-anchor=\"" << anchor << "\"";
  if (!extra.empty()) out << ' ' << extra;
  out << '>' << xml_escape(text) << "</text>\n";
}

}  // namespace

double PlotFrame::to_px_x(double x) const {
  return px0 + (x - x0) / (x1 - x0) * (px1 - px0);
}
double PlotFrame::to_px_y(double y) const {
  return py0 + (y - y0) / (y1 - y0) * (py1 - py0);
}

std::vector<double> nice_ticks(double lo, double hi, int target_count, double min_step) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return {};
  if (lo > hi) std::swap(lo, hi);
  const int target = std::clamp(target_count, 2, 50);
  const double mag = std::max(std::abs(lo), std::abs(hi));
  constexpr double kTiny = 1e-290;  // below this a range has no usable decimal steps
  if (hi - lo <= mag * 1e-12 || hi - lo < kTiny) {
    const double mid = lo + (hi - lo) / 2;
    const double d = mag < kTiny ? 1.0 : 0.1 * mag;
    lo = mid - d;
    hi = mid + d;
  }
  const double span = hi - lo;
  if (!std::isfinite(span)) return {lo, hi};

  std::vector<Step> candidates;
  const int k0 = static_cast<int>(std::floor(std::log10(span / (target - 1))));
  for (int k = k0 - 1; k <= k0 + 1; ++k)
    for (long long m : {1LL, 2LL, 5LL})
      candidates.push_back({m, k});
  if (min_step > 0 && std::isfinite(min_step)) {
    // The smallest 1, 2 or 5 x 10^k at least min_step joins; smaller steps leave.
    const int km = static_cast<int>(std::floor(std::log10(min_step)));
    for (Step s : {Step{1, km}, Step{2, km}, Step{5, km}, Step{1, km + 1}}) {
      if (s.value(1) >= min_step * (1 - 1e-12)) {
        candidates.push_back(s);
        break;
      }
    }
    std::erase_if(candidates, [&](Step s) { return s.value(1) < min_step * (1 - 1e-12); });
  }

  // The count nearest the target; on a tie the tighter fit of [lo, hi], then the larger step.
  Step best;
  long long best_first = 0, best_last = 0;
  long long best_diff = std::numeric_limits<long long>::max();
  double best_step = 0, best_extent = 0;
  for (Step s : candidates) {
    const double st = s.value(1);
    if (!(st > 0) || !std::isfinite(st)) continue;
    const double a = std::floor(lo / st + 1e-9), b = std::ceil(hi / st - 1e-9);
    if (std::abs(a) > 1e15 || std::abs(b) > 1e15) continue;
    const auto first = static_cast<long long>(a);
    const auto last = std::max(static_cast<long long>(b), first + 1);
    const long long diff = std::abs(last - first + 1 - target);
    const double extent = static_cast<double>(last - first) * st;
    const bool tie = diff == best_diff;
    const bool tighter = extent < best_extent * (1 - 1e-9);
    const bool same_extent = !tighter && extent <= best_extent * (1 + 1e-9);
    if (diff < best_diff || (tie && tighter) || (tie && same_extent && st > best_step)) {
      best = s;
      best_diff = diff;
      best_step = st;
      best_extent = extent;
      best_first = first;
      best_last = last;
    }
  }
  if (best_diff == std::numeric_limits<long long>::max()) return {lo, hi};
  std::vector<double> ticks;
  for (long long i = best_first; i <= best_last; ++i)
    ticks.push_back(best.value(i));
  return ticks;
}

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  std::vector<std::string> labels;
  if (ticks.empty()) return labels;
  double maxabs = 0;
  for (double t : ticks)
    maxabs = std::max(maxabs, std::abs(t));
  const double step = ticks.size() > 1 ? std::abs(ticks[1] - ticks[0]) : 0;
  int k = 0;  // decimal exponent of the step
  if (step > 0)
    k = static_cast<int>(std::floor(std::log10(step) + 1e-9));
  else if (maxabs > 0)
    k = static_cast<int>(std::floor(std::log10(maxabs))) - 1;
  const bool scientific = maxabs >= 1e5 || (maxabs > 0 && maxabs < 1e-3);
  for (double t : ticks) {
    if (t == 0 || std::abs(t) <= step * 1e-9) {
      labels.emplace_back("0");
      continue;
    }
    char buf[64];
    std::string s;
    if (scientific) {
      int e = static_cast<int>(std::floor(std::log10(std::abs(t))));
      if (std::abs(t) >= std::pow(10.0, e + 1)) ++e;
      if (std::abs(t) < std::pow(10.0, e)) --e;
      const int precision = std::clamp(e - k, 0, 16);
      const auto r =
          std::to_chars(buf, buf + sizeof buf, t, std::chars_format::scientific, precision);
      s.assign(buf, r.ptr);
      // "1.50e+05" -> "1.5e+05", "2.0e-06" -> "2e-06"
      const std::size_t epos = s.find('e');
      std::string mantissa = s.substr(0, epos);
      if (mantissa.find('.') != std::string::npos) {
        while (mantissa.back() == '0')
          mantissa.pop_back();
        if (mantissa.back() == '.') mantissa.pop_back();
      }
      s = mantissa + s.substr(epos);
    } else {
      const int decimals = std::clamp(-k, 0, 16);
      const auto r = std::to_chars(buf, buf + sizeof buf, t, std::chars_format::fixed, decimals);
      s.assign(buf, r.ptr);
    }
    labels.push_back(std::move(s));
  }
  return labels;
}

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') break;
        if (c == 0x7F) break;
        out += c;
    }
  }
  return out;
}

PlotFrame plot_frame(const PlotSpec& spec) {
  return make_layout(spec).frame;
}

std::string svg_line_plot(const PlotSpec& spec) {
  const Layout L = make_layout(spec);
  const PlotFrame& f = L.frame;
  const double W = spec.width, H = spec.height;
  const double area_w = f.px1 - f.px0, area_h = f.py0 - f.py1;
  std::ostringstream out;

  out << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << spec.width << "\" height=\""
      << spec.height << "\" viewBox=\"0 0 " << spec.width << ' ' << spec.height
      << "\" font-family=\"" << kFontFamily << "\" font-size=\"11\" role=\"img\"";
  if (!spec.title.empty()) out << " aria-label=\"" << xml_escape(spec.title) << "\"";
  out << ">\n";
  if (!spec.title.empty()) out << "<title>" << xml_escape(spec.title) << "</title>\n";

  const std::string clip_rect =
      "x=\"" + px(f.px0 - kClipSlack) + "\" y=\"" + px(f.py1 - kClipSlack) + "\" width=\"" +
      px(area_w + 2 * kClipSlack) + "\" height=\"" + px(area_h + 2 * kClipSlack) + "\"";
  const std::string clip_id = "xct-plot-clip-" + short_hash(clip_rect);
  out << "<defs><clipPath id=\"" << clip_id << "\"><rect " << clip_rect << "/></clipPath></defs>\n";
  out << "<rect class=\"plot-background\" x=\"0\" y=\"0\" width=\"" << spec.width << "\" height=\""
      << spec.height << "\" fill=\"#ffffff\"/>\n";
  if (!spec.title.empty())
    text_element(out, W / 2, 19, "middle", "font-size=\"13\" font-weight=\"600\" fill=\"#222222\"",
                 spec.title);

  // Gridlines and the frame of the plot area.
  out << "<g class=\"plot-grid\" stroke=\"#e6e6e6\" stroke-width=\"1\">\n";
  for (double t : f.xticks) {
    const std::string x = px(f.to_px_x(t));
    out << "<line x1=\"" << x << "\" y1=\"" << px(f.py1) << "\" x2=\"" << x << "\" y2=\""
        << px(f.py0) << "\"/>\n";
  }
  for (double t : f.yticks) {
    const std::string y = px(f.to_px_y(t));
    out << "<line x1=\"" << px(f.px0) << "\" y1=\"" << y << "\" x2=\"" << px(f.px1) << "\" y2=\""
        << y << "\"/>\n";
  }
  out << "</g>\n";
  out << "<rect class=\"plot-area\" x=\"" << px(f.px0) << "\" y=\"" << px(f.py1) << "\" width=\""
      << px(area_w) << "\" height=\"" << px(area_h)
      << "\" fill=\"none\" stroke=\"#cccccc\" stroke-width=\"1\"/>\n";

  // Failed steps: a red band through the plot area and a red triangle on its top edge.
  if (!spec.flagged_x.empty()) {
    out << "<g class=\"plot-flagged\" fill=\"" << kFlagColour << "\">\n";
    for (double x : spec.flagged_x) {
      if (!std::isfinite(x)) continue;
      const double cx = f.to_px_x(x);
      out << "<rect class=\"plot-flag\" x=\"" << px(cx - L.band_px / 2) << "\" y=\"" << px(f.py1)
          << "\" width=\"" << px(L.band_px) << "\" height=\"" << px(area_h)
          << "\" fill-opacity=\"0.14\"><title>failed step: "
          << xml_escape(spec.x_label.empty() ? "x" : spec.x_label) << " = " << px(x)
          << "</title></rect>\n";
      out << "<path class=\"plot-flag-marker\" d=\"M" << px(cx - 5) << ' ' << px(f.py1) << " L"
          << px(cx + 5) << ' ' << px(f.py1) << " L" << px(cx) << ' ' << px(f.py1 + 8) << " Z\"/>\n";
    }
    out << "</g>\n";
  }

  // Events: grey dashed vertical lines with their label at the top.
  if (!spec.event_x.empty()) {
    out << "<g class=\"plot-events\">\n";
    for (double x : spec.event_x) {
      if (!std::isfinite(x)) continue;
      const double cx = f.to_px_x(x);
      out << "<line class=\"plot-event\" x1=\"" << px(cx) << "\" y1=\"" << px(f.py1) << "\" x2=\""
          << px(cx) << "\" y2=\"" << px(f.py0)
          << "\" stroke=\"#777777\" stroke-width=\"1.2\" stroke-dasharray=\"5 4\"/>\n";
      if (!spec.event_label.empty()) {
        const bool left_side = cx > f.px0 + 0.7 * area_w;
        text_element(out, left_side ? cx - 4 : cx + 4, f.py1 + 20, left_side ? "end" : "start",
                     "class=\"plot-event-label\" font-size=\"10\" fill=\"#555555\"",
                     spec.event_label);
      }
    }
    out << "</g>\n";
  }

  // Axes: lines, ticks, tick labels, axis labels.
  out << "<g class=\"plot-axes\" stroke=\"#444444\" stroke-width=\"1\">\n";
  out << "<line x1=\"" << px(f.px0) << "\" y1=\"" << px(f.py0) << "\" x2=\"" << px(f.px1)
      << "\" y2=\"" << px(f.py0) << "\"/>\n";
  out << "<line x1=\"" << px(f.px0) << "\" y1=\"" << px(f.py0) << "\" x2=\"" << px(f.px0)
      << "\" y2=\"" << px(f.py1) << "\"/>\n";
  for (double t : f.xticks) {
    const std::string x = px(f.to_px_x(t));
    out << "<line x1=\"" << x << "\" y1=\"" << px(f.py0) << "\" x2=\"" << x << "\" y2=\""
        << px(f.py0 + 4) << "\"/>\n";
  }
  for (double t : f.yticks) {
    const std::string y = px(f.to_px_y(t));
    out << "<line x1=\"" << px(f.px0 - 4) << "\" y1=\"" << y << "\" x2=\"" << px(f.px0)
        << "\" y2=\"" << y << "\"/>\n";
  }
  out << "</g>\n<g class=\"plot-labels\" fill=\"#333333\">\n";
  for (std::size_t i = 0; i < f.xticks.size(); ++i)
    text_element(out, f.to_px_x(f.xticks[i]), f.py0 + 16, "middle", "", L.xlabels[i]);
  for (std::size_t i = 0; i < f.yticks.size(); ++i)
    text_element(out, f.px0 - 7, f.to_px_y(f.yticks[i]) + 3.5, "end", "", L.ylabels[i]);
  if (!spec.x_label.empty())
    text_element(out, f.px0 + area_w / 2, H - 8, "middle", "class=\"plot-x-label\"", spec.x_label);
  if (!spec.y_label.empty()) {
    out << "<text class=\"plot-y-label\" transform=\"translate(14 " << px(f.py1 + area_h / 2)
        << ") rotate(-90)\" text-anchor=\"middle\">" << xml_escape(spec.y_label) << "</text>\n";
  }
  out << "</g>\n";

  // Data: one polyline per run of finite points, markers on top.
  out << "<g class=\"plot-data\" clip-path=\"url(#" << clip_id << ")\">\n";
  for (std::size_t si = 0; si < spec.series.size(); ++si) {
    const PlotSeries& s = spec.series[si];
    const std::string colour = xml_escape(colour_of(spec, si));
    out << "<g class=\"plot-series\" data-series=\"" << si << "\">\n";
    std::vector<std::pair<double, double>> markers;
    std::vector<std::pair<double, double>> run;
    auto flush = [&] {
      if (run.size() >= 2) {
        out << "<polyline class=\"plot-line\" points=\"";
        for (std::size_t i = 0; i < run.size(); ++i)
          out << (i ? " " : "") << px(run[i].first) << ',' << px(run[i].second);
        out << "\" fill=\"none\" stroke=\"" << colour
            << "\" stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\"";
        if (s.dashed) out << " stroke-dasharray=\"6 4\"";
        out << "/>\n";
      }
      if (run.size() == 1 && !s.markers) markers.push_back(run.front());
      run.clear();
    };
    for (std::size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        flush();
        continue;
      }
      const std::pair<double, double> p{f.to_px_x(s.x[i]), f.to_px_y(s.y[i])};
      run.push_back(p);
      if (s.markers) markers.push_back(p);
    }
    flush();
    for (const auto& [x, y] : markers)
      out << "<circle class=\"plot-marker\" cx=\"" << px(x) << "\" cy=\"" << px(y)
          << "\" r=\"3\" fill=\"" << colour << "\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n";
    out << "</g>\n";
  }
  out << "</g>\n";

  if (!L.has_data)
    text_element(out, f.px0 + area_w / 2, f.py1 + area_h / 2 + 4, "middle",
                 "class=\"plot-no-data\" font-size=\"13\" fill=\"#888888\"", "no data");

  // Legend.
  if (!L.legend.empty()) {
    out << "<g class=\"plot-legend\">\n";
    for (const LegendItem& item : L.legend) {
      const PlotSeries& s = spec.series[item.series];
      const std::string colour = xml_escape(colour_of(spec, item.series));
      out << "<line x1=\"" << px(item.x) << "\" y1=\"" << px(item.y) << "\" x2=\""
          << px(item.x + kLegendSample) << "\" y2=\"" << px(item.y) << "\" stroke=\"" << colour
          << "\" stroke-width=\"2\"" << (s.dashed ? " stroke-dasharray=\"6 4\"" : "") << "/>\n";
      if (s.markers)
        out << "<circle cx=\"" << px(item.x + kLegendSample / 2) << "\" cy=\"" << px(item.y)
            << "\" r=\"3\" fill=\"" << colour << "\" stroke=\"#ffffff\" stroke-width=\"1\"/>\n";
      text_element(out, item.x + kLegendSample + 6, item.y + 4, "", "fill=\"#333333\"",
                   legend_name(spec, item.series));
    }
    out << "</g>\n";
  }
  out << "</svg>\n";
  return out.str();
}

}  // namespace xct::seg
