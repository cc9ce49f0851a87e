// The device FBP engine: batches of rows are uploaded (float, or raw uint16 converted on the
// device), then each group of up to 8 rows that share a centre is filtered with cuFFT into
// an interleaved buffer and back-projected, and the slices come back.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <utility>

#include "cuda/cuda_util.cuh"
#include "cuda/fbp.hpp"
#include "cuda/fbp_kernels.cuh"
#include "cuda/raw_chain.hpp"

namespace xct::cuda {

namespace k = kernels;
using detail::DeviceBuffer;
using detail::Event;
using detail::FftPlan;
using detail::Stream;

namespace {

constexpr std::size_t kGroupRows = 8;  // rows that share the back-projector's detector positions

using Group = math::RowGroup;
using math::group_rows;

std::size_t fft_pitch(std::size_t width) {
  return 2 * (width / 2 + 1);
}

// Floats of the interleaved buffer of one group of 8 lanes.
std::size_t group_floats(const FbpSetup& s) {
  return math::interleaved_floats(s.n_angles, static_cast<int>(s.n_cols));
}

void check_setup(const FbpSetup& s, std::size_t max_rows) {
  XCT_CHECK(s.n_angles >= 1 && s.n_cols >= 1 && s.n >= 1 && max_rows >= 1, ErrorKind::Usage,
            "the device FBP needs angles, columns, a slice size and at least one row");
  XCT_CHECK(s.width >= s.n_cols + s.pad_left && s.response.size() == s.width / 2 + 1,
            ErrorKind::Usage, "the device FBP filter does not match the padded width");
  XCT_CHECK(
      s.cos_a.size() == s.n_angles && s.sin_a.size() == s.n_angles && s.weight.size() == s.n_angles,
      ErrorKind::Usage, "the device FBP needs cos, sin and a weight for every angle");
  constexpr std::size_t kIntMax = static_cast<std::size_t>(std::numeric_limits<int>::max());
  XCT_CHECK(s.width < kIntMax / 2 && s.n < 1u << 30 && s.n_angles * kGroupRows < kIntMax,
            ErrorKind::Usage, "the device FBP geometry is too large");
}

template <typename T>
void check_stack(HostView<T, 3> v, std::size_t rows, std::size_t a, std::size_t b,
                 const char* what) {
  XCT_CHECK(v.extent(0) == rows && v.extent(1) == a && v.extent(2) == b && v.is_contiguous(),
            ErrorKind::Usage, what, " must be contiguous [", rows, ", ", a, ", ", b, "], got [",
            v.extent(0), ", ", v.extent(1), ", ", v.extent(2), "]");
}

void check_centres(const std::vector<double>& centres, std::size_t rows, std::size_t n_cols) {
  XCT_CHECK(centres.size() == rows, ErrorKind::Usage, "got ", centres.size(), " centres for ", rows,
            " rows");
  const double last = static_cast<double>(n_cols) - 1.0;
  for (double c : centres)
    XCT_CHECK(std::isfinite(c) && c >= 0 && c <= last, ErrorKind::Usage, "centre of rotation ", c,
              " lies outside the detector [0, ", last, "]");
}

}  // namespace

struct FbpEngine::Impl {
  FbpSetup setup;
  std::size_t max_rows = 0;
  int device = 0;
  std::size_t pitch = 0;

  Stream stream;
  DeviceBuffer<double> cos_a, sin_a;
  DeviceBuffer<float> weight, response;
  DeviceBuffer<float> sino;                // [max_rows][angles][cols]
  DeviceBuffer<float> padded;              // [8 * angles][pitch], transformed in place
  DeviceBuffer<float> group;               // the interleaved rows of one group
  DeviceBuffer<float> slices;              // [max_rows][n][n]
  DeviceBuffer<std::uint16_t> counts;      // [max_rows][angles][cols], made on first use
  DeviceBuffer<float> dark, denom;         // [max_rows][cols], made on first use
  DeviceBuffer<unsigned long long> flags;  // first non-finite index, two policy counters
  std::map<std::size_t, std::pair<FftPlan, FftPlan>> plans;  // by rows in a group
  std::vector<std::array<Event, 3>> group_events;
  Event e_start, e_uploaded, e_converted, e_computed, e_done;
  FbpTiming timing;

