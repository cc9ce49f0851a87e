// The output folder of a reconstruction: a volume written slab by slab as a TIFF stack or one
// HDF5 file, in float32 or uint16, with PNG previews of the middle slices in three orthogonal
// planes.
//
// Nothing in the folder looks finished before the run is: slabs go into a hidden staging
// folder (<folder>/.partial), are moved into place by finish(), and the caller writes
// report.json last. A folder whose report.json exists holds a finished run and is replaced only
// with `overwrite`; leftovers of an unfinished run are cleared. uint16 output is scaled from
// the whole volume, never per slab: slabs are kept as float32 in the staging folder until the
// volume's range is known.
//
// Resuming: with a `resume_key`, every slab is made durable (fdatasync) and then recorded in a
// journal in the staging folder. A run killed (kill -9, a power cut, a job's time limit) leaves
// the staging folder behind; the next run with the same key and output keeps the slabs the
// journal records, reads them back for the statistics and previews, and reports them through
// holds(), so that the caller computes only the rest. The finished volume is byte for byte the
// one an uninterrupted run writes. A resumable HDF5 volume is staged as raw float32 and
// written into the HDF5 file by finish(), since an HDF5 file cut short cannot be reopened.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/array.hpp"
#include "io/dtype.hpp"
#include "io/hdf5_volume.hpp"

namespace xct {

// Receives a volume slab by slab; slices z0 .. z0 + n - 1 of the (z, y, x) volume.
class SlabSink {
 public:
  virtual ~SlabSink() = default;
  virtual void write_slab(std::size_t z0, HostView<const float, 3> slab) = 0;
  // True when slices z0 .. z0 + n - 1 are already in the sink (kept from an interrupted run):
  // the caller may skip computing them.
  virtual bool holds(std::size_t /*z0*/, std::size_t /*n*/) const { return false; }
};

struct VolumeOutputParams {
  std::filesystem::path folder;
  std::string format = "tiff";                            // tiff (recon_NNNNN.tiff) | h5 (recon.h5)
  DType dtype = DType::Float32;                           // Float32 | UInt16
  std::optional<std::pair<double, double>> uint16_range;  // values mapped to 0 and 65535;
                                                          // unset: the volume's min and max
  bool overwrite = false;
  // Identifies the run's inputs and settings; non-empty: slabs are journaled and an
  // interrupted run's slabs with the same key (and the same output) are kept.
  std::string resume_key;
  VolumeMeta meta;  // units, voxel size, command (dtype and scale are set here)
};

// What was written, for report.json.
struct VolumeOutputSummary {
  std::size_t nz = 0, ny = 0, nx = 0;
  double min = 0, max = 0, mean = 0;  // of the float32 values
  // uint16: value = offset + scale * sample; samples outside [0, 65535] were clipped.
  double uint16_offset = 0, uint16_scale = 1;
  std::size_t clipped_low = 0, clipped_high = 0;
  std::vector<std::filesystem::path> files;  // the volume's files, in z order for TIFF
  std::vector<std::filesystem::path> previews;
  std::size_t resumed_slices = 0;  // kept from an interrupted run
};

class VolumeOutput : public SlabSink {
 public:
  // Prepares the folder for a volume of nz x ny x nx. Throws ErrorKind::Usage when the folder
  // holds a finished run and `overwrite` is false, ErrorKind::OutputIO when it cannot write.
  VolumeOutput(VolumeOutputParams params, std::size_t nz, std::size_t ny, std::size_t nx);
  // Without finish(), removes the staging folder: nothing of the run is left in sight.
  ~VolumeOutput() override;
  VolumeOutput(const VolumeOutput&) = delete;
  VolumeOutput& operator=(const VolumeOutput&) = delete;

  // Slabs may come in any order; every slice must be written once before finish(). A slab
  // holding a non-finite value is refused (ErrorKind::Internal).
  void write_slab(std::size_t z0, HostView<const float, 3> slab) override;
  bool holds(std::size_t z0, std::size_t n) const override;
  // Slices kept from an interrupted run (0 unless resumed).
  std::size_t resumed_slices() const;

  // Converts (uint16), writes the previews and moves everything into the folder.
  VolumeOutputSummary finish();

  // report.json in the folder: the marker of a finished run.
  static std::filesystem::path report_path(const std::filesystem::path& folder);
  const std::filesystem::path& folder() const;
  // The hidden staging folder, removed with the run's other leftovers: a place for scratch.
  const std::filesystem::path& staging() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct
