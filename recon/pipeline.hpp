// The reconstruction of a raw scan, slab by slab of detector rows:
//
//   read rows -> flat-field (-> binning) -> zingers -> rings -> -log -> filter -> back-project
//   -> scale to 1/cm -> write
//
// for any range of rows and any slab height, the last slab partial. Slab height comes from the
// host memory budget: the process's resident memory stays within max_memory_bytes. The centre
// of rotation is given, or measured on chosen rows (one centre, or a straight line through the
// centres of several rows, for an axis that tilts along z).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/progress.hpp"
#include "io/scan.hpp"
#include "io/volume_output.hpp"
#include "recon/center_measure.hpp"
#include "recon/fbp.hpp"
#include "recon/fbp_device.hpp"
#include "recon/pipeline_stream.hpp"
#include "recon/preprocess.hpp"

namespace xct::recon {

struct CentreOptions {
  // Given, in unbinned detector columns from the centre of column 0.
  std::optional<double> value;
  // Otherwise measured on these detector rows (default: the middle row of the range).
  std::vector<std::size_t> rows;
  // With two or more rows: a straight line c(row) = a + b row through their centres, used
  // row by row; otherwise their mean, used for every row.
  bool fit_along_z = false;
  CentreMeasureParams measure;
  PreprocessParams prep;  // preprocessing of the measured bands (sorting-based rings)
};

struct ReconParams {
  std::optional<Range> rows;           // detector rows (unbinned); default all
  std::size_t rows_per_chunk = 0;      // output slices per slab; 0: from the memory budget
  std::uint64_t max_memory_bytes = 0;  // resident memory of the whole process; 0: 80 % of the
                                       // memory available when the run starts
  std::size_t binning = 1;             // 1, 2 or 4: rows and columns averaged in blocks
  // Reslice compressed projections into a scratch file first (reslice.hpp): "auto" when
  // they are stored in compressed chunks taller than a slab and there is more than one slab;
  // "on"; "off". The scratch file goes into scratch_dir (default: the system's temp folder).
  std::string reslice = "auto";
  std::filesystem::path scratch_dir;
  PreprocessParams prep;  // its binning is set from `binning`
  FbpParams fbp;
  std::string device = "auto";  // where filter and back-projection run: auto, cpu, cuda
  // CUDA: the devices to use, one worker each (an index may repeat: two workers share that
  // device); empty: every visible device. Indices count the devices CUDA_VISIBLE_DEVICES
  // leaves visible.
  std::vector<int> gpus;
  std::uint64_t max_gpu_memory_bytes = 0;  // per worker; 0: 90 % of the free memory
  CentreOptions centre;
};

// Where the centre of each output slice came from.
struct CentrePlan {
  std::string source;    // "given", "measured", "fit"
  std::string method;    // measurement method, when measured
  double intercept = 0;  // centre(row) = intercept + slope * row, unbinned columns and rows
  double slope = 0;
  std::vector<std::size_t> rows;  // rows measured on
  std::vector<double> measured;   // their centres
  double at(double row) const { return intercept + slope * row; }
};

struct ReconReport {
  Range rows;  // detector rows reconstructed
  std::size_t binning = 1;
  std::size_t n_slices = 0, slice_size = 0;
  std::size_t n_angles = 0;        // projections used
  bool full_turn = false;          // 360-degree scan reconstructed from all its projections
  std::size_t rows_per_chunk = 0;  // output slices per slab
  std::size_t n_chunks = 0;
  CentrePlan centre;
  std::string units;       // "1/cm" or "1/pixel"
  double value_scale = 1;  // per-pixel attenuation -> output units
  PreprocessReport prep;
  double seconds_centre = 0, seconds_filter_backproject = 0, seconds_write = 0, seconds_total = 0;
  std::string device;           // "cpu" or "cuda"
  std::string device_detail;    // what was chosen and why
  std::size_t device_rows = 0;  // rows per device batch (CUDA)
  bool counts_route = false;    // raw counts flat-fielded and logged with the back-projection
  DeviceTiming device_timing;   // seconds on the device per stage (CUDA)
  std::uint64_t input_bytes_read = 0;  // bytes read while reading the scan
  std::uint64_t bytes_written = 0;     // bytes written while writing slabs
  std::uint64_t input_file_bytes = 0;  // size of the scan's files, where known
  bool resliced = false;
  std::uint64_t scratch_bytes_written = 0, scratch_bytes_read = 0;
  double seconds_reslice = 0;
  // The streamed CUDA route (pipeline_stream.hpp), when it ran: everything from the raw
  // counts on the GPU, with reading, transfers, compute and writing overlapped.
  std::optional<StreamReport> stream;
  std::uint64_t memory_budget_bytes = 0;
  std::uint64_t planned_peak_bytes = 0;  // the slab plan's estimate of the peak
};

// The output shape of a reconstruction, before any data is read; usage errors for a bad
// binning, row range or reslice setting.
struct ReconShape {
  Range rows;  // detector rows, a multiple of the binning
  std::size_t n_slices = 0, slice_size = 0, n_angles = 0;
};
ReconShape recon_shape(const ScanInfo& info, const ReconParams& params);

// Runs the reconstruction into `sink` (slices 0 .. n_slices - 1 of the range).
ReconReport reconstruct(ScanReader& reader, const ReconParams& params, SlabSink& sink, Logger& log,
                        Progress::Style progress = Progress::Style::Auto);

}  // namespace xct::recon
