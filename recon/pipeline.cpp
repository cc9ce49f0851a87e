#include "recon/pipeline.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <numeric>

#include <omp.h>
#include <unistd.h>

#include "core/error.hpp"
#include "core/geometry.hpp"
#include "core/progress.hpp"
#include "core/resources.hpp"
#include "core/stopwatch.hpp"
#include "cuda/device.hpp"
#include "recon/half_turn.hpp"
#include "recon/pipeline_stream.hpp"
#include "recon/reslice.hpp"
#include "recon/rings.hpp"

namespace xct::recon {

namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

// The projections reconstructed: all of a 360-degree scan, else the first half turn.
struct AngleSet {
  Range proj;
  bool full_turn = false;
  std::vector<double> angles;
};

AngleSet pick_angles(const ScanInfo& info) {
  XCT_CHECK(!info.angles_rad.empty(), ErrorKind::BadData,
            "the scan records no angles; give them with --angles-file or --angle-range");
  XCT_CHECK(info.angles_rad.size() == info.n_proj(), ErrorKind::BadData, "the scan has ",
            info.n_proj(), " projections but ", info.angles_rad.size(), " angles");
  AngleSet s;
  const AngleSummary sum = summarize_angles(info.angles_rad);
  if (sum.monotonic && sum.turn_deg == 360) {
    s.proj = Range{0, info.n_proj()};
    s.full_turn = true;
  } else {
    const HalfTurn h = first_half_turn(info.angles_rad);
    s.proj = Range{h.begin, h.end};
  }
  s.angles.assign(info.angles_rad.begin() + static_cast<std::ptrdiff_t>(s.proj.begin),
                  info.angles_rad.begin() + static_cast<std::ptrdiff_t>(s.proj.end));
  return s;
}

std::uint64_t input_size(const std::filesystem::path& source) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(source, ec)) return fs::file_size(source, ec);
  std::uint64_t total = 0;
  if (fs::is_directory(source, ec))
    for (const auto& e : fs::recursive_directory_iterator(source, ec))
      if (e.is_regular_file(ec)) total += e.file_size(ec);
  return total;
}

// Memory of a slab plan: `fixed` bytes whatever the slab height, `per_row` per output slice.
struct SlabPlan {
  std::size_t rows = 0;
  std::uint64_t fixed = 0, per_row = 0;
  std::uint64_t peak() const { return fixed + per_row * rows; }
};

SlabPlan plan_slabs(const ScanInfo& info, const ReconShape& shape, const ReconParams& p,
                    std::uint64_t budget, std::uint64_t resident) {
  const std::uint64_t f = p.binning, a = shape.n_angles, c = info.n_cols(), cb = c / f,
                      n = shape.slice_size, refs = info.flats.n_frames + info.darks.n_frames;
  // Reading one output slice's f rows: the frames as float, then the binned frames or the
  // sinograms; the flats and darks and the references made from them.
  const std::uint64_t read = f * 4 * (a * c + a * c / (f * f) + (refs + 8) * c);
  // Back-projecting it: its sinogram and its slice (the filtered copy is per group of rows,
  // counted in the fixed part).
  const std::uint64_t fbp = 4 * (a * cb + n * n);
  SlabPlan plan;
  plan.per_row = std::max(read, fbp);
  // Zinger and ring removal work on one sinogram at a time with a few sinogram-sized buffers
  // (a dozen for the sorting and detection methods); the back-projector's interleaved group
  // of filtered rows and per-thread buffers; the two preview planes along z; the uint16
  // conversion's 4 MiB blocks; 4 MiB for FFT plans and allocator slack.
  const std::uint64_t sino = 4 * a * cb;
  const std::uint64_t clean = (p.prep.rings.method == "none" ? 3 : 12) * sino;
  const std::uint64_t fbp_work =
      fbp_slab_work_bytes(64, a, cb, n, std::max(1, omp_get_max_threads()));
  const std::uint64_t previews = 4 * (2 * shape.n_slices * n + n * n);
  plan.fixed = resident + std::max({clean, fbp_work, 6 * kMiB}) + previews + 4 * kMiB;
  const std::uint64_t usable = budget - budget / 20;  // 5 % headroom
  XCT_CHECK(usable > plan.fixed + plan.per_row, ErrorKind::Usage, "--max-memory ", budget / kMiB,
            " MiB is too small for this scan: one slice needs about ",
            (plan.fixed + plan.per_row) / kMiB + 1, " MiB (", resident / kMiB,
            " MiB already resident)");
  plan.rows = static_cast<std::size_t>((usable - plan.fixed) / plan.per_row);
  const std::size_t cap = p.rows_per_chunk > 0 ? p.rows_per_chunk : 64;
  plan.rows = std::clamp<std::size_t>(plan.rows, 1, std::min(cap, shape.n_slices));
  return plan;
}

