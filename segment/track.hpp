// The failure of one cell followed over a time series of scans (`xct track`):
//
//  1. step 0 (the earliest) is segmented in its own frame, which becomes the common frame;
//  2. every later step is registered rigidly to step 0 on the structures that do not change
//     (housing, Al collector, the pellet's lower half and its face away from the rim), with
//     the NaK layer, the pellet's rim (where cracks and chips form) and everything that changes
//     left out of the metric (segment/register.hpp);
//  3. the step's grey volume is resampled into the common frame and segmented there, with the
//     cell's cylinder of step 0 and ring artefacts about the step's own rotation axis;
//  4. cracks and chips are connected pieces of their labels; each keeps an id from step to step
//     by overlap with the previous step's pieces (within a tolerance of a few voxels), so a crack
//     keeps its id as it grows; a chip is a NASICON piece cut off the pellet, and the first step
//     that holds one is where the chip separated;
//  5. per step: the crack's volume, depth below the pellet's face, penetration, area, mean
//     opening and metal-filled share; the chip's volume and its displacement from where it sat
//     in the intact pellet; the NaK / NASICON contact-area fraction and the void fraction near
//     the interface (segment/metrics.hpp).
//
// Steps are processed one at a time: memory holds step 0's grey volume, the current step's
// volumes and the previous step's labels.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "core/logger.hpp"
#include "segment/metrics.hpp"
#include "segment/register.hpp"
#include "segment/segment.hpp"

namespace xct::seg {

struct TrackParams {
  SegmentParams segment;  // for every step (cylinder and ring axis are set per step)
  MeasureParams measure;
  RegisterParams registration;
  Interpolation interpolation = Interpolation::Cubic;  // of the grey volumes into the common frame
  // The registration mask leaves out the pellet's rim beyond this share of its radius, from
  // its face down to its mid-height: where cracks open and chips come off.
  double rim_fraction = 0.7;
  int mask_margin_px = 2;        // the static structures' outlines are widened by this
  double overlap_px = 2;         // pieces within this distance of a previous piece keep its id
  double max_chip_shift_px = 5;  // search range of the chip's displacement, per axis
  double band_um = 10;           // the near-interface band of the void fraction in the table
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A crack or chip followed over the steps.
struct TrackedObject {
  std::uint32_t id = 0;
  int label = 0;  // kCrack or kChip
  std::size_t first_step = 0, last_step = 0;
  std::vector<double> volume_um3;  // per step (0 where absent)
};

struct StepRecord {
  std::size_t index = 0;  // position in time order
  std::string name;       // the input's name
  std::string time_label;
  double time = 0;
  std::string status = "ok";  // or one line saying why the step has no metrics
  bool ok = true;

  RegisterResult registration;  // identity for step 0
  double shift_um = 0;          // of the cell's centre (registration), and its rotation
  double rotation_deg = 0;

  // Crack (over every crack piece).
  std::size_t crack_pieces = 0;
  std::vector<std::uint32_t> crack_ids;
  double crack_volume_um3 = kNaN;
  double crack_depth_um = kNaN;        // deepest crack voxel below the pellet's top face
  double crack_penetration_um = kNaN;  // from the nearest pellet surface
  double crack_area_um2 = kNaN;
  double crack_opening_um = kNaN;       // mean opening: volume / area
  double crack_filled_fraction = kNaN;  // metal-filled share; NaN where the crack is too thin
  // Chip.
  std::size_t chip_count = 0;
  std::vector<std::uint32_t> chip_ids;
  double chip_volume_um3 = kNaN;
  std::array<double, 3> chip_shift_px{kNaN, kNaN, kNaN};  // (x, y, z), voxels
  double chip_displacement_um = kNaN;
  // The same in the cell's own terms, voxels: away from its axis, along the pellet's edge
  // (counter-clockwise in x, y) and down (z). Along the edge the chip is a piece of a cylinder
  // and is fixed only by its ends: that part is the least certain.
  double chip_shift_radial_px = kNaN, chip_shift_tangential_px = kNaN;
  // Interface.
  double contact_area_fraction = kNaN;
  double void_fraction_near = kNaN;  // in the band of TrackParams::band_um
  double void_volume_near_um3 = kNaN;

