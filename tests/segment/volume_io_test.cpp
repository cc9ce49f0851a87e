// Volumes in and labels out for `xct segment` (segment/volume_io.hpp): every accepted sample
// type in HDF5 and TIFF (pages of one file, a folder of slices, strips and compressed tiles)
// written by h5py and tifffile, regions of interest, the refused types with their one-line
// reasons, the voxel size from each place it is kept, and label files read back independently
// by h5py and tifffile.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/tiff.hpp"
#include "segment/labels.hpp"
#include "segment/volume_io.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct::seg {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::python_ok;
using test::TempDir;

constexpr std::size_t kNz = 6, kNy = 5, kNx = 7;  // a small volume, every side different

// The voxel values every writer below stores: z*40 + y*8 + x - 100 (each voxel its own value),
// so that int16 and the float types hold negative values too; uint8 and uint16 volumes store
// the value + 100, which spans 0..238.
float value(std::size_t z, std::size_t y, std::size_t x) {
  return static_cast<float>(z * 40 + y * 8 + x) - 100.0f;
}
constexpr float kUnsignedOffset = 100.0f;

// Python that builds the same volume as value() in `v`, of numpy type `dtype` (argv[2]).
const char* const kMakeVolume = R"(
import sys, numpy as np
nz, ny, nx = 6, 5, 7
z, y, x = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing='ij')
v = (z * 40 + y * 8 + x).astype(np.float64) - 100
dtype = np.dtype(sys.argv[2])
if dtype.kind == 'u':
    v = v + 100
v = v.astype(dtype)
)";

void write_h5(const fs::path& file, const std::string& dtype, const std::string& dataset,
              const std::string& extra = "") {
  python_ok(std::string(kMakeVolume) +
                "import h5py\nwith h5py.File(sys.argv[1], 'w') as f:\n    d = f.create_dataset('" +
                dataset + "', data=v)\n" + extra,
            {file.string(), dtype});
}

void expect_values(const LoadedVolume& v, const Roi& roi, float offset) {
  ASSERT_EQ(v.data.extent(0), roi.z1 - roi.z0);
  ASSERT_EQ(v.data.extent(1), roi.y1 - roi.y0);
  ASSERT_EQ(v.data.extent(2), roi.x1 - roi.x0);
  for (std::size_t z = 0; z < v.data.extent(0); ++z)
    for (std::size_t y = 0; y < v.data.extent(1); ++y)
      for (std::size_t x = 0; x < v.data.extent(2); ++x)
        ASSERT_EQ(v.data(z, y, x), value(roi.z0 + z, roi.y0 + y, roi.x0 + x) + offset)
            << "at " << z << ", " << y << ", " << x;
}

const Roi kWhole{0, kNz, 0, kNy, 0, kNx};
const Roi kPart{2, 5, 1, 4, 3, 7};  // slices 2-4, rows 1-3, columns 3-6

float offset_of(const std::string& dtype) {
  return dtype[0] == 'u' ? kUnsignedOffset : 0.0f;
}

class Hdf5Types : public ::testing::TestWithParam<std::string> {};