  // Streaming (stream_raw): made on first use. Two slots, each holding one slab on the device
  // from its upload to its download.
  struct Slot {
    DeviceBuffer<std::uint16_t> counts;  // [angles][rows][cols], as uploaded
    DeviceBuffer<float> dark, denom;     // [rows][cols]
    DeviceBuffer<float> slices;          // [rows][n][n]
    // Upload (up stream), compute stages (compute stream), download (down stream).
    Event up_start, up_end, comp_start, flat_end, zinger_end, ring_end, log_end, comp_end,
        down_start, down_end;
    std::vector<std::array<Event, 3>> groups;
    std::size_t n_groups = 0;
    bool busy = false;
    RawSlab slab;
  };
  std::optional<Stream> up, down;
  std::array<Slot, 2> slots;
  DeviceBuffer<std::uint16_t> counts_rows;        // [rows][angles][cols]
  DeviceBuffer<unsigned long long> raw_counters;  // non-positive, clamped, zingers
  std::optional<ZingerRemover> zinger;
  std::optional<StripeRemover> stripes;

  Impl(const FbpSetup& s, std::size_t rows, int dev) : setup(s), max_rows(rows), device(dev) {}

  void use_device() const { XCT_CUDA_CHECK(cudaSetDevice(device)); }

  const std::pair<FftPlan, FftPlan>& plans_for(std::size_t rows) {
    auto it = plans.find(rows);
    if (it != plans.end()) return it->second;
    const int batch = static_cast<int>(rows * setup.n_angles);
    const int width = static_cast<int>(setup.width);
    auto fwd = FftPlan::in_place_rows(width, batch, true, stream);
    auto bwd = FftPlan::in_place_rows(width, batch, false, stream);
    return plans.emplace(rows, std::make_pair(std::move(fwd), std::move(bwd))).first->second;
  }

  // Pads, transforms, filters and transforms back the rows [first, first + count) of `sino`;
  // the filtered row (l, a) then starts at padded + (l * angles + a) * pitch + pad_left.
  void filter_group(std::size_t first, std::size_t count) {
    const std::size_t lines = count * setup.n_angles;
    const float* src = sino.get() + first * setup.n_angles * setup.n_cols;
    k::pad_rows<<<k::blocks_for(lines * setup.width), k::kThreads, 0, stream.get()>>>(
        src, lines, static_cast<int>(setup.n_cols), static_cast<int>(setup.pad_left),
        static_cast<int>(setup.width), static_cast<int>(pitch), setup.zero_pad, padded.get());
    XCT_CUDA_LAUNCHED();
    const auto& [fwd, bwd] = plans_for(count);
    auto* spectra = reinterpret_cast<cufftComplex*>(padded.get());
    XCT_CUFFT_CHECK(cufftExecR2C(fwd.get(), padded.get(), spectra));
    const int half = static_cast<int>(setup.width / 2 + 1);
    k::apply_response<<<k::blocks_for(lines * half), k::kThreads, 0, stream.get()>>>(
        spectra, lines, half, response.get());
    XCT_CUDA_LAUNCHED();
    XCT_CUFFT_CHECK(cufftExecC2R(bwd.get(), spectra, padded.get()));
  }

  // Interleaves rows (weighted) into the group buffer and back-projects them into slices
  // [first, first + count) of the batch.
  void back_project_group(const Group& g, const float* src, int left, int src_pitch,
                          float* out_base) {
    const int lanes = g.lanes();
    XCT_CUDA_CHECK(cudaMemsetAsync(group.get(), 0, group.bytes(), stream.get()));
    const std::size_t total = g.count * setup.n_angles * setup.n_cols;
    k::interleave<<<k::blocks_for(total), k::kThreads, 0, stream.get()>>>(
        src, static_cast<int>(g.count), setup.n_angles, static_cast<int>(setup.n_cols), left,
        src_pitch, weight.get(), lanes, group.get());
    XCT_CUDA_LAUNCHED();
    const dim3 block(math::kTileX, math::kTileY);
    const dim3 grid(static_cast<unsigned>((setup.n + math::kTileX - 1) / math::kTileX),
                    static_cast<unsigned>((setup.n + math::kTileY - 1) / math::kTileY));
    float* out = out_base + g.first * setup.n * setup.n;
    const int na = static_cast<int>(setup.n_angles), nc = static_cast<int>(setup.n_cols),
              n = static_cast<int>(setup.n), count = static_cast<int>(g.count);
    switch (lanes) {
      case 1:
        k::back_project<1><<<grid, block, 0, stream.get()>>>(group.get(), na, nc, n, cos_a.get(),
                                                             sin_a.get(), g.centre, count,
                                                             setup.mask_ratio, out);
        break;
      case 4:
        k::back_project<4><<<grid, block, 0, stream.get()>>>(group.get(), na, nc, n, cos_a.get(),
                                                             sin_a.get(), g.centre, count,
                                                             setup.mask_ratio, out);
        break;
      default:
        k::back_project<8><<<grid, block, 0, stream.get()>>>(group.get(), na, nc, n, cos_a.get(),
                                                             sin_a.get(), g.centre, count,
                                                             setup.mask_ratio, out);
    }
    XCT_CUDA_LAUNCHED();
  }

  // Throws BadData when the first `count` floats of `sino` hold a NaN or Inf (batch rows
  // start at row `row0` of the caller's array).
  void check_finite(std::size_t count, std::size_t row0) {
    const unsigned long long none = ~0ull;
    XCT_CUDA_CHECK(
        cudaMemcpyAsync(flags.get(), &none, sizeof(none), cudaMemcpyHostToDevice, stream.get()));
    k::find_nonfinite<<<k::blocks_for(count), k::kThreads, 0, stream.get()>>>(sino.get(), count,
                                                                              flags.get());
    XCT_CUDA_LAUNCHED();
    unsigned long long first = none;
    XCT_CUDA_CHECK(
        cudaMemcpyAsync(&first, flags.get(), sizeof(first), cudaMemcpyDeviceToHost, stream.get()));
    stream.synchronize();
    if (first == none) return;
    const std::size_t per_row = setup.n_angles * setup.n_cols;
    XCT_THROW(ErrorKind::BadData, "the sinogram of row ", row0 + first / per_row,
              " holds a non-finite value at (", (first % per_row) / setup.n_cols, ", ",
              first % setup.n_cols, ")");
  }

  // Queues the filter and back-projection of the batch's rows [begin, end) of `sino` (one
  // centre per row of the batch) into `out` (slices of the batch), with three events per
  // group of rows in `ev` (start, filtered, back-projected). Returns the number of groups.
  std::size_t enqueue_groups(const std::vector<double>& centres, std::size_t begin, std::size_t end,
                             bool filtered_input, float* out,
                             std::vector<std::array<Event, 3>>& ev) {
    const auto groups = group_rows(begin, end, centres);
    if (ev.size() < groups.size()) ev.resize(groups.size());
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const Group& g = groups[i];
      ev[i][0].record(stream);
      const float* src;
      int left, src_pitch;
      if (filtered_input) {
        src = sino.get() + g.first * setup.n_angles * setup.n_cols;
        left = 0;
        src_pitch = static_cast<int>(setup.n_cols);
      } else {
        filter_group(g.first, g.count);
        src = padded.get();
        left = static_cast<int>(setup.pad_left);
        src_pitch = static_cast<int>(pitch);
      }
      ev[i][1].record(stream);
      back_project_group(g, src, left, src_pitch, out);
      ev[i][2].record(stream);
    }
    return groups.size();
  }

  // Adds the filter and back-projection times of `n` completed groups to the given totals.
  static void add_group_times(const std::vector<std::array<Event, 3>>& ev, std::size_t n,
                              double& filter, double& back_project) {
    for (std::size_t i = 0; i < n; ++i) {
      filter += ev[i][1].seconds_since(ev[i][0]);
      back_project += ev[i][2].seconds_since(ev[i][1]);
    }
  }

  // Filters and back-projects the batch's rows into `slices` and waits for it.
  void reconstruct_batch(const std::vector<double>& centres, std::size_t begin, std::size_t end,
                         bool filtered_input) {
    const std::size_t n =
        enqueue_groups(centres, begin, end, filtered_input, slices.get(), group_events);
    stream.synchronize();
    add_group_times(group_events, n, timing.filter, timing.back_project);
  }

  void upload_floats(HostView<const float, 3> src, std::size_t begin, std::size_t rows) {
    const std::size_t per_row = setup.n_angles * setup.n_cols;
    XCT_CUDA_CHECK(cudaMemcpyAsync(sino.get(), src.data() + begin * per_row,
                                   rows * per_row * sizeof(float), cudaMemcpyHostToDevice,
                                   stream.get()));
  }

  void download_slices(HostView<float, 3> dst, std::size_t begin, std::size_t rows) {
    const std::size_t per_slice = setup.n * setup.n;
    XCT_CUDA_CHECK(cudaMemcpyAsync(dst.data() + begin * per_slice, slices.get(),
                                   rows * per_slice * sizeof(float), cudaMemcpyDeviceToHost,
                                   stream.get()));
  }

  // Rows [0, rows) in batches of max_rows: upload(begin, n) and convert(begin, n) for the
  // batch, then filter (unless the input is already filtered) and back-project each group,
  // then the slices come back into `out`. Stage times add up in `timing`.
  template <typename Upload, typename Convert>
  void run_batches(std::size_t rows, const std::vector<double>& centres, HostView<float, 3> out,
                   bool filtered_input, Upload upload, Convert convert) {
    use_device();
    timing = {};
    for (std::size_t begin = 0; begin < rows; begin += max_rows) {
      const std::size_t end = std::min(rows, begin + max_rows), n_rows = end - begin;
      e_start.record(stream);
      upload(begin, n_rows);
      e_uploaded.record(stream);
      convert(begin, n_rows);
      e_converted.record(stream);
      reconstruct_batch(centres, begin, end, filtered_input);
      e_computed.record(stream);
      download_slices(out, begin, n_rows);
      e_done.record(stream);
      stream.synchronize();
      timing.upload += e_uploaded.seconds_since(e_start);
      timing.convert += e_converted.seconds_since(e_uploaded);
      timing.download += e_done.seconds_since(e_computed);
    }
  }

  // Float sinograms [rows][angles][cols], -log or (filtered_input) already filtered, into
  // slices; non-finite samples are refused before any work.
  void run_floats(HostView<const float, 3> in, const std::vector<double>& centres,
                  HostView<float, 3> out, bool filtered_input) {
    const std::size_t rows = in.extent(0), per_row = setup.n_angles * setup.n_cols;
    check_stack(in, rows, setup.n_angles, setup.n_cols, "the sinograms");
    check_stack(HostView<const float, 3>(out), rows, setup.n, setup.n, "the slices");
    check_centres(centres, rows, setup.n_cols);
    run_batches(
        rows, centres, out, filtered_input,
        [&](std::size_t begin, std::size_t n) { upload_floats(in, begin, n); },
        [&](std::size_t begin, std::size_t n) { check_finite(n * per_row, begin); });
  }

  // Buffers for streaming with `chain`, made once.
  void prepare_stream(const RawChain& chain) {
    const std::size_t a = setup.n_angles, c = setup.n_cols, per_row = a * c;
    if (!up) {
      up.emplace();
      down.emplace();
      for (Slot& s : slots) {
        s.counts = DeviceBuffer<std::uint16_t>(max_rows * per_row);
        s.dark = DeviceBuffer<float>(max_rows * c);
        s.denom = DeviceBuffer<float>(max_rows * c);
        s.slices = DeviceBuffer<float>(max_rows * setup.n * setup.n);
      }
      counts_rows = DeviceBuffer<std::uint16_t>(max_rows * per_row);
      raw_counters = DeviceBuffer<unsigned long long>(3);
    }
    zinger.reset();
    stripes.reset();
    if (chain.zinger) zinger.emplace(*chain.zinger, max_rows, a, c, device);
    if (chain.stripes) stripes.emplace(*chain.stripes, max_rows, device);
  }

