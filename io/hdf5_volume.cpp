// Volumes as HDF5: float32 /exchange/data (z, y, x), one slice per chunk so that any slab of
// slices is read or written without touching the others.
#include "io/hdf5_volume.hpp"

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

namespace fs = std::filesystem;

namespace xct {

namespace {
const char* const kVolumePath = "/exchange/data";
}

// Members are destroyed in reverse order: the dataset, then the file, then the temporary
// file is removed when it was never committed.
struct Hdf5VolumeWriter::Impl {
  explicit Impl(fs::path path) : atomic(std::move(path)) {}
  AtomicFile atomic;
  h5::File file;
  h5::Dataset data;
  std::size_t nz = 0, ny = 0, nx = 0;
};

Hdf5VolumeWriter::Hdf5VolumeWriter(fs::path file, std::size_t nz, std::size_t ny, std::size_t nx,
                                   const VolumeMeta& meta)
    : impl_(std::make_unique<Impl>(std::move(file))) {
  XCT_CHECK(nz > 0 && ny > 0 && nx > 0, ErrorKind::Internal, "empty volume ", nz, " x ", ny, " x ",
            nx);
  Impl& m = *impl_;
  m.nz = nz;
  m.ny = ny;
  m.nx = nx;
  m.file = h5::create_file(m.atomic.temp_path());
  h5::write_string(m.file.id(), "/implements", "exchange");
  m.data = h5::create_dataset(m.file.id(), kVolumePath, H5T_IEEE_F32LE, {nz, ny, nx}, {1, ny, nx});
  h5::write_attribute(m.data.id(), "axes", "z:y:x");
  h5::write_attribute(m.data.id(), "description", meta.description);
  h5::write_attribute(m.data.id(), "units", meta.units);
  if (meta.voxel_size_um) {
    h5::write_attribute(m.data.id(), "voxel_size", *meta.voxel_size_um);
    h5::write_attribute(m.data.id(), "voxel_size_units", "um");
  }
  h5::write_attribute(m.data.id(), "command", meta.command);
}

Hdf5VolumeWriter::~Hdf5VolumeWriter() = default;

void Hdf5VolumeWriter::write_slab(std::size_t z0, HostView<const float, 3> slab) {
  Impl& m = *impl_;
  XCT_CHECK(m.data.valid(), ErrorKind::Internal,
            "volume already committed: ", m.atomic.final_path().string());
  XCT_CHECK(slab.is_contiguous() && slab.extent(1) == m.ny && slab.extent(2) == m.nx &&
                z0 + slab.extent(0) <= m.nz,
            ErrorKind::Internal, "slab of ", slab.extent(0), " x ", slab.extent(1), " x ",
            slab.extent(2), " at z ", z0, " does not fit the volume ", m.nz, " x ", m.ny, " x ",
            m.nx);
  h5::write_block(m.data, {z0, 0, 0}, {slab.extent(0), m.ny, m.nx}, H5T_NATIVE_FLOAT, slab.data());
}

void Hdf5VolumeWriter::commit() {
  Impl& m = *impl_;
  m.data.reset();
  m.file.close();
  m.atomic.commit();
}

VolumeShape hdf5_volume_shape(const fs::path& file, VolumeMeta* meta) {
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, kVolumePath);
  const h5::DatasetInfo info = h5::dataset_info(d);
  XCT_CHECK(info.rank() == 3 && info.type_class == h5::TypeClass::Float, ErrorKind::BadData,
            f.where(kVolumePath), " is not a 3-D float volume (", info.rank(), "-D ",
            info.type_name(), ")");
  if (meta) {
    *meta = VolumeMeta{};
    if (auto v = h5::read_string_attribute(d.id(), "units")) meta->units = *v;
    if (auto v = h5::read_string_attribute(d.id(), "description")) meta->description = *v;
    if (auto v = h5::read_string_attribute(d.id(), "command")) meta->command = *v;
    meta->voxel_size_um = h5::read_number_attribute(d.id(), "voxel_size");
  }
  return VolumeShape{info.shape[0], info.shape[1], info.shape[2]};
}

HostArray<float, 3> read_hdf5_volume(const fs::path& file, Range z) {
  const VolumeShape shape = hdf5_volume_shape(file);
  XCT_CHECK(z.begin <= z.end && z.end <= shape.nz, ErrorKind::Usage, "slices ", z.begin, "..",
            z.end, " lie outside the ", shape.nz, " slices of ", file.string());
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, kVolumePath);
  HostArray<float, 3> out({z.size(), shape.ny, shape.nx});
  h5::read_block(d, {z.begin, 0, 0}, {z.size(), shape.ny, shape.nx}, H5T_NATIVE_FLOAT, out.data());
  return out;
}

}  // namespace xct