TEST_P(Hdf5Types, ReadsEveryAcceptedTypeAsFloat) {
  TempDir dir;
  const fs::path file = dir / "vol.h5";
  write_h5(file, GetParam(), "/exchange/data");
  const LoadedVolume v = read_volume({file, std::nullopt, std::nullopt});
  EXPECT_EQ(v.info.format, "hdf5");
  EXPECT_EQ(v.info.dataset, "/exchange/data");
  EXPECT_EQ(v.info.dtype, GetParam());
  EXPECT_EQ(v.roi, kWhole);
  expect_values(v, kWhole, offset_of(GetParam()));
  // A region: only its block is read.
  const LoadedVolume part = read_volume({file, std::nullopt, kPart});
  EXPECT_EQ(part.roi, kPart);
  expect_values(part, kPart, offset_of(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Accepted, Hdf5Types,
                         ::testing::Values("float32", "float64", "uint8", "uint16", "int16"));

class TiffTypes : public ::testing::TestWithParam<std::string> {};

// One multi-page file (strips), a folder of recon_NNNNN.tiff slices, and a multi-page file of
// deflate-compressed 4 x 4 tiles: each type through each layout.
TEST_P(TiffTypes, ReadsPagesSlicesAndTiles) {
  TempDir dir;
  const std::string dtype = GetParam();
  python_ok(std::string(kMakeVolume) + R"(
import os, tifffile
d = sys.argv[1]
tifffile.imwrite(os.path.join(d, 'pages.tif'), v)
os.mkdir(os.path.join(d, 'stack'))
for i in range(nz):
    tifffile.imwrite(os.path.join(d, 'stack', 'recon_%05d.tiff' % i), v[i])
with tifffile.TiffWriter(os.path.join(d, 'tiles.tif')) as w:
    for i in range(nz):
        w.write(v[i], tile=(16, 16), compression='zlib')
)",
            {dir.path().string(), dtype});
  const float offset = offset_of(dtype);
  const LoadedVolume pages = read_volume({dir / "pages.tif", std::nullopt, std::nullopt});
  EXPECT_EQ(pages.info.format, "tiff");
  EXPECT_EQ(pages.info.dtype, dtype);
  expect_values(pages, kWhole, offset);
  expect_values(read_volume({dir / "pages.tif", std::nullopt, kPart}), kPart, offset);

  const LoadedVolume stack = read_volume({dir / "stack", std::nullopt, std::nullopt});
  EXPECT_EQ(stack.info.format, "tiff-stack");
  EXPECT_EQ(stack.info.files.size(), kNz);
  expect_values(stack, kWhole, offset);
  expect_values(read_volume({dir / "stack", std::nullopt, kPart}), kPart, offset);

  expect_values(read_volume({dir / "tiles.tif", std::nullopt, kPart}), kPart, offset);
  expect_values(read_volume({dir / "tiles.tif", std::nullopt, std::nullopt}), kWhole, offset);
}

INSTANTIATE_TEST_SUITE_P(Accepted, TiffTypes,
                         ::testing::Values("float32", "float64", "uint8", "uint16", "int16"));

TEST(VolumeInput, FolderSlicesInNaturalOrderAndOnlyThoseOfTheRegion) {
  TempDir dir;
  // slice_1 .. slice_10 unpadded: by name, slice_10 would come second.
  python_ok(R"(
import sys, os, numpy as np, tifffile
for i in range(1, 11):
    tifffile.imwrite(os.path.join(sys.argv[1], 'slice_%d.tif' % i), np.full((3, 4), i, np.uint16))
)",
            {dir.path().string()});
  const LoadedVolume v = read_volume({dir.path(), std::nullopt, std::nullopt});
  ASSERT_EQ(v.data.extent(0), 10u);
  for (std::size_t z = 0; z < 10; ++z)
    EXPECT_EQ(v.data(z, 2, 3), static_cast<float>(z + 1));  // slice_<z+1>
  // A damaged slice outside the region is never opened.
  { std::ofstream(dir / "slice_9.tif") << "not a tiff"; }
  const LoadedVolume part = read_volume({dir.path(), std::nullopt, parse_roi("0:4,:,:")});
  EXPECT_EQ(part.data.extent(0), 4u);
  EXPECT_EQ(part.data(3, 0, 0), 4.0f);
  expect_error(
      [&] {
        read_volume({dir.path(), std::nullopt, std::nullopt});
      },
      ErrorKind::BadData, {"slice_9.tif"});
}

