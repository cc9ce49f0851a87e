// Reconstructed volumes as HDF5: /exchange/data float32 (z, y, x), one slice per chunk, with
// attributes axes="z:y:x", description, units, voxel size and the command line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/array.hpp"
#include "io/dtype.hpp"
#include "io/scan.hpp"

namespace xct {

struct VolumeMeta {
  // "1/cm" when the pixel size is known, else "1/pixel" (linear attenuation per pixel).
  std::string units = "1/pixel";
  std::optional<double> voxel_size_um;
  std::string description = "ReconData";
  std::string command;  // the exact command line that made the volume
  // Stored sample type: Float32, or UInt16 holding value = offset + scale * sample (the
  // "value_offset" and "value_scale" attributes).
  DType dtype = DType::Float32;
  double value_offset = 0.0;
  double value_scale = 1.0;
};

// Writes a volume slab by slab into a temporary file renamed into place by commit(); a writer
// destroyed without commit() removes the temporary file.
class Hdf5VolumeWriter {
 public:
  Hdf5VolumeWriter(std::filesystem::path file, std::size_t nz, std::size_t ny, std::size_t nx,
                   const VolumeMeta& meta);
  ~Hdf5VolumeWriter();
  Hdf5VolumeWriter(const Hdf5VolumeWriter&) = delete;
  Hdf5VolumeWriter& operator=(const Hdf5VolumeWriter&) = delete;

  // Writes slices z0 .. z0 + slab.extent(0) - 1.
  void write_slab(std::size_t z0, HostView<const float, 3> slab);
  void write_slab(std::size_t z0, HostView<const std::uint16_t, 3> slab);
  void commit();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct VolumeShape {
  std::size_t nz = 0, ny = 0, nx = 0;
};

// Shape and metadata of a volume file written by Hdf5VolumeWriter (or any float or uint16
// /exchange/data volume).
VolumeShape hdf5_volume_shape(const std::filesystem::path& file, VolumeMeta* meta = nullptr);
// Reads slices z of /exchange/data, as values (uint16 samples mapped through offset and scale).
HostArray<float, 3> read_hdf5_volume(const std::filesystem::path& file, Range z);

}  // namespace xct
