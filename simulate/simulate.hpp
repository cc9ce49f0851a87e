// `xct simulate`: scans of the in situ cell over a time series, each written with its ground
// truth. Per time step t (two digits, from 00):
//   scan_tNN.h5        the raw scan, Data Exchange (or scan_tNN.nxs as NeXus NXtomo, the
//                      only form that keeps flats taken after the projections apart, or
//                      scan_tNN/ as TIFF files + angles.txt)
//   truth_tNN.h5       /labels (uint8) and /attenuation (float32, 1/cm) on the recon grid
//                      (attenuation optional)
// and truth.json: the true centre, the defects injected, per step the pose and the metrics;
// previews/truth_tNN.png and previews/sinogram_tNN.png (simulate/preview.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/logger.hpp"
#include "core/progress.hpp"
#include "simulate/cell.hpp"
#include "simulate/detector.hpp"
#include "simulate/scan_sink.hpp"
#include "simulate/truth.hpp"

namespace xct::sim {

struct SimulationParams {
  CellParams cell;
  DetectorParams detector;
  std::size_t n_angles = 3001;  // over 180 degrees, both end points
  std::size_t time_steps = 1;
  std::optional<double> progress;  // failure progress of a single scan (default 0.5)
  double energy_kev = 80;
  double axis_offset_px = 0.35;   // rotation axis minus the detector's centre column
  int supersample = 1;            // sub-rays per pixel side for the projections
  int truth_supersample = 3;      // sub-rays per voxel side for the attenuation volume
  bool truth = true;              // write truth volumes
  bool truth_attenuation = true;  // with the attenuation volume beside the labels
  double drift_px = 2;            // rigid drift between time steps: up to this per axis
  double drift_deg = 0.5;         // and a rotation up to this about a random axis
  std::uint64_t drift_seed = 1;
  double band_um = 10;  // band above the face for the interface void volume
  ScanFormat format = ScanFormat::Hdf5;
  int deflate_level = 0;  // HDF5 compression of frames and truth volumes (0-9)
  bool previews = true;   // PNG pictures of each step in previews/
  bool overwrite = false;
  std::string command;  // the command line, recorded in the outputs
};

// Checks every parameter; throws ErrorKind::Usage with a one-line reason.
void validate(const SimulationParams& params);

// The pose of the cell at a time step (identity at step 0).
Pose step_pose(const SimulationParams& params, std::size_t step);
// The failure progress at a time step.
double step_progress(const SimulationParams& params, std::size_t step);
// Bytes a run holds in memory at once (frames in flight, per-thread buffers, truth slabs).
std::size_t working_memory(const SimulationParams& params);
// The detector column of the rotation axis.
double true_centre(const SimulationParams& params);
// Projection angles in radians: 0 to pi, both end points.
std::vector<double> scan_angles(std::size_t n_angles);

struct SimulationOutputs {
  std::vector<std::filesystem::path> scans, truths, previews;
  std::filesystem::path truth_json;
  std::vector<StepMetrics> metrics;
};

SimulationOutputs simulate(const SimulationParams& params, const std::filesystem::path& out_dir,
                           Logger& log, Progress::Style progress_style = Progress::Style::Auto);

}  // namespace xct::sim
