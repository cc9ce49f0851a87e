// From raw scan rows to -log sinograms: the preprocessing chain of one slab of detector rows.
//
//   read rows -> reduce flats and darks -> flat-field (policies, counts) -> zingers
//   -> ring removal -> -log
//
// Zingers and rings are removed on flat-fielded transmission sinograms, where Algotom's
// thresholds are defined (a relative threshold needs transmission, not attenuation).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "io/scan.hpp"
#include "recon/flatfield.hpp"
#include "recon/rings.hpp"
#include "recon/zinger.hpp"

namespace xct::recon {

struct PreprocessParams {
  // Median by default: robust to the zingers that hit flats and darks too.
  FrameReduction flat_reduction = FrameReduction::Median;
  FrameReduction dark_reduction = FrameReduction::Median;
  FlatFieldParams flat;
  bool interpolate_flats = true;  // between flats taken before and after, when both exist
  std::optional<ZingerParams> zinger = ZingerParams{};  // nullopt: keep zingers
  RingOptions rings;                                    // method "none" by default
  // Binning factor (1, 2 or 4): after flat-fielding, each factor x factor block of
  // transmission is averaged, so zingers, rings and -log work on the binned sinograms. The
  // row count must be a multiple of it; columns left over at the right edge are dropped.
  std::size_t binning = 1;
};

struct PreprocessReport {
  FlatFieldCounts counts;
  std::size_t zingers_replaced = 0;
  std::size_t stripe_columns_flagged = 0;  // by detection-based ring methods
  bool flats_interpolated = false;
  // Wall time of each stage, seconds: reading (flats, darks, projections), flat-field and
  // binning, zingers, rings, -log.
  double seconds_read = 0, seconds_flat_field = 0, seconds_zingers = 0, seconds_rings = 0,
         seconds_log = 0;
  void merge(const PreprocessReport& other);
};

// Sinograms [rows / binning, angles, cols / binning] of detector rows `rows`, over the projections
// `projections` (all by default), as -log line integrals. Throws BadData for scans it cannot
// correct (no flats, unusable flats, non-finite samples under the policies).
HostArray<float, 3> read_sinograms(ScanReader& reader, Range rows, const PreprocessParams& params,
                                   PreprocessReport& report,
                                   std::optional<Range> projections = std::nullopt);

// The raw route: when the chain is flat-field and -log alone, the rows can travel as their
// stored integer counts with their reference, and be flat-fielded and logged where they are
// back-projected (SlabBackProjector::reconstruct_counts; on the GPU for CUDA, which then
// receives uint16 over PCIe). It applies when the projections are stored as uint8 or uint16,
// zingers and rings are off, there is no binning, the flats form one group (none taken after
// the scan to interpolate towards) and non-positive samples get half a count (the default).
bool counts_route_applies(const ScanInfo& info, const PreprocessParams& params);

struct CountSinograms {
  HostArray<std::uint16_t, 3> counts;  // [rows, angles, cols]
  HostArray<float, 2> dark, denom;     // [rows, cols]: the dark and flat - dark, bad pixels fixed
};
// Rows `rows` of the projections `projections` as uint16 sinograms with their reference; the
// reference's counts (bad flat pixels) go into `report`.
CountSinograms read_count_sinograms(ScanReader& reader, Range rows, const PreprocessParams& params,
                                    PreprocessReport& report,
                                    std::optional<Range> projections = std::nullopt);

// The streamed device route reads rows as stored counts in projection order (as the file
// holds them) straight into the caller's (pinned) buffers: counts [projections, rows, cols],
// dark and denom (flat - dark, bad pixels fixed) [rows, cols]. It needs uint8 or uint16
// projections, flats in one group and no binning (the device does the rest of the chain;
// recon/pipeline_stream.cpp says which chains it runs). The reference's counts (bad flat
// pixels) go into `report`.
bool raw_slabs_apply(const ScanInfo& info, const PreprocessParams& params);
void read_raw_slab(ScanReader& reader, Range rows, const PreprocessParams& params,
                   PreprocessReport& report, Range projections, HostView<std::uint16_t, 3> counts,
                   HostView<float, 2> dark, HostView<float, 2> denom);

}  // namespace xct::recon