TEST(VolumeInput, PicksTheDatasetAndSaysWhyNot) {
  TempDir dir;
  // The only 3-D dataset, beside a 1-D one.
  write_h5(dir / "one.h5", "float32", "/entry/volume", "    f['angles'] = np.arange(4.0)\n");
  const LoadedVolume v = read_volume({dir / "one.h5", std::nullopt, std::nullopt});
  EXPECT_EQ(v.info.dataset, "/entry/volume");
  expect_values(v, kWhole, 0.0f);
  // Two 3-D datasets: the user must name one.
  write_h5(dir / "two.h5", "float32", "/a", "    f['b'] = v\n");
  expect_error(
      [&] {
        read_volume({dir / "two.h5", std::nullopt, std::nullopt});
      },
      ErrorKind::Usage, {"two.h5", "/a", "/b", "--dataset"});
  EXPECT_EQ(read_volume({dir / "two.h5", std::string("/b"), std::nullopt}).info.dataset, "/b");
  expect_error(
      [&] {
        read_volume({dir / "two.h5", std::string("/c"), std::nullopt});
      },
      ErrorKind::BadData, {"two.h5:/c"});
}

TEST(VolumeInput, RefusesWhatIsNotAVolumeWithOneLine) {
  TempDir dir;
  const auto h5 = [&](const std::string& name, const std::string& code) {
    python_ok("import sys, h5py, numpy as np\nwith h5py.File(sys.argv[1], 'w') as f:\n    " + code,
              {(dir / name).string()});
    return VolumeInput{dir / name, std::nullopt, std::nullopt};
  };
  expect_error([&] { read_volume(h5("i64.h5", "f['v'] = np.zeros((4, 4, 4), np.int64)")); },
               ErrorKind::BadData, {"i64.h5", "int64"});
  expect_error([&] { read_volume(h5("c64.h5", "f['v'] = np.zeros((4, 4, 4), np.complex64)")); },
               ErrorKind::BadData, {"c64.h5", "complex64"});
  expect_error([&] { read_volume(h5("u32.h5", "f['v'] = np.zeros((4, 4, 4), np.uint32)")); },
               ErrorKind::BadData, {"u32.h5", "uint32"});
  expect_error([&] { read_volume(h5("flat.h5", "f['v'] = np.zeros((4, 4), np.float32)")); },
               ErrorKind::BadData, {"flat.h5", "2-D"});
  expect_error([&] { read_volume(h5("empty.h5", "f['v'] = np.zeros((0, 4, 4), np.float32)")); },
               ErrorKind::BadData, {"empty.h5", "empty"});

  python_ok(R"(
import sys, os, numpy as np, tifffile
d = sys.argv[1]
tifffile.imwrite(os.path.join(d, 'rgb.tif'), np.zeros((8, 8, 3), np.uint8), photometric='rgb')
tifffile.imwrite(os.path.join(d, 'i32.tif'), np.zeros((2, 8, 8), np.int32))
tifffile.imwrite(os.path.join(d, 'cplx.tif'), np.zeros((2, 8, 8), np.complex64))
)",
            {dir.path().string()});
  expect_error(
      [&] {
        read_volume({dir / "rgb.tif", std::nullopt, std::nullopt});
      },
      ErrorKind::BadData, {"rgb.tif", "RGB"});
  expect_error(
      [&] {
        read_volume({dir / "i32.tif", std::nullopt, std::nullopt});
      },
      ErrorKind::BadData, {"i32.tif", "int32"});
  expect_error(
      [&] {
        read_volume({dir / "cplx.tif", std::nullopt, std::nullopt});
      },
      ErrorKind::BadData, {"cplx.tif", "complex"});

  expect_error(
      [&] {
        read_volume({dir / "absent.h5", std::nullopt, std::nullopt});
      },
      ErrorKind::InputMissing, {"absent.h5"});
  fs::create_directory(dir / "nothing");
  expect_error(
      [&] {
        read_volume({dir / "nothing", std::nullopt, std::nullopt});
      },
      ErrorKind::BadData, {"nothing", "no volume"});
  // A region outside the volume.
  write_h5(dir / "ok.h5", "float32", "/exchange/data");
  expect_error(
      [&] {
        read_volume({dir / "ok.h5", std::nullopt, parse_roi("0:7,:,:")});
      },
      ErrorKind::Usage, {"--roi", "6 x 5 x 7"});
}

TEST(VolumeInput, VoxelSizeUnitsAndUint16ScaleFromTheFile) {
  TempDir dir;
  // xct recon's HDF5 attributes: voxel_size with voxel_size_units, a uint16 volume stored as
  // offset + scale * sample.
  write_h5(dir / "rec.h5", "uint16", "/exchange/data",
           "    d.attrs['voxel_size'] = 0.65\n    d.attrs['voxel_size_units'] = 'um'\n"
           "    d.attrs['units'] = '1/cm'\n    d.attrs['value_offset'] = -1.0\n"
           "    d.attrs['value_scale'] = 0.5\n");
  const LoadedVolume rec = read_volume({dir / "rec.h5", std::nullopt, std::nullopt});
  EXPECT_DOUBLE_EQ(rec.info.voxel_size_um.value_or(0), 0.65);
  EXPECT_EQ(rec.info.voxel_size_from, "hdf5 attribute");
  EXPECT_EQ(rec.info.units, "1/cm");
  // Stored value(z,y,x) + 100, read back as -1 + 0.5 * sample.
  EXPECT_FLOAT_EQ(rec.data(1, 2, 3), -1.0f + 0.5f * (value(1, 2, 3) + kUnsignedOffset));
  // The simulator's truth names it voxel_size_um.
  write_h5(dir / "truth.h5", "float32", "/attenuation", "    d.attrs['voxel_size_um'] = 1.3\n");
  EXPECT_DOUBLE_EQ(
      read_volume({dir / "truth.h5", std::nullopt, std::nullopt}).info.voxel_size_um.value_or(0),
      1.3);
  // TIFF slices by xct: the ImageDescription.
  fs::create_directory(dir / "slices");
  HostArray<float, 2> slice({kNy, kNx}, 1.5f);
  for (std::size_t z = 0; z < 3; ++z)
    write_tiff_float(dir / "slices" / ("recon_0000" + std::to_string(z) + ".tiff"), slice.cview(),
                     "xct reconstruction; units=1/cm; voxel_size_um=2.5");
  const VolumeInfo tiff = describe_volume({dir / "slices", std::nullopt, std::nullopt});
  EXPECT_DOUBLE_EQ(tiff.voxel_size_um.value_or(0), 2.5);
  EXPECT_EQ(tiff.voxel_size_from, "tiff description");
  EXPECT_EQ(tiff.units, "1/cm");
  // Slices without a description: report.json of xct recon beside them.
  fs::create_directory(dir / "plain");
  for (std::size_t z = 0; z < 3; ++z)
    write_tiff_float(dir / "plain" / ("recon_0000" + std::to_string(z) + ".tiff"), slice.cview());
  { std::ofstream(dir / "plain" / "report.json") << R"({"output": {"voxel_size_um": 5.2}})"; }
  const VolumeInfo plain = describe_volume({dir / "plain", std::nullopt, std::nullopt});
  EXPECT_DOUBLE_EQ(plain.voxel_size_um.value_or(0), 5.2);
  EXPECT_EQ(plain.voxel_size_from, "report.json");
  EXPECT_EQ(plain.nz, 3u);
}

TEST(VolumeInput, ParsesRegions) {
  EXPECT_EQ(parse_roi("1:5,2:6,3:7"), (Roi{1, 5, 2, 6, 3, 7}));
  const Roi open = parse_roi(":,10:,:20");
  EXPECT_EQ(open.z0, 0u);
  EXPECT_EQ(open.y0, 10u);
  EXPECT_EQ(open.x1, 20u);
  EXPECT_EQ(open.z1, SIZE_MAX);  // closed against the volume when read
  for (const char* bad :
       {"", "1:5,2:6", "1:5,2:6,3:7,4:8", "a:5,2:6,3:7", "1-5,2:6,3:7", "-1:5,2:6,3:7"})
    EXPECT_EQ(test::thrown_kind([&] { parse_roi(bad); }), ErrorKind::Usage) << bad;
}

// Labels with a pattern the oracles recompute: (z + 2y + 3x) mod 9.
HostArray<std::uint8_t, 3> label_pattern(std::size_t nz, std::size_t ny, std::size_t nx) {
  HostArray<std::uint8_t, 3> l({nz, ny, nx});
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x)
        l(z, y, x) = static_cast<std::uint8_t>((z + 2 * y + 3 * x) % kLabelCount);
  return l;
}

