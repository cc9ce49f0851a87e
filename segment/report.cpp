#include "segment/report.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string_view>
#include <variant>

#include "core/error.hpp"
#include "segment/plot.hpp"

namespace xct::seg {

namespace {

// Light styling only: system fonts, no external resources.
constexpr const char* kStyle = R"css(
:root { --fg: #1d2433; --muted: #5b6577; --line: #d8dde6; --bg: #f5f7fa; --card: #ffffff;
  --bad: #c62828; --bad-bg: #fdecea; --ok: #2e7d32; --ok-bg: #e8f5e9; --warn: #7a5c00;
  --warn-bg: #fff8e1; --head: #1f3a5f; }
* { box-sizing: border-box; }
body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial,
  sans-serif; font-size: 15px; line-height: 1.45; color: var(--fg); background: var(--bg); }
header { background: var(--head); color: #ffffff; padding: 18px 28px; }
header h1 { margin: 0; font-size: 1.45rem; font-weight: 600; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 28px 8px; }
main > section { margin: 0 0 28px; }
h2 { font-size: 1.15rem; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 0 0 8px; }
a { color: #1a5fb4; }
.box { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 14px 18px; }
.box h2 { border: 0; padding: 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 18px; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.warnings { background: var(--warn-bg); border: 1px solid #f0d36b; border-left: 5px solid #e0a800;
  border-radius: 6px; padding: 12px 18px; }
.warnings h2 { border: 0; padding: 0; color: var(--warn); }
.warnings ul { margin: 0; padding-left: 20px; }
.table-wrap { overflow-x: auto; background: var(--card); border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: 0.9rem; }
th, td { padding: 5px 10px; border-bottom: 1px solid #eceff4; text-align: left; vertical-align: top; }
thead th { background: #eef1f6; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafbfc; }
tbody tr.failed { background: var(--bad-bg); }
td.status-ok { color: var(--ok); font-weight: 600; }
td.status-bad { background: var(--bad); color: #ffffff; font-weight: 600; }
p.note { color: var(--muted); margin: 0; }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); gap: 16px; }
figure { margin: 0; }
.plots figure { background: var(--card); border: 1px solid var(--line); border-radius: 6px; padding: 8px; }
.plots svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.85rem; margin-top: 4px; text-align: center; }
nav.step-index { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 14px; }
nav.step-index a { text-decoration: none; padding: 2px 10px; border-radius: 12px; font-size: 0.85rem;
  background: var(--ok-bg); color: var(--ok); }
nav.step-index a.failed { background: var(--bad); color: #ffffff; }
section.step { background: var(--card); border: 1px solid var(--line); border-left: 5px solid var(--ok);
  border-radius: 6px; padding: 12px 18px; margin: 0 0 16px; }
section.step.failed { border-left-color: var(--bad); background: #fffafa; }
.badge { display: inline-block; margin-left: 8px; padding: 0 8px; border-radius: 10px; font-size: 0.8rem;
  font-weight: 600; vertical-align: middle; background: var(--bad); color: #ffffff; }
table.step-facts { width: auto; min-width: 50%; }
table.step-facts th { color: var(--muted); font-weight: normal; white-space: nowrap; }
.images { display: flex; flex-wrap: wrap; gap: 12px; margin-top: 12px; }
.images figure { flex: 1 1 280px; max-width: 440px; }
.images img { display: block; max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 4px; }
footer { max-width: 1200px; margin: 0 auto; padding: 12px 28px 24px; color: var(--muted);
  font-size: 0.85rem; white-space: pre-wrap; overflow-wrap: anywhere; }
@media (max-width: 600px) { main { padding: 12px; } header { padding: 14px 12px; } }
@media print { body { background: #ffffff; } section.step, .plots figure { break-inside: avoid; } }
)css";

std::string esc(std::string_view s) {
  return xml_escape(s);
}

// A relative file path as an attribute value: characters that would end or redirect a URL
// path are percent-encoded, then the result is escaped.
std::string href(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7F || c == '"' || c == '#' || c == '%' || c == '<' || c == '>' ||
        c == '?' || c == '\\' || c == '`' || c == '{' || c == '}' || c == '|' || c == '^') {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  return esc(out);
}

bool is_ok(std::string_view status) {
  return status.empty() || status == "ok";
}

std::string cell_text(const Table::Cell& cell) {
  if (const auto* d = std::get_if<double>(&cell)) return format_number(*d);
  if (const auto* i = std::get_if<long long>(&cell)) return std::to_string(*i);
  return std::get<std::string>(cell);
}

// A table; `status` (empty or one per row) marks failed rows and fills their status cell.
void render_table(std::ostringstream& out, const Table& table,
                  const std::vector<std::string>& status) {
  const auto& cols = table.columns();
  const auto found = std::find(cols.begin(), cols.end(), "status");
  const bool with_status = !status.empty();
  const bool add_status_column = with_status && found == cols.end();
  const std::size_t status_col = static_cast<std::size_t>(found - cols.begin());

  out << "<div class=\"table-wrap\"><table>\n<thead><tr>";
  for (const std::string& c : cols)
    out << "<th scope=\"col\">" << esc(c) << "</th>";
  if (add_status_column) out << "<th scope=\"col\">status</th>";
  out << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < table.rows().size(); ++r) {
    const auto& row = table.rows()[r];
    const bool failed = with_status && !is_ok(status[r]);
    out << (failed ? "<tr class=\"failed\" title=\"" + esc(status[r]) + "\">" : "<tr>");
    for (std::size_t c = 0; c < row.size(); ++c) {
      const bool number = !std::holds_alternative<std::string>(row[c]);
      std::string cls = number ? "num" : "";
      if (with_status && c == status_col) cls = failed ? "status-bad" : "status-ok";
      out << (cls.empty() ? "<td>" : "<td class=\"" + cls + "\">") << esc(cell_text(row[c]))
          << "</td>";
    }
    if (add_status_column) {
      out << (failed ? "<td class=\"status-bad\">" + esc(status[r])
                     : std::string("<td class=\"status-ok\">ok"))
          << "</td>";
    }
    out << "</tr>\n";
  }
  out << "</tbody>\n</table></div>\n";
}

void render_facts(std::ostringstream& out,
                  const std::vector<std::pair<std::string, std::string>>& facts) {
  out << "<dl class=\"facts\">\n";
  for (const auto& [key, value] : facts)
    out << "<dt>" << esc(key) << "</dt><dd>" << esc(value) << "</dd>\n";
  out << "</dl>\n";
}

std::string step_anchor(const ReportStep& step) {
  return "step-" + std::to_string(step.index);
}

std::string step_name(const ReportStep& step) {
  std::string name = "Step " + std::to_string(step.index);
  if (!step.time.empty() && step.time != std::to_string(step.index)) name += " \u00b7 " + step.time;
  return name;
}

void render_step(std::ostringstream& out, const ReportStep& step) {
  const bool failed = !is_ok(step.status);
  out << "<section class=\"step" << (failed ? " failed" : "") << "\" id=\"" << step_anchor(step)
      << "\">\n<h3>" << esc(step_name(step));
  if (failed) out << "<span class=\"badge\">failed</span>";
  out << "</h3>\n<table class=\"step-facts\"><tbody>\n<tr><th scope=\"row\">status</th>"
      << (failed ? "<td class=\"status-bad\">" : "<td class=\"status-ok\">")
      << esc(step.status.empty() ? "ok" : step.status) << "</td></tr>\n";
  if (!step.time.empty())
    out << "<tr><th scope=\"row\">time</th><td>" << esc(step.time) << "</td></tr>\n";
  for (const auto& [key, value] : step.facts)
    out << "<tr><th scope=\"row\">" << esc(key) << "</th><td>" << esc(value) << "</td></tr>\n";
  out << "</tbody></table>\n";
  if (!step.images.empty()) {
    out << "<div class=\"images\">\n";
    for (const ReportImage& img : step.images) {
      const std::string h = href(img.href);
      out << "<figure><a href=\"" << h << "\"><img src=\"" << h << "\" alt=\""
          << esc(img.caption.empty() ? img.href : img.caption) << "\" loading=\"lazy\"></a>";
      if (!img.caption.empty()) out << "<figcaption>" << esc(img.caption) << "</figcaption>";
      out << "</figure>\n";
    }
    out << "</div>\n";
  }
  out << "</section>\n";
}

}  // namespace

std::string format_number(double v) {
  if (!std::isfinite(v)) return "n/a";
  if (v == 0) return "0";
  const double a = std::abs(v);
  char buf[64];
  std::string s;
  if (a >= 1e-3 && a < 1e6) {
    int e = static_cast<int>(std::floor(std::log10(a)));
    if (a >= std::pow(10.0, e + 1)) ++e;
    if (a < std::pow(10.0, e)) --e;
    const int decimals = std::max(0, 3 - e);
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
    s.assign(buf, r.ptr);
    if (s.find('.') != std::string::npos) {
      while (s.back() == '0')
        s.pop_back();
      if (s.back() == '.') s.pop_back();
    }
    return s;
  }
  const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, 3);
  s.assign(buf, r.ptr);
  const std::size_t epos = s.find('e');
  std::string mantissa = s.substr(0, epos);
  while (mantissa.back() == '0')
    mantissa.pop_back();
  if (mantissa.back() == '.') mantissa.pop_back();
  return mantissa + s.substr(epos);
}

std::string html_report(const ReportDocument& doc) {
  XCT_CHECK(doc.highlight_rows_status.empty() ||
                doc.highlight_rows_status.size() == doc.time_table.rows().size(),
            ErrorKind::Internal, "report: ", doc.highlight_rows_status.size(), " row statuses for ",
            doc.time_table.rows().size(), " rows of the time table");
  const std::string title = doc.title.empty() ? "xct track" : doc.title;
  std::ostringstream out;
  out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      << "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      << "<meta name=\"generator\" content=\"xct\">\n<title>" << esc(title) << "</title>\n"
      << "<style>" << kStyle << "</style>\n</head>\n<body>\n";
  out << "<header><h1>" << esc(title) << "</h1></header>\n<main>\n";

  if (!doc.summary.empty()) {
    out << "<section class=\"box summary\" id=\"summary\">\n<h2>Summary</h2>\n";
    render_facts(out, doc.summary);
    out << "</section>\n";
  }
  if (!doc.warnings.empty()) {
    out << "<section class=\"warnings\" id=\"warnings\" role=\"alert\">\n<h2>Warnings ("
        << doc.warnings.size() << ")</h2>\n<ul>\n";
    for (const std::string& w : doc.warnings)
      out << "<li>" << esc(w) << "</li>\n";
    out << "</ul>\n</section>\n";
  }

  out << "<section id=\"time-table\">\n<h2>Time table</h2>\n";
  if (doc.time_table.rows().empty())
    out << "<p class=\"note\">no steps</p>\n";
  else
    render_table(out, doc.time_table, doc.highlight_rows_status);
  out << "</section>\n";

  if (!doc.plots.empty()) {
    out << "<section id=\"plots\">\n<h2>Plots</h2>\n<div class=\"plots\">\n";
    for (const auto& [caption, svg] : doc.plots) {
      out << "<figure>\n" << svg;
      if (!svg.empty() && svg.back() != '\n') out << '\n';
      if (!caption.empty()) out << "<figcaption>" << esc(caption) << "</figcaption>\n";
      out << "</figure>\n";
    }
    out << "</div>\n</section>\n";
  }

  if (!doc.registration.rows().empty()) {
    out << "<section id=\"registration\">\n<h2>Registration</h2>\n";
    render_table(out, doc.registration, {});
    out << "</section>\n";
  }

  if (!doc.steps.empty()) {
    out << "<section id=\"steps\">\n<h2>Steps</h2>\n<nav class=\"step-index\">";
    for (const ReportStep& step : doc.steps) {
      const bool failed = !is_ok(step.status);
      out << "<a href=\"#" << step_anchor(step) << "\"" << (failed ? " class=\"failed\"" : "")
          << " title=\"" << esc(step.status.empty() ? "ok" : step.status) << "\">"
          << esc(step_name(step)) << "</a>";
    }
    out << "</nav>\n";
    for (const ReportStep& step : doc.steps)
      render_step(out, step);
    out << "</section>\n";
  }

  if (!doc.files.empty()) {
    out << "<section id=\"files\">\n<h2>Files</h2>\n<div class=\"table-wrap\"><table>\n"
        << "<thead><tr><th scope=\"col\">file</th><th scope=\"col\">content</th></tr></thead>\n"
        << "<tbody>\n";
    for (const auto& [name, what] : doc.files)
      out << "<tr><td><a href=\"" << href(name) << "\">" << esc(name) << "</a></td><td>"
          << esc(what) << "</td></tr>\n";
    out << "</tbody>\n</table></div>\n</section>\n";
  }
  out << "</main>\n";
  if (!doc.footer.empty()) out << "<footer>" << esc(doc.footer) << "</footer>\n";
  out << "</body>\n</html>\n";
  return out.str();
}

}  // namespace xct::seg