  // Queues the upload of `slab` into slot `s` on the up stream, once the compute stream has
  // finished with the slot's previous slab.
  void enqueue_upload(Slot& s, const RawSlab& slab) {
    const std::size_t a = setup.n_angles, c = setup.n_cols;
    XCT_CHECK(slab.rows >= 1 && slab.rows <= max_rows && slab.centres.size() == slab.rows &&
                  slab.counts && slab.dark && slab.denom && slab.slices,
              ErrorKind::Usage, "a streamed slab needs 1 to ", max_rows,
              " rows, a centre per row and its buffers");
    check_centres(slab.centres, slab.rows, c);
    // The slot is free once its last download has finished (the host waited for it).
    s.up_start.record(*up);
    XCT_CUDA_CHECK(cudaMemcpyAsync(s.counts.get(), slab.counts,
                                   slab.rows * a * c * sizeof(std::uint16_t),
                                   cudaMemcpyHostToDevice, up->get()));
    XCT_CUDA_CHECK(cudaMemcpyAsync(s.dark.get(), slab.dark, slab.rows * c * sizeof(float),
                                   cudaMemcpyHostToDevice, up->get()));
    XCT_CUDA_CHECK(cudaMemcpyAsync(s.denom.get(), slab.denom, slab.rows * c * sizeof(float),
                                   cudaMemcpyHostToDevice, up->get()));
    s.up_end.record(*up);
  }

  // Queues the chain, filter and back-projection of the slot's slab on the compute stream and
  // its download on the down stream. Ring detection may wait here for the compute stream.
  void enqueue_compute(Slot& s, const RawChain& chain, RawCounts& counts) {
    const RawSlab& slab = s.slab;
    const std::size_t a = setup.n_angles, c = setup.n_cols, rows = slab.rows;
    XCT_CUDA_CHECK(cudaStreamWaitEvent(stream.get(), s.up_end.get(), 0));
    s.comp_start.record(stream);
    // Projection order [angle][row][col] to sinogram order [row][angle][col].
    for (std::size_t y = 0; y < rows; ++y)
      XCT_CUDA_CHECK(cudaMemcpy2DAsync(counts_rows.get() + y * a * c, c * sizeof(std::uint16_t),
                                       s.counts.get() + y * c, rows * c * sizeof(std::uint16_t),
                                       c * sizeof(std::uint16_t), a, cudaMemcpyDeviceToDevice,
                                       stream.get()));
    flat_field_counts(counts_rows.get(), s.dark.get(), s.denom.get(), rows, a, c, chain.policy,
                      sino.get(), raw_counters.get(), stream.get());
    s.flat_end.record(stream);
    if (zinger) zinger->run(sino.get(), rows, raw_counters.get() + 2, stream.get());
    s.zinger_end.record(stream);
    if (stripes) counts.stripe_columns_flagged += stripes->run(sino.get(), rows, stream.get());
    s.ring_end.record(stream);
    minus_log(sino.get(), rows * a * c, raw_counters.get() + 1, stream.get());
    s.log_end.record(stream);
    s.n_groups = enqueue_groups(slab.centres, 0, rows, false, s.slices.get(), s.groups);
    const std::size_t values = rows * setup.n * setup.n;
    k::scale_values<<<k::blocks_for(values), k::kThreads, 0, stream.get()>>>(s.slices.get(), values,
                                                                             slab.scale);
    XCT_CUDA_LAUNCHED();
    s.comp_end.record(stream);
    XCT_CUDA_CHECK(cudaStreamWaitEvent(down->get(), s.comp_end.get(), 0));
    s.down_start.record(*down);
    XCT_CUDA_CHECK(cudaMemcpyAsync(slab.slices, s.slices.get(), values * sizeof(float),
                                   cudaMemcpyDeviceToHost, down->get()));
    s.down_end.record(*down);
  }

