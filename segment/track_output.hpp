// The output folder of `xct track`:
//
//   time_series.csv, time_series.json   one row per step: time, status, registration, crack,
//                                       chip and interface metrics (columns in docs/track.md)
//   registration.csv                    per step: residuals, rotation, translation, iterations
//   objects.csv                         per tracked crack and chip: id, kind, first and last
//                                       step, volume (um^3) at each step
//   plots/<metric>.svg                  each metric against time
//   steps/tNN/labels.h5                 the step's labels in the common frame (step 0's)
//   steps/tNN/overlay_crack_{xy,xz,yz}.png   labels over the grey image, every step through the
//                                       same point: the crack of the last step that has one
//   report.html                         the plots, tables, overlays and registration residuals
//   track.json                          written last: the marker of a finished run
//   recon/                              (raw inputs) each step reconstructed; kept, so a rerun
//                                       reconstructs only the steps not yet done
//
// Everything but recon/ is staged in <folder>/.partial and moved into place at the end; a folder
// without track.json never looks finished.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/table.hpp"
#include "segment/track.hpp"

namespace xct::seg {

// What the simulator's truth.json says of each step, for scoring a simulated series.
struct TrackTruth {
  std::filesystem::path file;
  struct Step {
    double crack_volume_um3 = 0, crack_depth_um = 0, chip_volume_um3 = 0;
    bool chip_separated = false;
    std::array<double, 3> chip_shift_px{};  // (x, y, z)
    // The step's pose as the transform from step 0's voxels to this step's (x, y, z).
    RigidTransform transform;
  };
  std::vector<Step> steps;
};

// Reads truth.json; `shape` (z, y, x) is the reconstructed grid, whose slices are centred on the
// rotation axis. ErrorKind::BadData when it is not the simulator's truth.
TrackTruth read_track_truth(const std::filesystem::path& file, std::array<std::size_t, 3> shape);

struct TrackOutputParams {
  std::filesystem::path folder;
  bool overwrite = false;
  bool save_labels = true;
  double voxel_size_um = 0;  // recorded in the labels' files (0: unknown)
  std::string command;
};

struct TrackRunInfo {
  std::string command;
  std::vector<std::string> inputs;  // per step, as given
  std::vector<std::string>
      volumes;            // per step, the volume tracked (a reconstruction for raw inputs)
  std::string config;     // the resolved config (config.toml)
  std::string time_unit;  // of StepRecord::time ("h"); empty: the times are step indices
  std::optional<TrackTruth> truth;
  double max_residual = 0;
};

struct TrackOutputSummary {
  std::filesystem::path report, time_series_csv, time_series_json, registration, objects, marker;
  std::vector<std::filesystem::path> plots, overlays;
  std::array<std::size_t, 3> overlay_point{};
};

// The rows of time_series.csv and registration.csv, and objects.csv.
Table time_table(const TrackResult& result, const std::optional<TrackTruth>& truth);
Table registration_table(const TrackResult& result, const std::optional<TrackTruth>& truth);
Table objects_table(const TrackResult& result);

class TrackOutput {
 public:
  // Prepares the folder: ErrorKind::Usage when it holds a finished run and `overwrite` is
  // false, ErrorKind::OutputIO when it cannot write.
  explicit TrackOutput(TrackOutputParams params);
  ~TrackOutput();  // without finish(): the staging folder is removed
  TrackOutput(const TrackOutput&) = delete;
  TrackOutput& operator=(const TrackOutput&) = delete;

  // For track()'s observer: keeps the step's labels (staged).
  void on_step(const StepView& step);

  // Writes the tables, plots, overlays and report, moves them into place and writes track.json
  // last. `grey(k)` gives step k's grey volume in the common frame again (for the overlays).
  TrackOutputSummary finish(const TrackResult& result, const TrackRunInfo& run,
                            const std::function<HostArray<float, 3>(std::size_t)>& grey);

  const std::filesystem::path& folder() const;
  static std::filesystem::path marker_path(const std::filesystem::path& folder);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::seg
