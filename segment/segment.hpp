// Segmentation of one reconstructed volume of the NaK | NASICON cell into the labels of
// segment/labels.hpp.
//
// Steps (docs/segment.md gives the reasons):
//  1. denoise: median (radius 1) and, optionally, curvature anisotropic diffusion, in unit
//     spacing;
//  2. the cell's cylinder: given, or the outer wall of the housing found from the radial
//     profile about the rotation axis; outside it is label 0;
//  3. coarse phases by multi-Otsu on the histogram inside the cylinder: gas, low (NaK, PEEK,
//     rubber), Al, NASICON. The weak phases (gas, low, Al) are told apart on a smoothing that
//     leaves NASICON out (normalised convolution), so the bright pellet does not bleed into
//     interface voids;
//  4. geometry: the housing is the low-attenuation tube at the cylinder wall, the O-ring the
//     low material of another grey level inside it; NaK is the low material inside the housing
//     that touches the pellet's top face;
//  5. the NASICON envelope: per slice, the convex hull of the pellet and its chips; cracks are
//     dark, sheet-like (Hessian plate objectness) voxels inside it found by a black top-hat,
//     minus shells concentric with the rotation axis (ring artefacts); their volume comes from
//     the grey-level deficit, which is robust to partial volume;
//  6. chips: NASICON pieces cut off the main pellet;
//  7. voids: gas inside the NaK and at the interface, split where they touch (watershed on the
//     distance map).
//
// Volumes are (z, y, x), z along the rotation axis. Grey values are linear attenuation (any
// unit: the thresholds come from the histogram).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/array.hpp"
#include "core/logger.hpp"
#include "segment/labels.hpp"

namespace xct::seg {

// The cell's cylinder about the rotation axis, in voxels: axis at column cx, row cy of every
// slice.
struct Cylinder {
  double cx = 0, cy = 0, radius = 0;
};

struct SegmentParams {
  double voxel_size_um = 1.3;
  // The cell's outer wall; unset: found from the data (the housing's outer radius about `axis`).
  std::optional<Cylinder> cylinder;
  // Rotation axis (x, y) in voxels; unset: the centre of the slice, ((nx-1)/2, (ny-1)/2), as
  // xct recon writes it.
  std::optional<std::array<double, 2>> axis;
  // The scanner's rotation axis, about which ring artefacts are concentric, when it is not the
  // cell's axis (a volume resampled into another scan's frame): x and y at slice 0, and their
  // change per slice. Unset: the cell's axis.
  std::optional<std::array<double, 4>> ring_axis;

  int median_radius = 1;             // 0: no median
  int diffusion_iterations = 0;      // curvature anisotropic diffusion steps (0: none)
  double diffusion_conductance = 0;  // in units of the noise sigma; 0: 1.5
  double smooth_sigma_px = 2.0;      // smoothing that separates gas, low and Al

  // Cracks.
  double max_crack_opening_px = 4.0;  // widest crack the top-hat resolves
  double min_crack_voxels = 30;       // smaller dark specks are noise
  double plate_objectness = 0.1;      // least mean plate objectness (0-1) of a crack piece
  double ring_tolerance_px = 1.0;     // radial spread below which a shell is a ring artefact
  // Chips and voids.
  double min_chip_voxels = 200;
  double min_void_voxels = 8;
  double void_split_h_px = 1.0;  // watershed depth (h-minima of the distance map), voxels
  int void_smooth_px = 2;        // closing and opening of void outlines in the NaK (0: none)

  // Working memory for the filtered volumes, bytes (0: half the machine's available memory).
  // The filters run slab by slab in z with the overlap they need when the volume does not fit.
  std::size_t memory_budget_bytes = 0;
  int threads = 0;  // 0: all cores
};

// Grey levels of the phases found by multi-Otsu, in the volume's units.
struct Phases {
  std::array<double, 3> thresholds{};  // gas|low, low|Al, Al|NASICON (on the smoothed image)
  double gas = 0, low = 0, al = 0, nasicon = 0;  // class means (smoothed)
  double nasicon_threshold = 0;                  // NASICON|rest on the median-filtered image
  double noise_sigma = 0;                        // of the input, from NASICON's interior (robust)
  bool oring_split = false;    // an O-ring of another grey level lines the housing
  double oring_threshold = 0;  // its inner radius (voxels), when oring_split
};

struct CrackPiece {
  std::size_t voxels = 0;            // labelled crack voxels
  double deficit_volume = 0;         // voxels of crack by the grey-level deficit
  double mean_objectness = 0;        // plate objectness
  double radial_spread_px = 0;       // std of the radius about the axis
  bool ring = false;                 // rejected as a ring artefact
  std::array<double, 3> centroid{};  // z, y, x
};

struct SegmentResult {
  HostArray<std::uint8_t, 3> labels;  // (z, y, x), Label values
  Cylinder cylinder;
  double housing_inner_radius = 0;  // voxels
  std::array<double, 2> axis{};     // x, y
  Phases phases;
  // Crack: per piece, and the total volume by grey-level deficit (voxels), the partial-volume
  // robust estimate; labels hold round(deficit) voxels, the darkest ones.
  std::vector<CrackPiece> cracks;
  double crack_deficit_volume = 0;
  double pellet_top_z = 0;  // mean z of the pellet's top face (voxels, sub-voxel)
  // Voids after the watershed split: one id per void in `void_ids` (0: not a void), with the
  // count; only voids inside the NaK layer or touching the interface get ids.
  HostArray<std::uint32_t, 3> void_ids;
  std::size_t void_count = 0;
  double seconds = 0;
  std::vector<std::pair<std::string, double>> stage_seconds;
  std::size_t peak_working_bytes = 0;
};

// Segments `volume` (z, y, x). Throws ErrorKind::BadData for volumes that cannot be segmented:
// empty, constant, non-finite, too small, or without the NASICON pellet's contrast.
SegmentResult segment(HostView<const float, 3> volume, const SegmentParams& params, Logger& log);

}  // namespace xct::seg
