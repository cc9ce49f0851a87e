// The HTML report of `xct track` (segment/report.hpp): numbers with 4 significant digits,
// escaping, failed steps marked, plots and images present, nothing fetched from the web, and
// the page's tags balanced as Python's html.parser reads them.
#include "segment/report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "segment/plot.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct::seg {
namespace {

using test::expect_error;
using test::python_ok;
using test::TempDir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::size_t count(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

// Python's html.parser over the page: every non-void element closed in order, nothing left
// open. Prints the number of <svg> elements and <img> elements.
std::string check_html(const std::string& html) {
  TempDir dir;
  const auto file = dir / "report.html";
  std::ofstream(file, std::ios::binary) << html;
  return python_ok(
      "import sys\n"
      "from html.parser import HTMLParser\n"
      "VOID = {'area','base','br','col','embed','hr','img','input','link','meta','source',"
      "'track','wbr'}\n"
      "class Check(HTMLParser):\n"
      "    def __init__(self):\n"
      "        super().__init__()\n"
      "        self.stack, self.errors, self.count = [], [], {}\n"
      "    def handle_starttag(self, tag, attrs):\n"
      "        self.count[tag] = self.count.get(tag, 0) + 1\n"
      "        if tag not in VOID: self.stack.append(tag)\n"
      "    def handle_startendtag(self, tag, attrs):\n"
      "        self.count[tag] = self.count.get(tag, 0) + 1\n"
      "    def handle_endtag(self, tag):\n"
      "        if tag in VOID: return\n"
      "        if not self.stack or self.stack[-1] != tag:\n"
      "            self.errors.append('</%s> at %s closes %s' % (tag, self.getpos(), "
      "self.stack[-1:]))\n"
      "        else: self.stack.pop()\n"
      "c = Check()\n"
      "c.feed(open(sys.argv[1], encoding='utf-8').read())\n"
      "c.close()\n"
      "assert not c.errors, c.errors[:5]\n"
      "assert not c.stack, 'left open: %s' % c.stack\n"
      "print(c.count.get('svg', 0), c.count.get('img', 0))\n",
      {file.string()});
}

PlotSpec plot(const std::string& title, const std::string& unit) {
  PlotSpec spec;
  spec.title = title;
  spec.x_label = "step";
  spec.y_label = unit;
  PlotSeries s;
  s.name = title;
  s.x = {0, 1, 2};
  s.y = {1.0, 2.5, kNaN};
  spec.series.push_back(s);
  spec.flagged_x = {2};
  return spec;
}

// Three steps, the last failed in registration.
ReportDocument sample_document() {
  ReportDocument doc;
  doc.title = "xct track: cell <A> & B";
  doc.summary = {{"steps", "3"}, {"voxel size", "0.65 um"}, {"note", "x < y & z"}};
  doc.warnings = {"step 2: registration residual 4.2 > 2 voxels", "<script>alert(1)</script>"};
  doc.time_table = Table({"step", "time", "crack_volume_um3", "contact_fraction"});
  doc.time_table.add_row({0LL, std::string("0 h"), 1234.5678, 0.98766});
  doc.time_table.add_row({1LL, std::string("2 h & 10 min"), 0.000123456, kNaN});
  doc.time_table.add_row({2LL, std::string("4 h"), 1.5e7, kInf});
  doc.highlight_rows_status = {"", "ok", "registration failed: residual 4.2 > 2"};
  doc.plots = {{"Crack volume against time", svg_line_plot(plot("crack", "um^3"))},
               {"Contact fraction", svg_line_plot(plot("contact", "fraction"))}};
  doc.registration = Table({"step", "residual_voxels", "iterations"});
  doc.registration.add_row({1LL, 0.42, 35LL});
  doc.registration.add_row({2LL, 4.2, 200LL});
  ReportStep s0;
  s0.index = 0;
  s0.time = "0 h";
  s0.facts = {{"crack volume", "1235 um^3"}};
  s0.images = {{"overlays/step_00_xz.png", "xz through the crack"},
               {"overlays/step_00_yz.png", "yz through the crack"}};
  ReportStep s1 = s0;
  s1.index = 1;
  s1.time = "2 h";
  s1.images = {{"overlays/step 01 xz.png", "xz, step 1"}};
  ReportStep s2;
  s2.index = 2;
  s2.time = "4 h";
  s2.status = "registration failed: residual 4.2 > 2";
  doc.steps = {s0, s1, s2};
  doc.files = {{"time_table.csv", "the time table"}, {"report.html", "this page"}};
  doc.footer = "xct 0.1.0\nxct track scans/ -o out/ --time \"0 h,2 h\"";
  return doc;
}

TEST(FormatNumber, FourSignificantDigits) {
  EXPECT_EQ(format_number(1234.5678), "1235");
  EXPECT_EQ(format_number(12345.6), "12346");  // whole digits are kept below 1e6
  EXPECT_EQ(format_number(1.23456), "1.235");
  EXPECT_EQ(format_number(-42.1234), "-42.12");
  EXPECT_EQ(format_number(0.00123456), "0.001235");
  EXPECT_EQ(format_number(2.5), "2.5");  // trailing zeros dropped
  EXPECT_EQ(format_number(2.0), "2");
  EXPECT_EQ(format_number(0.0), "0");
  // Outside [1e-3, 1e6): the exponent form.
  EXPECT_EQ(format_number(1234567.0), "1.235e+06");
  EXPECT_EQ(format_number(1.5e7), "1.5e+07");
  EXPECT_EQ(format_number(0.000123456), "1.235e-04");
  EXPECT_EQ(format_number(-2.5e-5), "-2.5e-05");
  EXPECT_EQ(format_number(kNaN), "n/a");
  EXPECT_EQ(format_number(kInf), "n/a");
  EXPECT_EQ(format_number(-kInf), "n/a");
}

TEST(HtmlReport, TablesShowFormattedNumbersAndEscapedText) {
  const std::string html = html_report(sample_document());
  EXPECT_NE(html.find("<td class=\"num\">1235</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">0.9877</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">1.235e-04</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"num\">1.5e+07</td>"), std::string::npos);
  // NaN and infinity: two cells of the time table.
  EXPECT_EQ(count(html, "<td class=\"num\">n/a</td>"), 2u);
  EXPECT_NE(html.find("<td class=\"num\">35</td>"), std::string::npos);  // an integer as is
  EXPECT_NE(html.find("<td>2 h &amp; 10 min</td>"), std::string::npos);
  EXPECT_EQ(html.find("1234.5678"), std::string::npos);  // never the full digits
}

TEST(HtmlReport, TextIsEscaped) {
  const std::string html = html_report(sample_document());
  EXPECT_NE(html.find("<title>xct track: cell &lt;A&gt; &amp; B</title>"), std::string::npos);
  EXPECT_NE(html.find("<h1>xct track: cell &lt;A&gt; &amp; B</h1>"), std::string::npos);
  EXPECT_NE(html.find("x &lt; y &amp; z"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  EXPECT_EQ(html.find("<A>"), std::string::npos);
  EXPECT_NE(html.find("--time &quot;0 h,2 h&quot;"), std::string::npos);
}

TEST(HtmlReport, FailedStepsStandOut) {
  const std::string html = html_report(sample_document());
  // The step's own section: marked failed, with a red status cell holding the escaped reason.
  EXPECT_NE(html.find("<section class=\"step failed\" id=\"step-2\">"), std::string::npos);
  EXPECT_NE(html.find("<section class=\"step\" id=\"step-0\">"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"status-bad\">registration failed: residual 4.2 &gt; 2</td>"),
            std::string::npos);
  // The time table: the third row red, with a status column added (the table has none).
  EXPECT_EQ(count(html, "<tr class=\"failed\""), 1u);
  EXPECT_NE(html.find("<th scope=\"col\">status</th>"), std::string::npos);
  // Status cells: two good rows in the table, two good steps; two bad: table row and step.
  EXPECT_EQ(count(html, "class=\"status-ok\""), 4u);
  EXPECT_EQ(count(html, "class=\"status-bad\""), 2u);
  // The index of steps links to each, the failed one marked.
  EXPECT_NE(html.find("<a href=\"#step-2\" class=\"failed\""), std::string::npos);
  EXPECT_NE(html.find("<a href=\"#step-0\" title=\"ok\">"), std::string::npos);
}

TEST(HtmlReport, StatusColumnOfTheTableIsMarkedInPlace) {
  ReportDocument doc;
  doc.time_table = Table({"step", "status"});
  doc.time_table.add_row({0LL, std::string("ok")});
  doc.time_table.add_row({1LL, std::string("segmentation failed")});
  doc.highlight_rows_status = {"", "segmentation failed"};
  const std::string html = html_report(doc);
  EXPECT_EQ(count(html, "<th scope=\"col\">status</th>"), 1u);  // not added a second time
  EXPECT_NE(html.find("<td class=\"status-bad\">segmentation failed</td>"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"status-ok\">ok</td>"), std::string::npos);
}

TEST(HtmlReport, HoldsEveryPlotAndImage) {
  const ReportDocument doc = sample_document();
  const std::string html = html_report(doc);
  for (const auto& [caption, svg] : doc.plots) {
    EXPECT_NE(html.find(svg), std::string::npos) << caption;
    EXPECT_NE(html.find("<figcaption>" + caption + "</figcaption>"), std::string::npos);
  }
  for (const ReportStep& step : doc.steps)
    for (const ReportImage& img : step.images) {
      // A space in a file name is percent-encoded in the link.
      std::string h = img.href;
      for (std::size_t p = h.find(' '); p != std::string::npos; p = h.find(' '))
        h.replace(p, 1, "%20");
      EXPECT_NE(html.find("<img src=\"" + h + "\""), std::string::npos) << h;
      EXPECT_NE(html.find("<a href=\"" + h + "\">"), std::string::npos) << h;
    }
  EXPECT_NE(html.find("<a href=\"time_table.csv\">"), std::string::npos);
  // Offline: the only addresses on the page are the SVG namespace of each plot.
  EXPECT_EQ(count(html, "http"), count(html, "xmlns=\"http://www.w3.org/2000/svg\""));
  EXPECT_EQ(count(html, "xmlns=\"http://www.w3.org/2000/svg\""), doc.plots.size());
  EXPECT_EQ(html.find("<link"), std::string::npos);
  // Sections in the documented order.
  const std::size_t summary = html.find("id=\"summary\""), warnings = html.find("id=\"warnings\""),
                    table = html.find("id=\"time-table\""), plots = html.find("id=\"plots\""),
                    reg = html.find("id=\"registration\""), steps = html.find("id=\"steps\""),
                    files = html.find("id=\"files\""), footer = html.find("<footer>");
  EXPECT_LT(summary, warnings);
  EXPECT_LT(warnings, table);
  EXPECT_LT(table, plots);
  EXPECT_LT(plots, reg);
  EXPECT_LT(reg, steps);
  EXPECT_LT(steps, files);
  EXPECT_LT(files, footer);
  EXPECT_NE(footer, std::string::npos);
}

TEST(HtmlReport, TagsAreBalanced) {
  const ReportDocument doc = sample_document();
  const std::string html = html_report(doc);
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  // Two plots, three overlay images (two of step 0, one of step 1).
  EXPECT_EQ(check_html(html), "2 3\n");
}

TEST(HtmlReport, EmptyDocumentIsAPage) {
  const std::string html = html_report(ReportDocument{});
  EXPECT_NE(html.find("<p class=\"note\">no steps</p>"), std::string::npos);
  EXPECT_EQ(html.find("id=\"plots\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"registration\""), std::string::npos);
  EXPECT_EQ(html.find("id=\"steps\""), std::string::npos);
  EXPECT_EQ(check_html(html), "0 0\n");
}

TEST(HtmlReport, RowStatusesMustMatchTheTable) {
  ReportDocument doc = sample_document();
  doc.highlight_rows_status.pop_back();  // 2 statuses for 3 rows
  expect_error([&] { html_report(doc); }, ErrorKind::Internal, {"2 row statuses", "3 rows"});
}

}  // namespace
}  // namespace xct::seg
