#include "recon/preprocess.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/stopwatch.hpp"

namespace xct::recon {

void PreprocessReport::merge(const PreprocessReport& o) {
  counts.merge(o.counts);
  zingers_replaced += o.zingers_replaced;
  stripe_columns_flagged += o.stripe_columns_flagged;
  flats_interpolated = flats_interpolated || o.flats_interpolated;
  seconds_read += o.seconds_read;
  seconds_flat_field += o.seconds_flat_field;
  seconds_zingers += o.seconds_zingers;
  seconds_rings += o.seconds_rings;
  seconds_log += o.seconds_log;
}

namespace {

// Flats split by acquisition order into those taken before the first projection and those
// taken after the last; without a recorded order every flat counts as "before". Without
// interpolation the flats after are dropped (unless there are no others).
struct FlatGroups {
  std::vector<std::size_t> before, after;
  double position_before = 0, position_after = 0;
};

double mean_position(const std::vector<std::size_t>& frames,
                     const std::vector<std::size_t>& index) {
  double sum = 0;
  for (auto f : frames)
    sum += static_cast<double>(index[f]);
  return sum / static_cast<double>(frames.size());
}

FlatGroups split_flats(const ScanInfo& info, bool interpolate) {
  FlatGroups g;
  const auto& fi = info.flats.acquisition_index;
  const auto& pi = info.projections.acquisition_index;
  const std::size_t n = info.flats.n_frames;
  const bool ordered = fi.size() == n && pi.size() == info.n_proj() && !pi.empty();
  const std::size_t last = ordered ? *std::max_element(pi.begin(), pi.end()) : 0;
  for (std::size_t f = 0; f < n; ++f)
    (ordered && fi[f] > last ? g.after : g.before).push_back(f);
  if (g.before.empty()) std::swap(g.before, g.after);  // only flats after: use them plainly
  if (!interpolate) g.after.clear();
  if (ordered) {
    g.position_before = mean_position(g.before, fi);
    if (!g.after.empty()) g.position_after = mean_position(g.after, fi);
  }
  return g;
}

HostArray<float, 2> reduce_subset(const HostArray<float, 3>& frames,
                                  const std::vector<std::size_t>& which, FrameReduction how) {
  const std::size_t h = frames.extent(1), w = frames.extent(2);
  HostArray<float, 3> picked({which.size(), h, w});
  for (std::size_t k = 0; k < which.size(); ++k)
    std::copy_n(frames.data() + which[k] * h * w, h * w, picked.data() + k * h * w);
  HostArray<float, 2> out({h, w});
  reduce_frames(picked.cview(), how, out.view());
  return out;
}

struct RowReference {
  FlatReference ref;
  std::vector<double> positions;  // acquisition position of each projection
};

RowReference make_reference(ScanReader& reader, Range rows, const PreprocessParams& params,
                            PreprocessReport& report) {
  const ScanInfo& info = reader.info();
  if (!info.flats.present || info.flats.n_frames == 0) {
    XCT_CHECK(info.flats.absent_reason.empty(),
              info.flats.absent_file_missing ? ErrorKind::InputMissing : ErrorKind::BadData,
              info.flats.absent_reason, ", so the scan cannot be flat-field corrected");
    XCT_THROW(ErrorKind::BadData,
              "the scan has no flat fields, so it cannot be flat-field corrected");
  }
  const FlatGroups groups = split_flats(info, params.interpolate_flats);
  const auto flats = reader.read_flats(rows);
  HostArray<float, 2> dark({rows.size(), info.n_cols()}, 0.0f);
  if (info.darks.present && info.darks.n_frames > 0) {
    const auto darks = reader.read_darks(rows);
    std::vector<std::size_t> all(darks.extent(0));
    std::iota(all.begin(), all.end(), 0);
    dark = reduce_subset(darks, all, params.dark_reduction);
  }
  FlatFieldParams fp = params.flat;
  if (!fp.saturation && info.flats.dtype != DType::Float32)
    fp.saturation = dtype_max(info.flats.dtype);
  const auto before = reduce_subset(flats, groups.before, params.flat_reduction);
  RowReference out;
  if (groups.after.empty()) {
    out.ref = make_flat_reference(dark.cview(), before.cview(), nullptr, 0, 0, fp, report.counts);
    return out;
  }
  const auto after = reduce_subset(flats, groups.after, params.flat_reduction);
  const ConstImage after_view = after.cview();
  out.ref = make_flat_reference(dark.cview(), before.cview(), &after_view, groups.position_before,
                                groups.position_after, fp, report.counts);
  const auto& pi = info.projections.acquisition_index;
  out.positions.assign(pi.begin(), pi.end());
  report.flats_interpolated = true;
  return out;
}

// Means of factor x factor blocks of each frame [angle, row, col]; columns past the last
// whole block are dropped.
HostArray<float, 3> bin_frames(const HostArray<float, 3>& frames, std::size_t factor) {
  const std::size_t n_a = frames.extent(0), n_r = frames.extent(1) / factor,
                    n_c = frames.extent(2) / factor;
  HostArray<float, 3> out({n_a, n_r, n_c}, 0.0f);
  const float scale = 1.0f / static_cast<float>(factor * factor);
#pragma omp parallel for schedule(static)
  for (long a = 0; a < static_cast<long>(n_a); ++a) {
    const auto au = static_cast<std::size_t>(a);
    for (std::size_t y = 0; y < n_r * factor; ++y) {
      const float* src = &frames(au, y, 0);
      float* dst = &out(au, y / factor, 0);
      for (std::size_t x = 0; x < n_c * factor; ++x)
        dst[x / factor] += src[x];
    }
    for (std::size_t i = 0; i < n_r * n_c; ++i)
      (&out(au, 0, 0))[i] *= scale;
  }
  return out;
}

}  // namespace

HostArray<float, 3> read_sinograms(ScanReader& reader, Range rows, const PreprocessParams& params,
                                   PreprocessReport& report, std::optional<Range> projections) {
  const ScanInfo& info = reader.info();
  const Range proj = projections.value_or(Range{0, info.n_proj()});
  XCT_CHECK(rows.size() > 0 && rows.end <= info.n_rows(), ErrorKind::Usage, "rows ", rows.begin,
            "-", rows.end, " are outside the detector's ", info.n_rows(), " rows");
  XCT_CHECK(
      params.binning >= 1 && rows.size() % params.binning == 0 && info.n_cols() >= params.binning,
      ErrorKind::Usage, "binning ", params.binning, " needs a multiple of ", params.binning,
      " rows, got ", rows.size());
  Stopwatch clock;
  RowReference r = make_reference(reader, rows, params, report);
  auto frames = reader.read_projections<float>(proj, rows);
  report.seconds_read += clock.lap();
  std::vector<double> positions;
  if (!r.positions.empty())
    positions.assign(r.positions.begin() + static_cast<std::ptrdiff_t>(proj.begin),
                     r.positions.begin() + static_cast<std::ptrdiff_t>(proj.end));
  flat_field(frames.cview(), r.ref, positions, frames.view(), params.flat, report.counts);
  if (params.binning > 1) frames = bin_frames(frames, params.binning);
  report.seconds_flat_field += clock.lap();

  // Reslice [angle, row, col] into sinograms [row, angle, col], then correct each.
  const std::size_t n_a = proj.size(), n_r = frames.extent(1), n_c = frames.extent(2);
  HostArray<float, 3> sinos({n_r, n_a, n_c});
  for (std::size_t a = 0; a < n_a; ++a)
    for (std::size_t y = 0; y < n_r; ++y)
      std::copy_n(frames.data() + (a * n_r + y) * n_c, n_c, sinos.data() + (y * n_a + a) * n_c);
  frames = HostArray<float, 3>();
  HostArray<float, 2> scratch({n_a, n_c});
  for (std::size_t y = 0; y < n_r; ++y) {
    Image sino(sinos.data() + y * n_a * n_c, {n_a, n_c});
    clock.lap();
    if (params.zinger) {
      report.zingers_replaced += remove_zinger(sino, sino, *params.zinger);
    }
    report.seconds_zingers += clock.lap();
    if (params.rings.method != "none") {
      report.stripe_columns_flagged += remove_rings(sino, scratch.view(), params.rings);
      std::copy_n(scratch.data(), n_a * n_c, sino.data());
    }
    report.seconds_rings += clock.lap();
    minus_log(std::span<float>(sino.data(), n_a * n_c), report.counts);
    report.seconds_log += clock.lap();
  }
  return sinos;
}

bool counts_route_applies(const ScanInfo& info, const PreprocessParams& params) {
  const DType t = info.projections.dtype;
  return (t == DType::UInt16 || t == DType::UInt8) && !params.zinger &&
         params.rings.method == "none" && params.binning == 1 &&
         params.flat.nonpositive == NonPositivePolicy::HalfCount && info.flats.present &&
         info.flats.n_frames > 0 && split_flats(info, params.interpolate_flats).after.empty();
}

CountSinograms read_count_sinograms(ScanReader& reader, Range rows, const PreprocessParams& params,
                                    PreprocessReport& report, std::optional<Range> projections) {
  const ScanInfo& info = reader.info();
  XCT_CHECK(counts_route_applies(info, params), ErrorKind::Internal,
            "read_count_sinograms: the chain needs more than flat-field and -log");
  const Range proj = projections.value_or(Range{0, info.n_proj()});
  XCT_CHECK(rows.size() > 0 && rows.end <= info.n_rows(), ErrorKind::Usage, "rows ", rows.begin,
            "-", rows.end, " are outside the detector's ", info.n_rows(), " rows");
  Stopwatch clock;
  RowReference r = make_reference(reader, rows, params, report);
  const auto frames = reader.read_projections<std::uint16_t>(proj, rows);
  report.seconds_read += clock.lap();
  const std::size_t n_a = proj.size(), n_r = rows.size(), n_c = info.n_cols();
  CountSinograms out;
  out.counts = HostArray<std::uint16_t, 3>({n_r, n_a, n_c});
#pragma omp parallel for schedule(static)
  for (long y = 0; y < static_cast<long>(n_r); ++y)
    for (std::size_t a = 0; a < n_a; ++a)
      std::copy_n(frames.data() + (a * n_r + static_cast<std::size_t>(y)) * n_c, n_c,
                  out.counts.data() + (static_cast<std::size_t>(y) * n_a + a) * n_c);
  out.dark = std::move(r.ref.dark);
  out.denom = std::move(r.ref.denom_before);
  report.seconds_flat_field += clock.lap();
  return out;
}

bool raw_slabs_apply(const ScanInfo& info, const PreprocessParams& params) {
  const DType t = info.projections.dtype;
  return (t == DType::UInt16 || t == DType::UInt8) && params.binning == 1 && info.flats.present &&
         info.flats.n_frames > 0 && split_flats(info, params.interpolate_flats).after.empty();
}

void read_raw_slab(ScanReader& reader, Range rows, const PreprocessParams& params,
                   PreprocessReport& report, Range proj, HostView<std::uint16_t, 3> counts,
                   HostView<float, 2> dark, HostView<float, 2> denom) {
  const ScanInfo& info = reader.info();
  XCT_CHECK(raw_slabs_apply(info, params), ErrorKind::Internal,
            "read_raw_slab: the scan is not stored as counts with one group of flats");
  XCT_CHECK(rows.size() > 0 && rows.end <= info.n_rows(), ErrorKind::Usage, "rows ", rows.begin,
            "-", rows.end, " are outside the detector's ", info.n_rows(), " rows");
  const std::size_t n_c = info.n_cols();
  XCT_CHECK(counts.extent(0) == proj.size() && counts.extent(1) == rows.size() &&
                counts.extent(2) == n_c && dark.extent(0) == rows.size() && dark.extent(1) == n_c &&
                denom.extent(0) == rows.size() && denom.extent(1) == n_c,
            ErrorKind::Internal, "read_raw_slab: buffers of the wrong shape");
  Stopwatch clock;
  RowReference r = make_reference(reader, rows, params, report);
  reader.read_projections<std::uint16_t>(proj, rows, counts);
  std::copy_n(r.ref.dark.data(), rows.size() * n_c, dark.data());
  std::copy_n(r.ref.denom_before.data(), rows.size() * n_c, denom.data());
  report.seconds_read += clock.lap();
}

}  // namespace xct::recon