  // Waits for the slot's download and adds its stage times.
  void finish(Slot& s, StreamTiming& t) {
    XCT_CUDA_CHECK(cudaEventSynchronize(s.down_end.get()));
    t.upload += s.up_end.seconds_since(s.up_start);
    t.flat_field += s.flat_end.seconds_since(s.comp_start);
    t.zingers += s.zinger_end.seconds_since(s.flat_end);
    t.rings += s.ring_end.seconds_since(s.zinger_end);
    t.log += s.log_end.seconds_since(s.ring_end);
    add_group_times(s.groups, s.n_groups, t.filter, t.back_project);
    t.compute += s.comp_end.seconds_since(s.comp_start);
    t.download += s.down_end.seconds_since(s.down_start);
    ++t.slabs;
    s.busy = false;
  }
};

FbpEngine::FbpEngine(const FbpSetup& setup, std::size_t max_rows, int device) {
  check_setup(setup, max_rows);
  detail::select_device(device);
  std::size_t free_b = 0, total_b = 0;
  XCT_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  const std::size_t need = device_bytes(setup, max_rows);
  XCT_CHECK(need <= free_b, ErrorKind::DeviceUnavailable, "the device FBP needs ", need >> 20,
            " MiB of GPU memory for ", max_rows, " rows but ", free_b >> 20, " MiB are free");

  impl_ = std::make_unique<Impl>(setup, max_rows, device);
  Impl& m = *impl_;
  m.pitch = fft_pitch(setup.width);
  const std::size_t a = setup.n_angles;
  m.cos_a = DeviceBuffer<double>(a);
  m.sin_a = DeviceBuffer<double>(a);
  m.weight = DeviceBuffer<float>(a);
  m.response = DeviceBuffer<float>(setup.response.size());
  std::vector<float> weight_f(a);
  for (std::size_t i = 0; i < a; ++i)
    weight_f[i] = static_cast<float>(setup.weight[i]);
  XCT_CUDA_CHECK(
      cudaMemcpy(m.cos_a.get(), setup.cos_a.data(), a * sizeof(double), cudaMemcpyHostToDevice));
  XCT_CUDA_CHECK(
      cudaMemcpy(m.sin_a.get(), setup.sin_a.data(), a * sizeof(double), cudaMemcpyHostToDevice));
  XCT_CUDA_CHECK(
      cudaMemcpy(m.weight.get(), weight_f.data(), a * sizeof(float), cudaMemcpyHostToDevice));
  XCT_CUDA_CHECK(cudaMemcpy(m.response.get(), setup.response.data(),
                            setup.response.size() * sizeof(float), cudaMemcpyHostToDevice));
  m.sino = DeviceBuffer<float>(max_rows * a * setup.n_cols);
  m.padded = DeviceBuffer<float>(std::min(max_rows, kGroupRows) * a * m.pitch);
  m.group = DeviceBuffer<float>(group_floats(setup));
  m.slices = DeviceBuffer<float>(max_rows * setup.n * setup.n);
  m.flags = DeviceBuffer<unsigned long long>(3);
}

FbpEngine::~FbpEngine() = default;
FbpEngine::FbpEngine(FbpEngine&&) noexcept = default;
FbpEngine& FbpEngine::operator=(FbpEngine&&) noexcept = default;

const FbpSetup& FbpEngine::setup() const {
  return impl_->setup;
}
std::size_t FbpEngine::max_rows() const {
  return impl_->max_rows;
}
FbpTiming FbpEngine::last_timing() const {
  return impl_->timing;
}

std::size_t FbpEngine::device_bytes(const FbpSetup& s, std::size_t max_rows) {
  const std::size_t a = s.n_angles, c = s.n_cols;
  const std::size_t padded = std::min(max_rows, kGroupRows) * a * fft_pitch(s.width) * 4;
  std::size_t bytes = max_rows * (a * c * (4 + 2) + 2 * c * 4 + s.n * s.n * 4);
  bytes += padded;               // the padded rows
  bytes += padded;               // cuFFT's work area, at most about the data's size
  bytes += group_floats(s) * 4;  // one interleaved group
  bytes += a * (2 * 8 + 4) + s.width * 4;
  return bytes + (64u << 20);  // the context's own allocations and alignment slack
}