CentrePlan plan_centre(ScanReader& reader, const ReconShape& shape, const ReconParams& p,
                       const DeviceChoice& device, Logger& log) {
  CentrePlan plan;
  CentreOptions o = p.centre;
  // Vo's metric runs where the reconstruction does (the same result either way).
  o.measure.vo.use_cuda = device.device == Device::Cuda;
  o.measure.vo.cuda_index = device.cuda_index;
  if (o.value) {
    plan.source = "given";
    plan.intercept = *o.value;
    return plan;
  }
  plan.rows = o.rows;
  if (plan.rows.empty()) plan.rows.push_back((shape.rows.begin + shape.rows.end) / 2);
  PreprocessParams prep = o.prep;
  prep.binning = 1;
  for (std::size_t row : plan.rows) {
    PreprocessReport ignored;
    const CenterResult r = measure_centre_at(reader, row, prep, o.measure, ignored, log);
    if (r.at_edge)
      log.warn("the centre of row ", row, " lies at the edge of the search range ", r.range_start,
               "-", r.range_stop);
    log.info("centre of row ", row, ": ", r.centre, " (", r.method, ")");
    plan.measured.push_back(r.centre);
    plan.method = r.method;
  }
  const double k = static_cast<double>(plan.rows.size());
  const double mean_c = std::accumulate(plan.measured.begin(), plan.measured.end(), 0.0) / k;
  plan.source = "measured";
  plan.intercept = mean_c;
  if (o.fit_along_z && plan.rows.size() >= 2) {
    double mean_r = 0;
    for (auto r : plan.rows)
      mean_r += static_cast<double>(r) / k;
    double sxy = 0, sxx = 0;
    for (std::size_t i = 0; i < plan.rows.size(); ++i) {
      const double dr = static_cast<double>(plan.rows[i]) - mean_r;
      sxy += dr * (plan.measured[i] - mean_c);
      sxx += dr * dr;
    }
    XCT_CHECK(sxx > 0, ErrorKind::Usage, "a centre fit along z needs two different rows");
    plan.source = "fit";
    plan.slope = sxy / sxx;
    plan.intercept = mean_c - plan.slope * mean_r;
    log.info("centre along z: ", plan.intercept, " + ", plan.slope, " x row");
  }
  return plan;
}

// Each output slice's centre on the binned detector: binned column j covers unbinned columns
// f j .. f j + f - 1, whose middle is f j + (f - 1) / 2.
std::vector<double> slab_centres(const CentrePlan& plan, Range rows, std::size_t f,
                                 std::size_t n_cols_binned) {
  std::vector<double> out;
  const double half = 0.5 * (static_cast<double>(f) - 1.0);
  for (std::size_t r = rows.begin; r < rows.end; r += f) {
    const double c = (plan.at(static_cast<double>(r) + half) - half) / static_cast<double>(f);
    XCT_CHECK(std::isfinite(c) && c >= 0 && c <= static_cast<double>(n_cols_binned) - 1,
              ErrorKind::Usage, "the centre of rotation ", plan.at(static_cast<double>(r)),
              " at row ", r, " lies outside the detector");
    out.push_back(c);
  }
  return out;
}

