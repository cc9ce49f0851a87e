// Filtered back-projection on a CUDA device, behind a plain C++ header: no CUDA type appears
// here. Built from fbp.cu when CUDA is compiled in and from fbp_stub.cpp otherwise, where
// constructing an engine throws DeviceUnavailable.
//
// The engine reproduces the CPU path of recon/fbp.cpp: the same padded rows, the same filter
// response (computed by recon/ and handed over in FbpSetup), the same angle weights, the same
// pixel geometry and detector positions (float, bit for bit), the same linear interpolation
// and the same circle mask; only the order of the sum over angles differs. Sinograms travel
// to the device as float -log values, or as raw uint16 counts that are flat-fielded and
// logged on the device.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "core/array.hpp"

namespace xct::cuda {

// Everything the device needs for one scan geometry and filter.
struct FbpSetup {
  std::size_t n_angles = 0, n_cols = 0;
  std::size_t n = 0;  // slices are n x n
  // The padded row: `pad_left` samples before the data (edge or zero), `width` samples in all.
  std::size_t pad_left = 0, width = 0;
  bool zero_pad = false;
  // Filter gains for frequencies 0..width/2, the inverse transform's 1/width folded in.
  std::vector<float> response;
  // Per angle: cos and sin of the angle, and its integration weight (radians).
  std::vector<double> cos_a, sin_a, weight;
  // Circle mask radius as a fraction of n / 2; negative: no mask.
  double mask_ratio = -1.0;
};

// What the flat-field on the device does with samples at or below the dark, as the CPU's
// NonPositivePolicy::HalfCount and ::One.
enum class NonPositive { HalfCount, One };

// Counts from the device flat-field and -log, as the CPU's FlatFieldCounts.
struct CountsReport {
  std::uint64_t nonpositive_samples = 0;
  std::uint64_t log_clamped_samples = 0;
};

// Seconds spent on the device by the last call, per stage, from CUDA events.
struct FbpTiming {
  double upload = 0, convert = 0, filter = 0, back_project = 0, download = 0;
  double total() const { return upload + convert + filter + back_project + download; }
};

// The preprocessing of the streamed raw route (cuda/raw_chain.hpp).
struct RawChain;

// One slab of detector rows in host memory (pinned, for transfers that overlap the compute):
// the caller's buffers, which the engine reads and fills.
struct RawSlab {
  std::size_t index = 0;                  // the caller's tag
  std::size_t rows = 0;                   // 1 .. max_rows
  const std::uint16_t* counts = nullptr;  // [n_angles][rows][n_cols]: the projections as read
  const float* dark = nullptr;            // [rows][n_cols]
  const float* denom = nullptr;           // [rows][n_cols]: flat - dark, bad pixels fixed
  std::vector<double> centres;            // one per row
  float scale = 1.0f;                     // the slices are multiplied by it (output units)
  float* slices = nullptr;                // [rows][n][n], written when the slab is done
};

// What the device preprocessing fixed and found, summed over a stream.
struct RawCounts {
  std::uint64_t nonpositive_samples = 0, log_clamped_samples = 0;
  std::uint64_t zingers_replaced = 0, stripe_columns_flagged = 0;
};

// Seconds of a stream: per stage on the device (CUDA events, summed over slabs); `compute`,
// the time the compute stream was busy; `wall`, from the first slab asked for to the last
// slab done, on the host clock. compute / wall is the fraction of the time the GPU worked.
struct StreamTiming {
  double upload = 0, flat_field = 0, zingers = 0, rings = 0, log = 0, filter = 0, back_project = 0,
         download = 0;
  double compute = 0, wall = 0, waiting_for_input = 0;
  std::size_t slabs = 0;
};

// One device, one geometry, buffers for up to max_rows sinograms at a time: device memory,
// cuFFT plans and the stream are made once, in the constructor, and reused by every call.
// Calls may pass any number of rows; more than max_rows run in batches. Not thread-safe.
class FbpEngine {
 public:
  // Throws DeviceUnavailable when the device cannot be used or lacks the memory, Usage for an
  // inconsistent setup.
  FbpEngine(const FbpSetup& setup, std::size_t max_rows, int device = 0);
  ~FbpEngine();
  FbpEngine(FbpEngine&&) noexcept;
  FbpEngine& operator=(FbpEngine&&) noexcept;

  const FbpSetup& setup() const;
  std::size_t max_rows() const;

  // Device memory for an engine of `max_rows` rows with this setup (cuFFT work areas
  // included as an estimate).
  static std::size_t device_bytes(const FbpSetup& setup, std::size_t max_rows);

  // Filter and back-project -log sinograms [rows, n_angles, n_cols] into slices [rows, n, n];
  // `centres` holds one centre per row. Throws BadData when a sample is NaN or infinite.
  void reconstruct(HostView<const float, 3> sinograms, const std::vector<double>& centres,
                   HostView<float, 3> slices);

  // The same from raw counts [rows, n_angles, n_cols]: transmission (raw - dark) / denom with
  // dark and denom (flat - dark, bad pixels already fixed) [rows, n_cols], then -log, on the
  // device. Adds what the policy fixed to `report`.
  void reconstruct_counts(HostView<const std::uint16_t, 3> counts, HostView<const float, 2> dark,
                          HostView<const float, 2> denom, NonPositive policy,
                          const std::vector<double>& centres, HostView<float, 3> slices,
                          CountsReport& report);

  // The filter alone (no angle weights): sinograms into filtered [rows, n_angles, n_cols].
  void filter(HostView<const float, 3> sinograms, HostView<float, 3> filtered);

  // The back-projection alone, from filtered sinograms (angle weights applied here).
  void back_project(HostView<const float, 3> filtered, const std::vector<double>& centres,
                    HostView<float, 3> slices);

  // Stage times of the last call.
  FbpTiming last_timing() const;

  // Device memory for stream_raw with this chain and max_rows rows per slab: the engine's own
  // buffers, a second slice buffer, two upload buffers of counts and the chain's work areas.
  static std::size_t stream_bytes(const FbpSetup& setup, const RawChain& chain,
                                  std::size_t max_rows);

  // The raw route, streamed: slabs come from `next` (which fills its argument and returns
  // true, or returns false when there are no more; it may block), go through the chain, the
  // filter and the back-projection, and are handed to `done` once their slices are in host
  // memory; after `done` returns the engine no longer touches the slab's buffers. Three
  // streams overlap the upload of the next slab, the compute of this one and the download of
  // the previous one; two slabs are on the device at a time. `next` and `done` run on the
  // calling thread. Adds to `counts` and `timing`.
  void stream_raw(const RawChain& chain, const std::function<bool(RawSlab&)>& next,
                  const std::function<void(RawSlab&)>& done, RawCounts& counts,
                  StreamTiming& timing);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::cuda