void FbpEngine::reconstruct(HostView<const float, 3> sinograms, const std::vector<double>& centres,
                            HostView<float, 3> slices) {
  impl_->run_floats(sinograms, centres, slices, false);
}

void FbpEngine::reconstruct_counts(HostView<const std::uint16_t, 3> counts,
                                   HostView<const float, 2> dark, HostView<const float, 2> denom,
                                   NonPositive policy, const std::vector<double>& centres,
                                   HostView<float, 3> slices, CountsReport& report) {
  Impl& m = *impl_;
  const FbpSetup& s = m.setup;
  const std::size_t rows = counts.extent(0);
  check_stack(counts, rows, s.n_angles, s.n_cols, "the counts");
  check_stack(HostView<const float, 3>(slices), rows, s.n, s.n, "the slices");
  XCT_CHECK(dark.extent(0) == rows && dark.extent(1) == s.n_cols && dark.is_contiguous() &&
                denom.extent(0) == rows && denom.extent(1) == s.n_cols && denom.is_contiguous(),
            ErrorKind::Usage, "the dark and the flat - dark must be contiguous [rows, cols]");
  check_centres(centres, rows, s.n_cols);
  m.use_device();
  m.timing = {};
  if (m.counts.size() == 0) {
    m.counts = DeviceBuffer<std::uint16_t>(m.max_rows * s.n_angles * s.n_cols);
    m.dark = DeviceBuffer<float>(m.max_rows * s.n_cols);
    m.denom = DeviceBuffer<float>(m.max_rows * s.n_cols);
  }
  const std::size_t per_row = s.n_angles * s.n_cols;
  XCT_CUDA_CHECK(cudaMemsetAsync(m.flags.get(), 0, m.flags.bytes(), m.stream.get()));
  auto upload = [&](std::size_t begin, std::size_t n) {
    XCT_CUDA_CHECK(cudaMemcpyAsync(m.counts.get(), counts.data() + begin * per_row,
                                   n * per_row * sizeof(std::uint16_t), cudaMemcpyHostToDevice,
                                   m.stream.get()));
    XCT_CUDA_CHECK(cudaMemcpyAsync(m.dark.get(), dark.data() + begin * s.n_cols,
                                   n * s.n_cols * sizeof(float), cudaMemcpyHostToDevice,
                                   m.stream.get()));
    XCT_CUDA_CHECK(cudaMemcpyAsync(m.denom.get(), denom.data() + begin * s.n_cols,
                                   n * s.n_cols * sizeof(float), cudaMemcpyHostToDevice,
                                   m.stream.get()));
  };
  auto convert = [&](std::size_t, std::size_t n) {
    k::counts_to_log<<<k::blocks_for(n * per_row), k::kThreads, 0, m.stream.get()>>>(
        m.counts.get(), m.dark.get(), m.denom.get(), n, s.n_angles, s.n_cols,
        policy == NonPositive::One, m.sino.get(), m.flags.get() + 1);
    XCT_CUDA_LAUNCHED();
  };
  m.run_batches(rows, centres, slices, false, upload, convert);
  unsigned long long fixed[2] = {0, 0};  // summed over every batch on the device
  XCT_CUDA_CHECK(cudaMemcpyAsync(fixed, m.flags.get() + 1, sizeof(fixed), cudaMemcpyDeviceToHost,
                                 m.stream.get()));
  m.stream.synchronize();
  report.nonpositive_samples += fixed[0];
  report.log_clamped_samples += fixed[1];
}

