// Validation of a raw scan before any reconstruction (`xct check`): structure first, from the
// metadata alone, then the flats and darks, then (unless asked not to) every projection read in
// bounded slabs to find unreadable or truncated data and non-finite float values.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/progress.hpp"
#include "io/scan.hpp"

namespace xct {

struct CheckOptions {
  // Read every projection (finds truncated data and NaN/Inf); false checks metadata, flats and
  // darks only.
  bool read_projections = true;
  // Upper bound on the bytes held at once while reading projections.
  std::size_t max_memory_bytes = std::size_t{512} << 20;
  // A flat with more than this fraction of its pixels at the largest value of its integer type
  // is saturated.
  double saturated_fraction = 0.01;
  // flat - dark <= 0 in more than this fraction of pixels is an error; fewer such pixels
  // (dead pixels, which flat-field correction fixes and counts) are a warning.
  double bad_gain_error_fraction = 0.01;
  Progress::Style progress = Progress::Style::Silent;
};

struct Finding {
  enum class Severity { Warning, Error };
  Severity severity = Severity::Error;
  std::string message;  // one line
};

struct CheckReport {
  std::vector<Finding> findings;
  std::size_t flat_le_dark_pixels = 0;  // pixels where mean flat - mean dark <= 0
  std::size_t non_finite_values = 0;    // NaN/Inf samples in float data
  std::size_t projections_read = 0;

  std::size_t error_count() const;
  std::size_t warning_count() const;
  bool clean() const { return error_count() == 0; }
};

CheckReport check_scan(ScanReader& reader, const CheckOptions& options = {},
                       Logger& log = null_logger());

// Memory sizes that matter when planning a reconstruction of the whole scan.
struct MemoryEstimate {
  std::size_t raw_bytes = 0;         // projections as stored
  std::size_t float_proj_bytes = 0;  // projections as float32
  std::size_t volume_bytes = 0;      // float32 volume (rows, cols, cols)
  std::size_t one_row_bytes = 0;     // one float32 sinogram row plus its output slice
};

MemoryEstimate estimate_memory(const ScanInfo& info);

// "1.23 GB", "512 kB" ... (decimal units).
std::string human_bytes(std::size_t bytes);

}  // namespace xct
