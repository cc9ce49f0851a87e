// The streamed CUDA route of xct recon: raw counts from the file to slices in the output,
// everything between on the GPU, with reading, transfers, compute and writing overlapped.
//
//   reader thread   reads a slab of rows as stored (uint16, projection order) and its
//                   reference into page-locked buffers;
//   GPU workers     one per device (or per entry of --gpus): three streams each, so the
//                   upload of the next slab, the compute of this one and the download of the
//                   previous one run at once (cuda::FbpEngine::stream_raw);
//   writer thread   hands finished slabs to the output, in any order.
//
// Slabs are the same for any number of workers, so the output is the same too. Internal to
// recon/ (pipeline.cpp calls it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/progress.hpp"
#include "cuda/fbp.hpp"
#include "cuda/raw_chain.hpp"
#include "io/scan.hpp"
#include "io/volume_output.hpp"
#include "recon/fbp.hpp"
#include "recon/preprocess.hpp"

namespace xct::recon {

// True when the preprocessing chain runs on the device: counts with one flat group and no
// binning (raw_slabs_apply), the half-count or one policy, zinger removal without the size
// check, and a ring method the device has (rings_on_device).
bool stream_route_applies(const ScanInfo& info, const PreprocessParams& params);

// The device chain for `params` on sinograms of n_angles x n_cols.
cuda::RawChain raw_chain(const PreprocessParams& params, std::size_t n_angles, std::size_t n_cols);

struct StreamPlan {
  std::vector<int> devices;        // one worker per entry
  std::size_t rows = 0;            // rows per slab
  std::uint64_t device_bytes = 0;  // per worker
  std::uint64_t host_bytes = 0;    // the transfer buffers
};

// Rows per slab: the most (up to `max_rows`) whose device memory fits in 90 % of the least
// free memory of the devices, and in `max_gpu_memory` when it is set; and whose transfer
// buffers fit in `host_budget`. Throws DeviceUnavailable when not even one row fits.
StreamPlan plan_stream(const std::vector<int>& devices, const cuda::FbpSetup& setup,
                       const cuda::RawChain& chain, std::size_t max_rows,
                       std::uint64_t max_gpu_memory, std::uint64_t host_budget);

struct StreamReport {
  std::size_t workers = 0;
  std::vector<int> devices;
  std::size_t rows_per_slab = 0, slabs = 0;
  cuda::StreamTiming timing;  // stage times summed over the workers; wall: the stream's
  std::vector<double> busy;   // per worker: compute / wall, the fraction of time its GPU worked
  double seconds_read = 0;    // reader thread busy
  double seconds_write = 0;   // writer thread busy
  double wall = 0;            // first read to last write
  cuda::RawCounts counts;
};

// Reconstructs rows `rows` (projections `proj`) slab by slab into `sink` (slice z of the
// output is row rows.begin + z). `centre_of(row)` gives each row's centre; `scale` the
// output units. The preprocessing report gets the reference counts and the device counts.
StreamReport stream_reconstruct(ScanReader& reader, Range rows, Range proj,
                                const std::vector<double>& angles, const PreprocessParams& prep,
                                const FbpParams& fbp, const StreamPlan& plan,
                                const std::vector<double>& centres, float scale, SlabSink& sink,
                                PreprocessReport& prep_report, Progress& progress, Logger& log);

}  // namespace xct::recon
