// The HTML report of `xct track`: one self-contained HTML5 page (inline CSS, the SVG plots
// inline, PNG overlays as <img> by relative link) that opens offline in a browser.
//
// Order on the page: header (title), summary box, warnings box, the time table, the plots in a
// responsive grid, the registration table, one section per step (its status, facts and
// overlays side by side), the list of files, the footer. Failed steps stand out: a red status
// cell, a red row in the time table, a red-edged section. Empty parts are left out (the time
// table says "no steps" instead).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "io/table.hpp"

namespace xct::seg {

struct ReportImage {
  std::string href;     // a file path relative to report.html (not a URL: it is percent-encoded)
  std::string caption;  // also the image's alt text
};

struct ReportStep {
  int index = 0;
  std::string time;           // as the user gave it ("0 h", "2026-11-26T10:00") or the index
  std::string status = "ok";  // "ok" or one line saying what failed
  std::vector<std::pair<std::string, std::string>> facts;  // key, value (already formatted)
  std::vector<ReportImage> images;                         // overlays through the crack, etc.
};

struct ReportDocument {
  std::string title;                                         // "xct track: <output folder name>"
  std::vector<std::pair<std::string, std::string>> summary;  // key-value facts at the top
  std::vector<std::string> warnings;                         // shown prominently
  // Rendered as HTML tables: doubles with 4 significant digits (format_number), integers as
  // they are, strings escaped. Table has no empty state: a table without rows counts as absent.
  Table time_table{std::vector<std::string>{"step"}};
  // Empty, or one entry per row of time_table: "" (or "ok") for a good row, else the status
  // that marks the row red (shown in the row's status cell; a "status" column is added when the
  // table has none).
  std::vector<std::string> highlight_rows_status;
  std::vector<std::pair<std::string, std::string>> plots;  // caption, SVG text (inlined as is)
  Table registration{std::vector<std::string>{"step"}};    // per step registration residuals
  std::vector<ReportStep> steps;
  std::vector<std::pair<std::string, std::string>> files;  // name (relative link), what it is
  std::string footer;                                      // version, command line
};

// The page. All text is HTML-escaped except the SVG of the plots. Throws ErrorKind::Internal
// when highlight_rows_status is neither empty nor one entry per row of the time table.
std::string html_report(const ReportDocument& doc);

// A number for a table cell: 4 significant digits without an exponent from 1e-3 up to 1e6
// ("0.001235", "1.235", "12346" keeps its whole digits), the exponent form outside
// ("1.235e+06", "2.5e-05"), trailing zeros dropped, "n/a" when not finite.
std::string format_number(double v);

}  // namespace xct::seg