// The streamed CUDA route: slabs of raw counts through the whole chain on the GPU workers.
void stream_on_device(ScanReader& reader, const ReconParams& params, const PreprocessParams& prep,
                      const ReconShape& shape, const AngleSet& angles, std::uint64_t budget,
                      SlabSink& sink, ReconReport& rep, Logger& log,
                      Progress::Style progress_style) {
  const ScanInfo& info = reader.info();
  std::vector<int> devices = params.gpus;
  if (devices.empty())
    for (const auto& d : cuda::visible_devices())
      devices.push_back(d.index);
  const cuda::FbpSetup setup = fbp_device_setup(angles.angles, info.n_cols(), params.fbp);
  const cuda::RawChain chain = raw_chain(prep, angles.angles.size(), info.n_cols());
  const std::size_t cap = params.rows_per_chunk > 0 ? params.rows_per_chunk : 64;
  const std::uint64_t rss = current_rss_bytes();
  // The transfer buffers take at most 60 % of what the budget leaves.
  const std::uint64_t host = budget > rss ? (budget - rss) / 10 * 6 : 0;
  const StreamPlan plan = plan_stream(devices, setup, chain, std::min(cap, shape.n_slices),
                                      params.max_gpu_memory_bytes, host);
  const std::size_t n_slabs = (shape.n_slices + plan.rows - 1) / plan.rows;
  log.info("streaming ", shape.n_slices, " slices in ", n_slabs, " slabs of up to ", plan.rows,
           " rows through ", devices.size(), " GPU worker", devices.size() == 1 ? "" : "s", " (",
           plan.device_bytes >> 20, " MiB of GPU memory each); flat-field, ",
           prep.zinger ? "zingers, " : "", "rings (", canonical_ring_method(prep.rings.method),
           ") and -log on the GPU");
  rep.rows_per_chunk = plan.rows;
  rep.n_chunks = n_slabs;
  rep.device_rows = plan.rows;
  rep.counts_route = true;
  rep.planned_peak_bytes = rss + plan.host_bytes;
  const std::vector<double> centres = slab_centres(rep.centre, shape.rows, 1, info.n_cols());
  Progress progress("recon", shape.n_slices, stderr, progress_style);
  Stopwatch clock;
  StreamReport sr = stream_reconstruct(
      reader, shape.rows, angles.proj, angles.angles, prep, params.fbp, plan, centres,
      static_cast<float>(rep.value_scale), sink, rep.prep, progress, log);
  progress.finish();
  rep.seconds_filter_backproject = clock.lap();
  rep.seconds_write = sr.seconds_write;
  const cuda::StreamTiming& t = sr.timing;
  rep.device_timing = {t.upload, t.flat_field + t.zingers + t.rings + t.log, t.filter,
                       t.back_project, t.download};
  double busy = 0;
  for (double b : sr.busy)
    busy += b / static_cast<double>(sr.busy.size());
  log.info("GPU busy ", static_cast<int>(100 * busy + 0.5), " % of ", sr.wall, " s; reading ",
           sr.seconds_read, " s, writing ", sr.seconds_write, " s, overlapped");
  rep.stream = std::move(sr);
}

}  // namespace

ReconShape recon_shape(const ScanInfo& info, const ReconParams& p) {
  XCT_CHECK(p.binning == 1 || p.binning == 2 || p.binning == 4, ErrorKind::Usage, "binning factor ",
            p.binning, " is not 1, 2 or 4");
  XCT_CHECK(p.reslice == "auto" || p.reslice == "on" || p.reslice == "off", ErrorKind::Usage,
            "--reslice '", p.reslice, "' is not auto, on or off");
  ReconShape s;
  s.rows = p.rows.value_or(Range{0, info.n_rows()});
  XCT_CHECK(s.rows.begin < s.rows.end && s.rows.end <= info.n_rows(), ErrorKind::Usage, "rows ",
            s.rows.begin, "-", s.rows.end, " are not a range within the detector's ", info.n_rows(),
            " rows");
  // Whole binning blocks only: the range shrinks to a multiple of the factor.
  s.rows.end = s.rows.begin + s.rows.size() / p.binning * p.binning;
  XCT_CHECK(s.rows.size() > 0 && info.n_cols() / p.binning >= 2, ErrorKind::Usage,
            "the row range is smaller than one binning block");
  s.n_slices = s.rows.size() / p.binning;
  s.slice_size = p.fbp.size > 0 ? p.fbp.size : info.n_cols() / p.binning;
  s.n_angles = pick_angles(info).proj.size();
  return s;
}

