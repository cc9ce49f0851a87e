// Volumes as HDF5: float32 /exchange/data (z, y, x), one slice per chunk so that any slab of
// slices is read or written without touching the others.
#include "io/hdf5_volume.hpp"

#include "io/atomic_file.hpp"
#include "io/hdf5.hpp"

#include <span>

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
  DType dtype = DType::Float32;

  template <typename T>
  void write(std::size_t z0, HostView<const T, 3> slab, hid_t mem_type) {
    XCT_CHECK(data.valid(), ErrorKind::Internal,
              "volume already committed: ", atomic.final_path().string());
    XCT_CHECK(dtype == dtype_of<T>(), ErrorKind::Internal, "slab type differs from the volume's");
    XCT_CHECK(slab.is_contiguous() && slab.extent(1) == ny && slab.extent(2) == nx &&
                  z0 + slab.extent(0) <= nz,
              ErrorKind::Internal, "slab of ", slab.extent(0), " x ", slab.extent(1), " x ",
              slab.extent(2), " at z ", z0, " does not fit the volume ", nz, " x ", ny, " x ", nx);
    h5::write_block(data, {z0, 0, 0}, {slab.extent(0), ny, nx}, mem_type, slab.data());
  }
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
  XCT_CHECK(meta.dtype == DType::Float32 || meta.dtype == DType::UInt16, ErrorKind::Internal,
            "volumes are stored as float32 or uint16");
  m.dtype = meta.dtype;
  m.data = h5::create_dataset(m.file.id(), kVolumePath,
                              m.dtype == DType::UInt16 ? H5T_STD_U16LE : H5T_IEEE_F32LE,
                              {nz, ny, nx}, {1, ny, nx});
  h5::write_attribute(m.data.id(), "axes", "z:y:x");
  h5::write_attribute(m.data.id(), "description", meta.description);
  h5::write_attribute(m.data.id(), "units", meta.units);
  if (meta.voxel_size_um) {
    h5::write_attribute(m.data.id(), "voxel_size", *meta.voxel_size_um);
    h5::write_attribute(m.data.id(), "voxel_size_units", "um");
  }
  h5::write_attribute(m.data.id(), "command", meta.command);
  if (m.dtype == DType::UInt16) {
    h5::write_attribute(m.data.id(), "value_offset", meta.value_offset);
    h5::write_attribute(m.data.id(), "value_scale", meta.value_scale);
  }
}

Hdf5VolumeWriter::~Hdf5VolumeWriter() = default;

void Hdf5VolumeWriter::write_slab(std::size_t z0, HostView<const float, 3> slab) {
  impl_->write(z0, slab, H5T_NATIVE_FLOAT);
}

void Hdf5VolumeWriter::write_slab(std::size_t z0, HostView<const std::uint16_t, 3> slab) {
  impl_->write(z0, slab, H5T_NATIVE_UINT16);
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
  const bool is_u16 = info.type_class == h5::TypeClass::Integer && info.type_name() == "uint16";
  XCT_CHECK(info.rank() == 3 && (info.type_class == h5::TypeClass::Float || is_u16),
            ErrorKind::BadData, f.where(kVolumePath), " is not a 3-D float or uint16 volume (",
            info.rank(), "-D ", info.type_name(), ")");
  if (meta) {
    *meta = VolumeMeta{};
    if (auto v = h5::read_string_attribute(d.id(), "units")) meta->units = *v;
    if (auto v = h5::read_string_attribute(d.id(), "description")) meta->description = *v;
    if (auto v = h5::read_string_attribute(d.id(), "command")) meta->command = *v;
    meta->voxel_size_um = h5::read_number_attribute(d.id(), "voxel_size");
    meta->dtype = is_u16 ? DType::UInt16 : DType::Float32;
    meta->value_offset = h5::read_number_attribute(d.id(), "value_offset").value_or(0.0);
    meta->value_scale = h5::read_number_attribute(d.id(), "value_scale").value_or(1.0);
  }
  return VolumeShape{info.shape[0], info.shape[1], info.shape[2]};
}

HostArray<float, 3> read_hdf5_volume(const fs::path& file, Range z) {
  VolumeMeta meta;
  const VolumeShape shape = hdf5_volume_shape(file, &meta);
  XCT_CHECK(z.begin <= z.end && z.end <= shape.nz, ErrorKind::Usage, "slices ", z.begin, "..",
            z.end, " lie outside the ", shape.nz, " slices of ", file.string());
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, kVolumePath);
  HostArray<float, 3> out({z.size(), shape.ny, shape.nx});
  h5::read_block(d, {z.begin, 0, 0}, {z.size(), shape.ny, shape.nx}, H5T_NATIVE_FLOAT, out.data());
  if (meta.dtype == DType::UInt16)
    for (float& v : std::span<float>(out.data(), out.size()))
      v = static_cast<float>(meta.value_offset + meta.value_scale * v);
  return out;
}

}  // namespace xct