  double seconds_read = 0, seconds_register = 0, seconds_segment = 0, seconds_measure = 0;
};

struct TrackResult {
  std::vector<StepRecord> steps;
  std::vector<TrackedObject> objects;
  std::optional<std::size_t> chip_separation_step;  // first step holding a chip
  std::array<std::size_t, 3> shape{};               // (z, y, x) of the common frame
  double voxel_size_um = 0;
  std::size_t mask_voxels = 0;  // of the registration mask
  double seconds = 0;
};

// What each step hands to the observer: the grey volume and labels in the common frame.
struct StepView {
  const StepRecord& record;
  HostView<const float, 3> grey;
  HostView<const std::uint8_t, 3> labels;  // empty when the step failed
  const SegmentResult* segmentation = nullptr;
  const Metrics* metrics = nullptr;
};

// The steps, already in time order: load(i) reads step i's volume (its shape and voxel size
// were checked by the caller).
struct SeriesInput {
  std::vector<std::string> names, time_labels;
  std::vector<double> times;
  std::function<HostArray<float, 3>(std::size_t)> load;
};

// Follows the series. A step that cannot be registered (residual above the threshold) or
// segmented is recorded as failed with the reason and the others go on; step 0 must segment
// (ErrorKind::BadData otherwise). `on_step` sees each step as it is done.
TrackResult track(const SeriesInput& input, const TrackParams& params, Logger& log,
                  const std::function<void(const StepView&)>& on_step = {});

// ---- parts, exposed for tests -----------------------------------------------------------

// The registration mask of step 0: housing, Al and NASICON, outlines widened by `margin`, less
// the NaK layer's interior and the pellet's rim from its face to mid-height.
HostArray<std::uint8_t, 3> registration_mask(const SegmentResult& reference, double rim_fraction,
                                             int margin);

// Share of the crack filled with metal (NaK or Na) rather than gas, from the crack voxels that
// touch no NASICON (a crack's core, free of partial volume): (mean - gas) / (low - gas), clamped
// to [0, 1]. NaN when fewer than `min_core` such voxels exist (a crack too thin to tell).
double crack_filled_fraction(HostView<const float, 3> grey, HostView<const std::uint8_t, 3> labels,
                             const Phases& phases, std::size_t min_core = 20);

// The chip's displacement (x, y, z, voxels) from where it sat in `reference` (the intact cell,
// same frame): the shift d minimising the squared difference of grey(p) and reference(p - d)
// over the chip and a margin about it (crack voxels left out), searched over whole voxels within
// +-max_shift and refined to a sub-voxel by a parabola per axis.
std::array<double, 3> chip_shift(HostView<const float, 3> grey, HostView<const float, 3> reference,
                                 HostView<const std::uint8_t, 3> labels, double max_shift_px,
                                 double pellet_top_z);

// Once a chip is off, the crack reaches the pellet's side; below the chip's tip the wedge is
// too thin to see, but the gap it left shows against step 0: voxels that were NASICON at step 0
// (`ref_labels`), are neither NASICON nor chip now and are darker than at step 0 by over half
// the NASICON / NaK contrast (both lightly smoothed). Grown from the crack through such voxels,
// the deepest reached, in voxels below `pellet_top_z` (0 without a crack).
double crack_exit_depth_px(HostView<const float, 3> ref_grey,
                           HostView<const std::uint8_t, 3> ref_labels,
                           HostView<const float, 3> grey, HostView<const std::uint8_t, 3> labels,
                           const Phases& phases, double pellet_top_z);

}  // namespace xct::seg
