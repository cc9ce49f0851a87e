// A scan whose frames (projections, flats, darks) are copied once, in sinogram order, into a
// scratch file.
//
// Compressed HDF5 chunks are decoded whole: a detector that writes one projection per chunk
// makes every slab of rows decode every projection again, so a scan reconstructed in k slabs
// is read and decoded k times. Reslicing reads the projections in groups (each chunk decoded
// once), writes each row's sinogram [projection, column] contiguously into a raw scratch file
// in the stored sample type, and then serves rows from there with one large read per row.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>

#include "core/logger.hpp"
#include "io/scan.hpp"

namespace xct::recon {

class ReslicedScan : public ScanReader {
 public:
  // Copies rows `rows` of projections `proj` and of every flat and dark of `source` into
  // `scratch` (created; removed by the destructor), reading groups of frames of at most
  // `group_bytes`.
  ReslicedScan(ScanReader& source, Range rows, Range proj, std::filesystem::path scratch,
               std::uint64_t group_bytes, Logger& log);
  ~ReslicedScan() override;
  ReslicedScan(const ReslicedScan&) = delete;
  ReslicedScan& operator=(const ReslicedScan&) = delete;

  const ScanInfo& info() const override;
  // Frames and rows within the copied block come from the scratch file, others from the
  // source.
  void read_frames(FrameRole role, Range frames, Range rows, DType out_type, void* out) override;

  std::uint64_t scratch_bytes_written() const;
  std::uint64_t scratch_bytes_read() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace xct::recon
