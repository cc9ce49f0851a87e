// The output folder of `xct segment`:
//
//   labels_NNNNN.tif | labels.h5    the labels (segment/volume_io.hpp gives the formats)
//   labels.csv                      one row per label present: label, name, voxels, volume_um3,
//                                   surface_area_um2, equivalent_diameter_um, centroid_z/y/x
//                                   (voxels), z0, z1, y0, y1, x0, x1 (box, end exclusive)
//   voids.csv                       one row per void object: id, then the same columns
//   overlay_centre_{xy,xz,yz}.png   labels over the grey image through the volume's centre
//   overlay_crack_{xy,xz,yz}.png    the same through the crack (the centre when none is found)
//   config.toml (optional)          what the caller passes in `RunInfo::files`
//   metrics.json                    written last: the marker of a finished run
//
// Everything is staged in <folder>/.partial and moved into place at the end; metrics.json is
// then written atomically, so a folder without it never looks finished. A folder whose
// metrics.json exists holds a finished run and is replaced only with `overwrite`
// (ErrorKind::Usage otherwise); leftovers of an unfinished run are cleared.
//
// metrics.json: lengths in um have keys ending _um, areas _um2, volumes _um3; quantities in
// voxels end in _px (lengths) or _voxels (counts and volumes).
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/array.hpp"
#include "io/table.hpp"
#include "segment/metrics.hpp"
#include "segment/score.hpp"
#include "segment/segment.hpp"
#include "segment/volume_io.hpp"

namespace xct::seg {

struct OutputParams {
  std::filesystem::path folder;
  std::string format = "tiff";  // labels: tiff | h5
  bool overwrite = false;
  bool overlays = true;
};

// What metrics.json records besides the results.
struct RunInfo {
  std::string command;  // the exact command line
  VolumeInfo input;
  Roi roi;                      // the region segmented, in the input's voxels
  std::string voxel_size_from;  // "--voxel-size", the input's metadata, or "default"
  SegmentParams params;         // as used (voxel size, axis and cylinder resolved)
  MeasureParams measure;
  // When scored: the truth file, its time step and crack depth (truth.json), the score.
  std::optional<std::filesystem::path> truth_file;
  int truth_step = 0;
  std::optional<double> truth_crack_depth_px;
  std::optional<Score> score;
  std::vector<std::pair<std::string, double>> seconds;  // read, segment, measure, score ...
                                                        // (write and total are added)
  // Further small files to stage and move into the folder (name, content), e.g. config.toml.
  std::vector<std::pair<std::string, std::string>> files;
};

struct OutputSummary {
  std::vector<std::filesystem::path> labels;    // the label files
  std::vector<std::filesystem::path> tables;    // labels.csv, voids.csv
  std::vector<std::filesystem::path> overlays;  // centre planes, then crack planes
  std::vector<std::filesystem::path> files;     // RunInfo::files
  std::filesystem::path metrics;
  std::array<std::size_t, 3> centre_point{};  // (z, y, x) of the overlays
  std::array<std::size_t, 3> crack_point{};
  bool crack_found = false;  // crack_point lies on a crack voxel
  double seconds = 0;
};

// The point the crack overlays go through: the crack voxel nearest to the crack label's
// centroid; nullopt when no voxel has the crack label.
std::optional<std::array<std::size_t, 3>> crack_point(HostView<const std::uint8_t, 3> labels);

// The tables of labels.csv and voids.csv.
Table label_table(const Metrics& metrics);
Table void_table(const Metrics& metrics);

// metrics.json's text.
std::string metrics_document(const SegmentResult& result, const Metrics& metrics,
                             const RunInfo& run, const OutputSummary& summary,
                             const OutputParams& params);

class SegmentOutput {
 public:
  // Prepares the folder. Throws ErrorKind::Usage when it holds a finished run and `overwrite`
  // is false, ErrorKind::OutputIO when it cannot write.
  explicit SegmentOutput(OutputParams params);
  // Without write(), removes the staging folder, and the folder itself when this object created
  // it and it is empty: a failed run leaves nothing in sight.
  ~SegmentOutput();
  SegmentOutput(const SegmentOutput&) = delete;
  SegmentOutput& operator=(const SegmentOutput&) = delete;

  // Writes labels, tables, overlays and the run's files into the staging folder, moves them
  // into place and writes metrics.json last. `grey` is the segmented volume (the overlays'
  // background), of the labels' shape.
  OutputSummary write(HostView<const float, 3> grey, const SegmentResult& result,
                      const Metrics& metrics, const RunInfo& run);

  static std::filesystem::path metrics_path(const std::filesystem::path& folder);
  const std::filesystem::path& folder() const;
  const std::filesystem::path& staging() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::seg
