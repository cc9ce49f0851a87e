// HDF5 volumes: written slab by slab, read back exactly, laid out as h5py users expect, and
// never left half-written under the final name.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/hdf5_volume.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr std::size_t kNz = 5, kNy = 6, kNx = 7;

// Voxel value from its position; non-integer so that float32 storage is exercised.
float voxel(std::size_t z, std::size_t y, std::size_t x) {
  return static_cast<float>(z) * 100.0f + static_cast<float>(y) * 1.5f -
         static_cast<float>(x) * 0.03125f;
}

HostArray<float, 3> slab(std::size_t z0, std::size_t nz) {
  HostArray<float, 3> a({nz, kNy, kNx});
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < kNy; ++y)
      for (std::size_t x = 0; x < kNx; ++x)
        a(z, y, x) = voxel(z0 + z, y, x);
  return a;
}

VolumeMeta meta() {
  VolumeMeta m;
  m.units = "1/cm";
  m.voxel_size_um = 0.65;
  m.description = "ReconData";
  m.command = "xct recon scan.h5 --out vol.h5";
  return m;
}

// Two slabs, the second shorter (3 + 2 slices), written out of order.
void write_volume(const fs::path& file) {
  Hdf5VolumeWriter w(file, kNz, kNy, kNx, meta());
  w.write_slab(3, slab(3, 2).cview());
  w.write_slab(0, slab(0, 3).cview());
  w.commit();
}

TEST(Hdf5Volume, RoundTripWithMeta) {
  TempDir dir;
  const auto file = dir / "vol.h5";
  write_volume(file);
  VolumeMeta m;
  const VolumeShape s = hdf5_volume_shape(file, &m);
  EXPECT_EQ(s.nz, kNz);
  EXPECT_EQ(s.ny, kNy);
  EXPECT_EQ(s.nx, kNx);
  EXPECT_EQ(m.units, "1/cm");
  EXPECT_EQ(m.description, "ReconData");
  EXPECT_EQ(m.command, "xct recon scan.h5 --out vol.h5");
  EXPECT_DOUBLE_EQ(m.voxel_size_um.value_or(0), 0.65);
  const auto all = read_hdf5_volume(file, Range{0, kNz});
  for (std::size_t z = 0; z < kNz; ++z)
    for (std::size_t y = 0; y < kNy; ++y)
      for (std::size_t x = 0; x < kNx; ++x)
        ASSERT_EQ(all(z, y, x), voxel(z, y, x));
  // A slab in the middle: slices 2..3 only.
  const auto mid = read_hdf5_volume(file, Range{2, 4});
  ASSERT_EQ(mid.extent(0), 2u);
  EXPECT_EQ(mid(1, 5, 6), voxel(3, 5, 6));
}

TEST(Hdf5Volume, H5pyReadsChunksTypeAndAttributes) {
  TempDir dir;
  write_volume(dir / "vol.h5");
  // The oracle checks one slice per chunk, float32, the attributes and a voxel value.
  test::python_ok(R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'r') as f:
    d = f['/exchange/data']
    assert d.shape == (5, 6, 7) and d.dtype == np.float32, (d.shape, d.dtype)
    assert d.chunks == (1, 6, 7), d.chunks
    assert d.attrs['axes'] == 'z:y:x', d.attrs['axes']
    assert d.attrs['units'] == '1/cm', d.attrs['units']
    assert d.attrs['voxel_size'] == 0.65 and d.attrs['voxel_size_units'] == 'um'
    assert d.attrs['command'].startswith('xct recon')
    assert d[4, 5, 6] == np.float32(4 * 100.0 + 5 * 1.5 - 6 * 0.03125)
)",
                  {(dir / "vol.h5").string()});
}

TEST(Hdf5Volume, WriterDestroyedWithoutCommitLeavesNothing) {
  TempDir dir;
  {
    Hdf5VolumeWriter w(dir / "vol.h5", kNz, kNy, kNx, meta());
    w.write_slab(0, slab(0, 2).cview());
  }
  EXPECT_TRUE(fs::is_empty(dir.path())) << "neither vol.h5 nor its temporary file may remain";
}

TEST(Hdf5Volume, NoFinalFileBeforeCommit) {
  TempDir dir;
  Hdf5VolumeWriter w(dir / "vol.h5", kNz, kNy, kNx, meta());
  w.write_slab(0, slab(0, kNz).cview());
  EXPECT_FALSE(fs::exists(dir / "vol.h5"));  // only the temporary name exists so far
  w.commit();
  EXPECT_TRUE(fs::exists(dir / "vol.h5"));
  std::size_t files = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir.path()))
    ++files;
  EXPECT_EQ(files, 1u);  // the temporary file was renamed, not copied
}

TEST(Hdf5Volume, SliceRangeOutsideTheVolumeIsAUsageError) {
  TempDir dir;
  write_volume(dir / "vol.h5");
  test::expect_error(
      [&] {
        read_hdf5_volume(dir / "vol.h5", Range{4, 6});
      },
      ErrorKind::Usage, {"4..6", "5 slices"});
  test::expect_error([&] { hdf5_volume_shape(dir / "none.h5"); }, ErrorKind::InputMissing,
                     {"none.h5"});
}

}  // namespace
}  // namespace xct