void FbpEngine::filter(HostView<const float, 3> sinograms, HostView<float, 3> filtered) {
  Impl& m = *impl_;
  const FbpSetup& s = m.setup;
  const std::size_t rows = sinograms.extent(0), per_row = s.n_angles * s.n_cols;
  check_stack(sinograms, rows, s.n_angles, s.n_cols, "the sinograms");
  check_stack(HostView<const float, 3>(filtered), rows, s.n_angles, s.n_cols, "the filtered");
  m.use_device();
  m.timing = {};
  for (std::size_t begin = 0; begin < rows; begin += m.max_rows) {
    const std::size_t n_rows = std::min(rows - begin, m.max_rows);
    m.upload_floats(sinograms, begin, n_rows);
    m.check_finite(n_rows * per_row, begin);
    for (std::size_t g = 0; g < n_rows; g += kGroupRows) {
      const std::size_t count = std::min(kGroupRows, n_rows - g);
      m.filter_group(g, count);
      k::crop_rows<<<k::blocks_for(count * per_row), k::kThreads, 0, m.stream.get()>>>(
          m.padded.get(), count * s.n_angles, static_cast<int>(s.n_cols),
          static_cast<int>(s.pad_left), static_cast<int>(m.pitch), m.sino.get() + g * per_row);
      XCT_CUDA_LAUNCHED();
    }
    XCT_CUDA_CHECK(cudaMemcpyAsync(filtered.data() + begin * per_row, m.sino.get(),
                                   n_rows * per_row * sizeof(float), cudaMemcpyDeviceToHost,
                                   m.stream.get()));
    m.stream.synchronize();
  }
}

void FbpEngine::back_project(HostView<const float, 3> filtered, const std::vector<double>& centres,
                             HostView<float, 3> slices) {
  impl_->run_floats(filtered, centres, slices, true);
}

}  // namespace xct::cuda

namespace xct::cuda {

std::size_t FbpEngine::stream_bytes(const FbpSetup& s, const RawChain& chain,
                                    std::size_t max_rows) {
  const std::size_t a = s.n_angles, c = s.n_cols;
  std::size_t bytes = device_bytes(s, max_rows);
  bytes += 2 * max_rows * (a * c * 2 + 2 * c * 4 + s.n * s.n * 4);  // the two slots
  bytes += max_rows * a * c * 2;                                    // counts in sinogram order
  if (chain.zinger) bytes += ZingerRemover::device_bytes(max_rows, a, c);
  if (chain.stripes) bytes += StripeRemover::device_bytes(*chain.stripes, max_rows);
  return bytes;
}

void FbpEngine::stream_raw(const RawChain& chain, const std::function<bool(RawSlab&)>& next,
                           const std::function<void(RawSlab&)>& done, RawCounts& counts,
                           StreamTiming& timing) {
  using Clock = std::chrono::steady_clock;
  Impl& m = *impl_;
  m.use_device();
  m.prepare_stream(chain);
  XCT_CUDA_CHECK(cudaMemsetAsync(m.raw_counters.get(), 0, m.raw_counters.bytes(), m.stream.get()));
  const auto t0 = Clock::now();
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  // Asks for the next slab into slot `s`; false when there is none.
  auto fetch = [&](Impl::Slot& s) {
    const auto w0 = Clock::now();
    s.slab = RawSlab{};
    const bool got = next(s.slab);
    timing.waiting_for_input += seconds(w0, Clock::now());
    if (!got) return false;
    m.enqueue_upload(s, s.slab);
    s.busy = true;
    return true;
  };
  // Slab k lives in slot k % 2: while slab k computes, slab k + 1 uploads and slab k - 1
  // downloads.
  std::size_t k = 0;
  bool have = fetch(m.slots[0]);
  while (have) {
    Impl::Slot& cur = m.slots[k % 2];
    Impl::Slot& other = m.slots[(k + 1) % 2];
    // The other slot still holds slab k - 1 until its download is done; the next slab's
    // upload goes into it once it is free.
    m.enqueue_compute(cur, chain, counts);
    if (other.busy) {
      m.finish(other, timing);
      done(other.slab);
    }
    have = fetch(other);
    if (!have) {
      m.finish(cur, timing);
      done(cur.slab);
    }
    ++k;
  }
  unsigned long long fixed[3] = {0, 0, 0};
  XCT_CUDA_CHECK(cudaMemcpyAsync(fixed, m.raw_counters.get(), sizeof(fixed), cudaMemcpyDeviceToHost,
                                 m.stream.get()));
  m.stream.synchronize();
  counts.nonpositive_samples += fixed[0];
  counts.log_clamped_samples += fixed[1];
  counts.zingers_replaced += fixed[2];
  timing.wall += seconds(t0, Clock::now());
}

}  // namespace xct::cuda