std::vector<std::string> leftovers(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename().string().front() == '.') names.push_back(e.path().string());
  return names;
}

TEST(LabelWriter, TiffStackReadBackByTifffile) {
  TempDir dir;
  const auto labels = label_pattern(kNz, kNy, kNx);
  LabelMeta meta;
  meta.voxel_size_um = 1.3;
  const auto files = write_labels(dir / "out", "tiff", labels.cview(), meta);
  ASSERT_EQ(files.size(), kNz);
  EXPECT_EQ(files.front().filename(), "labels_00000.tif");
  EXPECT_EQ(files.back().filename(), "labels_00005.tif");
  EXPECT_TRUE(leftovers(dir / "out").empty());
  python_ok(R"(
import sys, glob, os, numpy as np, tifffile
files = sorted(glob.glob(os.path.join(sys.argv[1], 'labels_*.tif')))
assert len(files) == 6, files
v = np.stack([tifffile.imread(f) for f in files])
assert v.dtype == np.uint8, v.dtype
z, y, x = np.meshgrid(np.arange(6), np.arange(5), np.arange(7), indexing='ij')
assert (v == (z + 2 * y + 3 * x) % 9).all()
desc = tifffile.TiffFile(files[0]).pages[0].description
assert 'voxel_size_um=1.3' in desc and '2 nak' in desc, desc
)",
            {(dir / "out").string()});
  const auto back = read_labels(dir / "out");
  ASSERT_EQ(back.shape(), labels.shape());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), labels.begin()));
}

TEST(LabelWriter, Hdf5ReadBackByH5py) {
  TempDir dir;
  const auto labels = label_pattern(kNz, kNy, kNx);
  LabelMeta meta;
  meta.voxel_size_um = 0.65;
  meta.command = "xct segment vol.h5";
  const auto files = write_labels(dir.path(), "h5", labels.cview(), meta);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0], dir / "labels.h5");
  EXPECT_TRUE(leftovers(dir.path()).empty());
  python_ok(R"(
import sys, json, h5py, numpy as np
with h5py.File(sys.argv[1], 'r') as f:
    d = f['labels']
    assert d.dtype == np.uint8 and d.shape == (6, 5, 7), (d.dtype, d.shape)
    assert d.chunks == (1, 5, 7), d.chunks
    z, y, x = np.meshgrid(np.arange(6), np.arange(5), np.arange(7), indexing='ij')
    assert (d[...] == (z + 2 * y + 3 * x) % 9).all()
    names = json.loads(d.attrs['label_names'])
    assert names[2] == 'nak' and names[4] == 'crack' and len(names) == 9, names
    assert d.attrs['axes'] == 'z:y:x'
    assert abs(d.attrs['voxel_size_um'] - 0.65) < 1e-12
    assert d.attrs['command'] == 'xct segment vol.h5'
)",
            {(dir / "labels.h5").string()});
  const auto back = read_labels(dir / "labels.h5");
  ASSERT_EQ(back.shape(), labels.shape());
  EXPECT_TRUE(std::equal(back.begin(), back.end(), labels.begin()));
}

TEST(LabelWriter, NamesWidenForLongStacksAndFormatsAreChecked) {
  const std::size_t kFiveDigitLimit = 100000;  // slices 0..99999 fit five digits
  EXPECT_EQ(label_slice_path("d", 7, kFiveDigitLimit).filename(), "labels_00007.tif");
  EXPECT_EQ(label_slice_path("d", 7, kFiveDigitLimit + 1).filename(), "labels_000007.tif");
  TempDir dir;
  const auto labels = label_pattern(2, 2, 2);
  EXPECT_EQ(test::thrown_kind([&] { write_labels(dir.path(), "png", labels.cview(), {}); }),
            ErrorKind::Usage);
}

}  // namespace
}  // namespace xct::seg
