#include "io/check.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/geometry.hpp"
#include "io/check_data.hpp"

namespace xct {

namespace {

using Severity = Finding::Severity;

struct Collector {
  CheckReport& report;
  template <typename... Args>
  void error(const Args&... args) {
    report.findings.push_back({Severity::Error, detail::concat(args...)});
  }
  template <typename... Args>
  void warn(const Args&... args) {
    report.findings.push_back({Severity::Warning, detail::concat(args...)});
  }
};

void check_structure(const ScanInfo& info, Collector& c) {
  for (const auto& p : info.problems)
    c.error(p);
  for (const auto& w : info.warnings)
    c.warn(w);
  const StackInfo& proj = info.projections;
  if (proj.n_frames == 0 || proj.n_rows == 0 || proj.n_cols == 0) {
    c.error("projections are empty: ", proj.n_frames, " frames of ", proj.n_rows, " x ",
            proj.n_cols);
  }
  for (const StackInfo* s : {&info.flats, &info.darks}) {
    const char* name = s == &info.flats ? "flats" : "darks";
    if (!s->present || s->n_frames == 0) continue;
    if (s->n_rows != proj.n_rows || s->n_cols != proj.n_cols) {
      c.error(name, " have frames of ", s->n_rows, " x ", s->n_cols, " but projections of ",
              proj.n_rows, " x ", proj.n_cols, " (", s->where, ")");
    }
  }
  if (!info.flats.present || info.flats.n_frames == 0) {
    c.error("no flat fields: flat-field correction is impossible");
  }
  if (!info.darks.present || info.darks.n_frames == 0) {
    c.warn("no dark fields: a dark of zero would be assumed only if asked for explicitly");
  }
}

void check_angles(const ScanInfo& info, Collector& c) {
  const auto& a = info.angles_as_stored;
  if (a.empty()) {
    c.error("no rotation angles recorded; give them in the config ([input.angles])");
    return;
  }
  if (a.size() != info.n_proj()) {
    c.error("angle count ", a.size(), " differs from projection count ", info.n_proj(), " (",
            info.angles_where, ")");
  }
  const auto bad = std::count_if(a.begin(), a.end(), [](double v) { return !std::isfinite(v); });
  if (bad > 0) {
    c.error(bad, " angles are NaN or infinite (", info.angles_where, ")");
    return;
  }
  if (info.angles_stored_in_degrees && angles_look_like_radians(a)) {
    const auto [lo, hi] = std::minmax_element(a.begin(), a.end());
    c.warn("angles span ", *lo, " to ", *hi, " and look like radians, but are read as degrees (",
           info.angles_where, ")");
  }
  const AngleSummary s = summarize_angles(info.angles_rad);
  if (!s.monotonic) c.warn("angles are not strictly monotonic (repeated or reversed steps)");
  if (std::abs(s.last_rad - s.first_rad) > 2 * kPi + std::abs(s.mean_step_rad)) {
    c.warn("angles span more than 360 degrees");
  }
}

}  // namespace

std::size_t CheckReport::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      findings.begin(), findings.end(), [](auto& f) { return f.severity == Severity::Error; }));
}

std::size_t CheckReport::warning_count() const {
  return findings.size() - error_count();
}

CheckReport check_scan(ScanReader& reader, const CheckOptions& options, Logger& log) {
  CheckReport report;
  Collector c{report};
  const ScanInfo& info = reader.info();
  check_structure(info, c);
  check_angles(info, c);
  detail_check::check_flats_and_darks(reader, options, report, log);
  if (options.read_projections && info.n_proj() > 0) {
    detail_check::check_projections(reader, options, report, log);
  }
  return report;
}

MemoryEstimate estimate_memory(const ScanInfo& info) {
  MemoryEstimate m;
  const std::size_t frame = info.n_rows() * info.n_cols();
  m.raw_bytes = info.n_proj() * frame * dtype_size(info.projections.dtype);
  m.float_proj_bytes = info.n_proj() * frame * sizeof(float);
  m.volume_bytes = info.n_rows() * info.n_cols() * info.n_cols() * sizeof(float);
  m.one_row_bytes = (info.n_proj() * info.n_cols() + info.n_cols() * info.n_cols()) * sizeof(float);
  return m;
}

std::string human_bytes(std::size_t bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  char buf[32];
  if (u == 0) {
    std::snprintf(buf, sizeof buf, "%zu B", bytes);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g %s", v, units[u]);
  }
  return buf;
}

}  // namespace xct