ReconReport reconstruct(ScanReader& reader, const ReconParams& params, SlabSink& sink, Logger& log,
                        Progress::Style progress_style) {
  Stopwatch total, clock;
  const ScanInfo& info = reader.info();
  const ReconShape shape = recon_shape(info, params);
  const AngleSet angles = pick_angles(info);
  const std::size_t f = params.binning, n = shape.slice_size;
  ReconReport rep;
  rep.rows = shape.rows;
  rep.binning = f;
  rep.n_slices = shape.n_slices;
  rep.slice_size = n;
  rep.n_angles = angles.proj.size();
  rep.full_turn = angles.full_turn;
  rep.input_file_bytes = input_size(info.source);
  if (info.pixel_size_um && *info.pixel_size_um > 0) {
    rep.units = "1/cm";
    rep.value_scale = 1e4 / (*info.pixel_size_um * static_cast<double>(f));
  } else {
    rep.units = "1/pixel";
    rep.value_scale = 1.0;
    log.warn(
        "the scan records no pixel size: values are attenuation per (binned) pixel; give "
        "--pixel-size for 1/cm");
  }

  // The device is chosen once, before any data is read: an explicit cuda request without a
  // usable GPU fails here.
  const DeviceChoice device = choose_device(params.device);
  rep.device = device.device == Device::Cuda ? "cuda" : "cpu";
  rep.device_detail = device.description;
  log.info("filter and back-projection on ", device.description);

  const IoCounters io_start = process_io();
  rep.centre = plan_centre(reader, shape, params, device, log);
  rep.seconds_centre = clock.lap();
  slab_centres(rep.centre, shape.rows, f, info.n_cols() / f);  // every row's centre on the detector
  rep.input_bytes_read += process_io().read_bytes - io_start.read_bytes;

  const std::uint64_t budget =
      params.max_memory_bytes > 0
          ? params.max_memory_bytes
          : available_memory_bytes().value_or(8ull << 30) / 10 * 8 + current_rss_bytes();
  const SlabPlan plan = plan_slabs(info, shape, params, budget, current_rss_bytes());
  rep.memory_budget_bytes = budget;
  rep.planned_peak_bytes = plan.peak();
  rep.rows_per_chunk = plan.rows;
  rep.n_chunks = (shape.n_slices + plan.rows - 1) / plan.rows;
  log.info("reconstructing ", shape.n_slices, " slices of ", n, " x ", n, " from ", rep.n_angles,
           " projections in ", rep.n_chunks, " slabs of up to ", plan.rows, " (memory budget ",
           budget / kMiB, " MiB)");

  // Reslicing: each compressed chunk decoded once instead of once per slab.
  const StackInfo& stored = info.projections;
  const bool reslice =
      params.reslice == "on" || (params.reslice == "auto" && rep.n_chunks > 1 &&
                                 stored.compressed && stored.chunk_rows > plan.rows * f);
  std::unique_ptr<ReslicedScan> resliced;
  ScanReader* source = &reader;
  if (reslice) {
    const IoCounters before = process_io();
    const std::filesystem::path dir =
        params.scratch_dir.empty() ? std::filesystem::temp_directory_path() : params.scratch_dir;
    resliced = std::make_unique<ReslicedScan>(
        reader, shape.rows, angles.proj,
        dir / (".xct_reslice_" + std::to_string(::getpid()) + ".raw"), plan.per_row * plan.rows,
        log);
    source = resliced.get();
    rep.resliced = true;
    rep.input_bytes_read += process_io().read_bytes - before.read_bytes;
    rep.scratch_bytes_written = resliced->scratch_bytes_written();
    rep.seconds_reslice = clock.lap();
  }

  PreprocessParams prep = params.prep;
  prep.binning = f;
  if (device.device == Device::Cuda && !reslice && stream_route_applies(info, prep)) {
    const std::uint64_t before_read = process_io().read_bytes;
    const std::uint64_t before_write = process_io().write_bytes;
    stream_on_device(*source, params, prep, shape, angles, budget, sink, rep, log, progress_style);
    rep.input_bytes_read += process_io().read_bytes - before_read;
    rep.bytes_written += process_io().write_bytes - before_write;
    rep.seconds_total = total.lap();
    return rep;
  }

  // Device batches: the slab height, halved until the device's buffers fit in 90 % of its
  // free memory.
  std::size_t device_rows = plan.rows;
  if (device.device == Device::Cuda) {
    const std::size_t cols = info.n_cols() / f;
    while (device_rows > 1 &&
           SlabBackProjector::device_bytes(rep.n_angles, cols, params.fbp, device_rows) >
               device.free_memory_bytes / 10 * 9)
      device_rows /= 2;
    rep.device_rows = device_rows;
  }
  SlabBackProjector projector(device, angles.angles, info.n_cols() / f, params.fbp, device_rows);

  rep.counts_route = counts_route_applies(info, prep);
  if (rep.counts_route)
    log.info("flat-field and -log run with the back-projection, from the raw counts");
  Progress progress("recon", shape.n_slices, stderr, progress_style);
  clock.lap();
  for (std::size_t z0 = 0; z0 < shape.n_slices; z0 += plan.rows) {
    const std::size_t nb = std::min(plan.rows, shape.n_slices - z0);
    if (sink.holds(z0, nb)) {  // kept from an interrupted run
      progress.advance(nb);
      continue;
    }
    const Range rows{shape.rows.begin + z0 * f, shape.rows.begin + (z0 + nb) * f};
    const std::uint64_t before_read = process_io().read_bytes;
    const std::uint64_t before_scratch = resliced ? resliced->scratch_bytes_read() : 0;
    // Bytes read from the scan and from the reslicing scratch file, then the clock restarted.
    auto account_read = [&] {
      const std::uint64_t scratch = resliced ? resliced->scratch_bytes_read() - before_scratch : 0;
      rep.scratch_bytes_read += scratch;
      rep.input_bytes_read += process_io().read_bytes - before_read - scratch;
      clock.lap();
    };
    HostArray<float, 3> slices({nb, n, n});
    if (rep.counts_route) {
      CountSinograms cs = read_count_sinograms(*source, rows, prep, rep.prep, angles.proj);
      account_read();
      const std::vector<double> centres = slab_centres(rep.centre, rows, f, cs.counts.extent(2));
      CountsFixed fixed;
      projector.reconstruct_counts(cs.counts.cview(), cs.dark.cview(), cs.denom.cview(), centres,
                                   slices.view(), fixed);
      rep.prep.counts.nonpositive_samples += fixed.nonpositive_samples;
      rep.prep.counts.log_clamped_samples += fixed.log_clamped_samples;
    } else {
      HostArray<float, 3> sinos = read_sinograms(*source, rows, prep, rep.prep, angles.proj);
      account_read();
      const std::vector<double> centres = slab_centres(rep.centre, rows, f, sinos.extent(2));
      projector.reconstruct(sinos.cview(), centres, slices.view());
    }
    const auto scale = static_cast<float>(rep.value_scale);
    for (float& v : std::span<float>(slices.data(), slices.size()))
      v *= scale;
    rep.seconds_filter_backproject += clock.lap();
    const std::uint64_t before_write = process_io().write_bytes;
    sink.write_slab(z0, slices.cview());
    rep.bytes_written += process_io().write_bytes - before_write;
    rep.seconds_write += clock.lap();
    progress.advance(nb);
  }
  progress.finish();
  rep.device_timing = projector.timing();
  rep.seconds_total = total.lap();
  return rep;
}

}  // namespace xct::recon
