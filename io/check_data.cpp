// The data part of `xct check`: flats and darks (constant, saturated, flat <= dark) and a
// bounded-memory pass over every projection (unreadable, truncated, non-finite).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "io/check_data.hpp"

namespace xct::detail_check {

namespace {

using Severity = Finding::Severity;

struct FrameStats {
  float min = std::numeric_limits<float>::infinity();
  float max = -std::numeric_limits<float>::infinity();
  std::size_t at_type_max = 0;
  std::size_t non_finite = 0;
};

void accumulate(const HostArray<float, 3>& block, double type_max, std::vector<FrameStats>& st) {
  const std::size_t per_frame = block.extent(1) * block.extent(2);
  for (std::size_t f = 0; f < block.extent(0); ++f) {
    const float* p = block.data() + f * per_frame;
    FrameStats& s = st[f];
    for (std::size_t i = 0; i < per_frame; ++i) {
      if (!std::isfinite(p[i])) {
        ++s.non_finite;
        continue;
      }
      s.min = std::min(s.min, p[i]);
      s.max = std::max(s.max, p[i]);
      s.at_type_max += (p[i] >= type_max);
    }
  }
}

// Sum over frames of each pixel, for the per-pixel mean.
void add_frames(const HostArray<float, 3>& block, std::vector<double>& sum) {
  const std::size_t per_frame = block.extent(1) * block.extent(2);
  std::fill(sum.begin(), sum.end(), 0.0);
  for (std::size_t f = 0; f < block.extent(0); ++f) {
    const float* p = block.data() + f * per_frame;
    for (std::size_t i = 0; i < per_frame; ++i)
      sum[i] += p[i];
  }
}

void report_frames(const char* name, const StackInfo& s, const std::vector<FrameStats>& st,
                   const CheckOptions& opt, CheckReport& report) {
  const std::size_t pixels = s.n_rows * s.n_cols;
  for (std::size_t f = 0; f < st.size(); ++f) {
    if (st[f].non_finite > 0) {
      report.non_finite_values += st[f].non_finite;
      report.findings.push_back(
          {Severity::Error, detail::concat(name, " frame ", f, " has ", st[f].non_finite,
                                           " NaN or infinite values")});
    }
    if (name[0] != 'f') continue;  // constant or saturated darks are normal
    if (st[f].min == st[f].max) {
      report.findings.push_back(
          {Severity::Error, detail::concat("flat frame ", f, " is constant (every pixel ",
                                           st[f].min, "): a blank or unwritten frame")});
    }
    const double frac = pixels ? static_cast<double>(st[f].at_type_max) / pixels : 0.0;
    if (frac > opt.saturated_fraction) {
      report.findings.push_back(
          {Severity::Error,
           detail::concat("flat frame ", f, " is saturated: ", st[f].at_type_max, " pixels (",
                          100.0 * frac, "%) at the largest ", dtype_name(s.dtype), " value")});
    }
  }
}

}  // namespace

void check_flats_and_darks(ScanReader& reader, const CheckOptions& opt, CheckReport& report,
                           Logger& log) {
  const ScanInfo& info = reader.info();
  const StackInfo& fl = info.flats;
  const StackInfo& dk = info.darks;
  const bool have_flats = fl.present && fl.n_frames > 0;
  const bool have_darks = dk.present && dk.n_frames > 0;
  if (!have_flats && !have_darks) return;
  const bool same_shape =
      !have_flats || !have_darks || (fl.n_rows == dk.n_rows && fl.n_cols == dk.n_cols);
  const std::size_t n_rows = have_flats ? fl.n_rows : dk.n_rows;
  const std::size_t n_cols = have_flats ? fl.n_cols : dk.n_cols;
  const std::size_t frames = fl.n_frames + dk.n_frames;
  const std::size_t row_bytes = std::max<std::size_t>(1, frames * n_cols * sizeof(float));
  const std::size_t rows_per_slab = std::max<std::size_t>(1, opt.max_memory_bytes / row_bytes);

  std::vector<FrameStats> flat_st(fl.n_frames), dark_st(dk.n_frames);
  std::vector<double> flat_sum, dark_sum;
  for (std::size_t r0 = 0; r0 < n_rows; r0 += rows_per_slab) {
    const Range rows{r0, std::min(n_rows, r0 + rows_per_slab)};
    try {
      if (have_flats) {
        HostArray<float, 3> f = reader.read_flats(rows);
        accumulate(f, dtype_max(fl.dtype), flat_st);
        flat_sum.resize(rows.size() * n_cols);
        add_frames(f, flat_sum);
      }
      if (have_darks && same_shape) {
        HostArray<float, 3> d = reader.read_darks(rows);
        accumulate(d, dtype_max(dk.dtype), dark_st);
        dark_sum.resize(rows.size() * n_cols);
        add_frames(d, dark_sum);
      }
    } catch (const Error& e) {
      report.findings.push_back(
          {Severity::Error, detail::concat("cannot read flats or darks: ", e.what())});
      return;
    }
    if (!have_flats) continue;
    for (std::size_t i = 0; i < flat_sum.size(); ++i) {
      const double flat = flat_sum[i] / fl.n_frames;
      const double dark = (have_darks && same_shape) ? dark_sum[i] / dk.n_frames : 0.0;
      report.flat_le_dark_pixels += !(flat - dark > 0.0);
    }
  }
  report_frames("flats", fl, flat_st, opt, report);
  report_frames("darks", dk, dark_st, opt, report);
  if (have_flats && report.flat_le_dark_pixels > 0) {
    const double frac = static_cast<double>(report.flat_le_dark_pixels) / (n_rows * n_cols);
    const Severity sev = frac > opt.bad_gain_error_fraction ? Severity::Error : Severity::Warning;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.3g%%", 100.0 * frac);
    report.findings.push_back(
        {sev, detail::concat(report.flat_le_dark_pixels, " of ", n_rows * n_cols, " pixels (", pct,
                             ") have flat - dark <= 0",
                             sev == Severity::Warning ? " (dead pixels: flat-field correction "
                                                        "fixes and counts them)"
                                                      : "")});
  }
  log.debug("flats and darks checked: ", report.flat_le_dark_pixels, " pixels with flat <= dark");
}

void check_projections(ScanReader& reader, const CheckOptions& opt, CheckReport& report,
                       Logger& log) {
  const ScanInfo& info = reader.info();
  const StackInfo& p = info.projections;
  const std::size_t frame_bytes = std::max<std::size_t>(1, p.n_rows * p.n_cols * sizeof(float));
  const std::size_t per_slab = std::max<std::size_t>(1, opt.max_memory_bytes / frame_bytes);
  Progress progress("check: reading projections", p.n_frames, stderr, opt.progress);
  std::size_t non_finite = 0;
  for (std::size_t a0 = 0; a0 < p.n_frames; a0 += per_slab) {
    const Range frames{a0, std::min(p.n_frames, a0 + per_slab)};
    try {
      if (p.dtype == DType::Float32) {
        HostArray<float, 3> block = reader.read_projections<float>(frames, Range{0, p.n_rows});
        non_finite += static_cast<std::size_t>(
            std::count_if(block.begin(), block.end(), [](float v) { return !std::isfinite(v); }));
      } else {
        // Integers cannot be non-finite; reading them proves the data is there.
        HostArray<std::uint16_t, 3> block =
            reader.read_projections<std::uint16_t>(frames, Range{0, p.n_rows});
      }
    } catch (const Error& e) {
      report.findings.push_back(
          {Severity::Error, detail::concat("cannot read projections ", frames.begin, "-",
                                           frames.end - 1, ": ", e.what())});
      return;
    }
    report.projections_read = frames.end;
    progress.advance(frames.size());
  }
  progress.finish();
  if (non_finite > 0) {
    report.non_finite_values += non_finite;
    report.findings.push_back({Severity::Error, detail::concat("projections hold ", non_finite,
                                                               " NaN or infinite values")});
  }
  log.debug("projections read: ", report.projections_read);
}

}  // namespace xct::detail_check
