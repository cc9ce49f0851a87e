#include "simulate/truth_file.hpp"

#include <algorithm>
#include <vector>

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"
#include "simulate/truth.hpp"

namespace xct::sim {

namespace {

h5::Dataset volume(const h5::File& f, const char* path, hid_t type, const TruthFileOptions& o) {
  const std::size_t n = o.n_cols;
  h5::Dataset d =
      h5::create_dataset(f.id(), path, type, {o.n_rows, n, n}, {1, n, n}, o.deflate_level);
  h5::write_attribute(d.id(), "axes", "z:y:x");
  h5::write_attribute(d.id(), "voxel_size_um", o.voxel_size_um);
  h5::write_attribute(d.id(), "command", o.command);
  return d;
}

}  // namespace

void write_truth_file(const std::filesystem::path& file, const Cell& cell, const Pose& pose,
                      const TruthFileOptions& o, Progress& progress) {
  const std::size_t nz = o.n_rows, n = o.n_cols;
  AtomicFile out(file);
  h5::File f = h5::create_file(out.temp_path());
  {
    const h5::Dataset labels = volume(f, "/labels", H5T_STD_U8LE, o);
    std::string names;
    for (int l = 0; l <= kChip; ++l) {
      names += (l ? ", " : "") + std::to_string(l) + " " + label_name(static_cast<std::uint8_t>(l));
    }
    h5::write_attribute(labels.id(), "labels", names);
    h5::Dataset mu;
    if (o.attenuation) {
      mu = volume(f, "/attenuation", H5T_IEEE_F32LE, o);
      h5::write_attribute(mu.id(), "units", "1/cm");
    }
    const std::size_t slab = 8;
    std::vector<std::uint8_t> lab(slab * n * n);
    std::vector<float> att(o.attenuation ? slab * n * n : 0);
    for (std::size_t z0 = 0; z0 < nz; z0 += slab) {
      const std::size_t count = std::min(slab, nz - z0);
#pragma omp parallel for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(count); ++k) {
        truth_slice(cell.scene, pose, n, z0 + k, o.supersample, lab.data() + k * n * n,
                    o.attenuation ? att.data() + k * n * n : nullptr);
      }
      h5::write_block(labels, {z0, 0, 0}, {count, n, n}, H5T_NATIVE_UINT8, lab.data());
      if (o.attenuation) {
        h5::write_block(mu, {z0, 0, 0}, {count, n, n}, H5T_NATIVE_FLOAT, att.data());
      }
      progress.advance(count);
    }
  }
  f.close();
  out.commit();
}

}  // namespace xct::sim
