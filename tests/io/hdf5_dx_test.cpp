// Data Exchange: the writer and the reader agree bit for bit, partial reads equal the same part
// of a full read, and a file written independently by h5py reads as h5py wrote it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <vector>

#include "core/geometry.hpp"
#include "io/dx_writer.hpp"
#include "io/hdf5_scan.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

using test::TempDir;

// A value per (frame, row, col) that differs between neighbours and, for uint16, needs more
// than 8 bits; `seed` tells stacks apart.
template <typename T>
T sample(std::size_t f, std::size_t r, std::size_t c, std::size_t seed) {
  if constexpr (std::is_same_v<T, std::uint8_t>) {
    return static_cast<T>((f * 7 + r * 3 + c + seed * 11) % 251);
  } else if constexpr (std::is_same_v<T, std::uint16_t>) {
    return static_cast<T>((f * 1009 + r * 131 + c * 7 + seed * 4099) % 65536);
  } else {
    return static_cast<T>(f) * 0.5f + static_cast<T>(r) * 0.25f - static_cast<T>(c) * 1.125f +
           1e-3f * static_cast<T>(f * r + seed);
  }
}

template <typename T>
std::vector<T> make_stack(std::size_t n, std::size_t rows, std::size_t cols, std::size_t seed) {
  std::vector<T> v(n * rows * cols);
  for (std::size_t f = 0; f < n; ++f)
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t c = 0; c < cols; ++c)
        v[(f * rows + r) * cols + c] = sample<T>(f, r, c, seed);
  return v;
}

template <typename T>
FrameStack stack_of(const std::vector<T>& v, std::size_t n, std::size_t rows, std::size_t cols) {
  return FrameStack{dtype_of<T>(), v.data(), n, rows, cols};
}

// Odd sizes on purpose: nothing divides evenly into the read ranges used below.
constexpr std::size_t kProj = 7, kRows = 5, kCols = 9, kFlats = 3, kDarks = 2;

template <typename T>
class DxRoundTrip : public ::testing::Test {};
using SampleTypes = ::testing::Types<std::uint8_t, std::uint16_t, float>;
TYPED_TEST_SUITE(DxRoundTrip, SampleTypes);

TYPED_TEST(DxRoundTrip, EveryValueAndTheMetadataComeBackExactly) {
  using T = TypeParam;
  TempDir dir;
  const auto proj = make_stack<T>(kProj, kRows, kCols, 0);
  const auto flats = make_stack<T>(kFlats, kRows, kCols, 1);
  const auto darks = make_stack<T>(kDarks, kRows, kCols, 2);
  DxScan scan;
  scan.projections = stack_of(proj, kProj, kRows, kCols);
  scan.flats = stack_of(flats, kFlats, kRows, kCols);
  scan.darks = stack_of(darks, kDarks, kRows, kCols);
  scan.theta_deg = angle_range(0.0, 180.0, kProj, true);  // both end points
  scan.pixel_size_um = 0.65;
  scan.energy_kev = 25.0;
  scan.distance_mm = 120.0;
  const auto file = dir / "scan.h5";
  write_data_exchange(file, scan);

  EXPECT_EQ(detect_hdf5_layout(file), LayoutSpec::Kind::DataExchange);
  auto reader = open_data_exchange(file, LayoutSpec{}, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.layout, "data-exchange");
  EXPECT_EQ(info.n_proj(), kProj);
  EXPECT_EQ(info.n_rows(), kRows);
  EXPECT_EQ(info.n_cols(), kCols);
  EXPECT_EQ(info.projections.dtype, dtype_of<T>());
  EXPECT_EQ(info.projections.where, file.string() + ":/exchange/data");
  EXPECT_TRUE(info.flats.present);
  EXPECT_EQ(info.flats.n_frames, kFlats);
  EXPECT_EQ(info.darks.n_frames, kDarks);
  EXPECT_TRUE(info.problems.empty());
  // theta is stored as float64 degrees, so the values come back unchanged.
  EXPECT_EQ(info.angles_as_stored, scan.theta_deg);
  EXPECT_TRUE(info.angles_stored_in_degrees);
  ASSERT_EQ(info.angles_rad.size(), kProj);
  EXPECT_NEAR(info.angles_rad.back(), kPi, 1e-12);  // the last angle is the end point
  EXPECT_DOUBLE_EQ(info.pixel_size_um.value_or(0), 0.65);
  EXPECT_DOUBLE_EQ(info.energy_kev.value_or(0), 25.0);
  EXPECT_DOUBLE_EQ(info.distance_mm.value_or(0), 120.0);

  const auto all = reader->template read_projections<T>(Range{0, kProj}, Range{0, kRows});
  EXPECT_EQ(std::memcmp(all.data(), proj.data(), proj.size() * sizeof(T)), 0);
  std::vector<T> got(flats.size());
  reader->read_frames(FrameRole::Flat, {0, kFlats}, {0, kRows}, dtype_of<T>(), got.data());
  EXPECT_EQ(std::memcmp(got.data(), flats.data(), flats.size() * sizeof(T)), 0);
  // Darks widened to float32 keep their values (every sample type converts exactly).
  const auto dark_f = reader->read_darks(Range{0, kRows});
  for (std::size_t i = 0; i < darks.size(); ++i) {
    ASSERT_EQ(dark_f.data()[i], static_cast<float>(darks[i])) << "dark sample " << i;
  }
}

TEST(DxWriter, ThetaWithoutTheEndPointIsStoredAsGiven) {
  TempDir dir;
  const auto proj = make_stack<std::uint16_t>(kProj, kRows, kCols, 0);
  DxScan scan;
  scan.projections = stack_of(proj, kProj, kRows, kCols);
  scan.theta_deg = angle_range(0.0, 180.0, kProj, false);
  write_data_exchange(dir / "scan.h5", scan);
  auto reader = open_data_exchange(dir / "scan.h5", LayoutSpec{}, null_logger());
  EXPECT_EQ(reader->info().angles_as_stored, scan.theta_deg);
  // Without the end point the last angle is one step (180/7 degrees) short of 180.
  EXPECT_NEAR(reader->info().angles_as_stored.back(), 180.0 - 180.0 / kProj, 1e-9);
  EXPECT_FALSE(reader->info().flats.present);  // no data_white written
  EXPECT_FALSE(reader->info().darks.present);
}

TEST(DxWriter, NoThetaMeansNoAngles) {
  TempDir dir;
  const auto proj = make_stack<std::uint8_t>(2, 3, 4, 0);
  DxScan scan;
  scan.projections = stack_of(proj, 2, 3, 4);
  write_data_exchange(dir / "scan.h5", scan);
  auto reader = open_data_exchange(dir / "scan.h5", LayoutSpec{}, null_logger());
  EXPECT_TRUE(reader->info().angles_rad.empty());  // never invented
  EXPECT_FALSE(reader->info().pixel_size_um.has_value());
}

TEST(DxReader, ProjectionAndRowRangesEqualTheSamePartOfAFullRead) {
  TempDir dir;
  const auto proj = make_stack<std::uint16_t>(kProj, kRows, kCols, 0);
  DxScan scan;
  scan.projections = stack_of(proj, kProj, kRows, kCols);
  write_data_exchange(dir / "scan.h5", scan);
  auto reader = open_data_exchange(dir / "scan.h5", LayoutSpec{}, null_logger());
  const auto full = reader->read_projections<float>(Range{0, kProj}, Range{0, kRows});
  // Blocks of 3 projections x 2 rows: the last of each is partial (1 projection, 1 row).
  for (std::size_t p0 = 0; p0 < kProj; p0 += 3) {
    for (std::size_t r0 = 0; r0 < kRows; r0 += 2) {
      const Range p{p0, std::min(p0 + 3, kProj)}, r{r0, std::min(r0 + 2, kRows)};
      const auto part = reader->read_projections<float>(p, r);
      for (std::size_t a = 0; a < p.size(); ++a)
        for (std::size_t y = 0; y < r.size(); ++y)
          for (std::size_t x = 0; x < kCols; ++x)
            ASSERT_EQ(part(a, y, x), full(p.begin + a, r.begin + y, x))
                << "projection " << p.begin + a << " row " << r.begin + y << " col " << x;
    }
  }
}

TEST(DxReader, RefusesALossyConversion) {
  TempDir dir;
  const auto proj = make_stack<float>(2, 3, 4, 0);
  DxScan scan;
  scan.projections = stack_of(proj, 2, 3, 4);
  write_data_exchange(dir / "scan.h5", scan);
  auto reader = open_data_exchange(dir / "scan.h5", LayoutSpec{}, null_logger());
  std::vector<std::uint16_t> out(2 * 3 * 4);
  test::expect_error(
      [&] {
        reader->read_frames(FrameRole::Projection, {0, 2}, {0, 3}, DType::UInt16, out.data());
      },
      ErrorKind::BadData, {"float32", "uint16"});
}

TEST(DxWriter, H5pySeesTheDataExchangeConventions) {
  TempDir dir;
  const auto proj = make_stack<std::uint16_t>(kProj, kRows, kCols, 0);
  DxScan scan;
  scan.projections = stack_of(proj, kProj, kRows, kCols);
  scan.theta_deg = angle_range(0.0, 180.0, kProj, true);
  scan.pixel_size_um = 1.3;
  write_data_exchange(dir / "scan.h5", scan);
  // The oracle asserts one frame per chunk, the attributes, float64 theta in degrees, and
  // the `implements` string.
  test::python_ok(R"(
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], 'r') as f:
    d = f['/exchange/data']
    assert d.dtype == np.uint16 and d.shape == (7, 5, 9), (d.dtype, d.shape)
    assert d.chunks == (1, 5, 9), d.chunks
    assert d.attrs['axes'] == 'theta:y:x' and d.attrs['units'] == 'counts', dict(d.attrs)
    t = f['/exchange/theta']
    assert t.dtype == np.float64 and t.attrs['units'] == 'degrees'
    assert abs(t[-1] - 180.0) < 1e-12
    assert f['/implements'][()].decode() == 'exchange:measurement'
    p = f['/measurement/instrument/detector/pixel_size']
    assert p[()] == 1.3 and p.attrs['units'] == 'um'
    assert int(d[6, 4, 8]) == (6 * 1009 + 4 * 131 + 8 * 7) % 65536
)",
                  {(dir / "scan.h5").string()});
}

// A file written by h5py with its own chunking, gzip, a big-endian uint16 stack, float32
// flats, uint8 darks, float32 theta and metadata in other units at the APS tomoscan paths.
TEST(DxReader, ReadsAFileWrittenByH5py) {
  TempDir dir;
  test::python_ok(R"(
import sys, h5py, numpy as np
n, rows, cols = 6, 7, 11
f_, r_, c_ = np.meshgrid(np.arange(n), np.arange(rows), np.arange(cols), indexing='ij')
data = ((f_ * 1009 + r_ * 131 + c_ * 7) % 65536).astype('>u2')
white = (1000.5 + r_[:2] * 10 + c_[:2]).astype(np.float32)
dark = ((f_[:3] + r_[:3] + c_[:3]) % 7).astype(np.uint8)
with h5py.File(sys.argv[1] + '/py.h5', 'w') as f:
    f.create_dataset('exchange/data', data=data, chunks=(2, 3, 4), compression='gzip')
    f.create_dataset('exchange/data_white', data=white, chunks=(1, 7, 11))
    f['exchange/data_dark'] = dark
    f['exchange/theta'] = np.linspace(0, 180, n, endpoint=False).astype(np.float32)
    f['measurement/instrument/detection_system/objective/resolution'] = 0.0013
    f['measurement/instrument/detection_system/objective/resolution'].attrs['units'] = 'mm'
    f['measurement/instrument/monochromator/energy'] = 25000.0
    f['measurement/instrument/monochromator/energy'].attrs['units'] = 'eV'
    f['measurement/instrument/detector/distance'] = 0.1
    f['measurement/instrument/detector/distance'].attrs['units'] = 'm'
data.astype('<u2').tofile(sys.argv[1] + '/py.bin')
)",
                  {dir.path().string()});
  auto reader = open_data_exchange(dir / "py.h5", LayoutSpec{}, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.n_proj(), 6u);
  EXPECT_EQ(info.n_rows(), 7u);
  EXPECT_EQ(info.n_cols(), 11u);
  EXPECT_EQ(info.projections.dtype, DType::UInt16);
  EXPECT_EQ(info.flats.dtype, DType::Float32);
  EXPECT_EQ(info.flats.n_frames, 2u);
  EXPECT_EQ(info.darks.dtype, DType::UInt8);
  EXPECT_EQ(info.darks.n_frames, 3u);
  ASSERT_EQ(info.angles_as_stored.size(), 6u);
  EXPECT_DOUBLE_EQ(info.angles_as_stored[1], 30.0);        // 180/6 degrees, exact in float32
  EXPECT_NEAR(info.pixel_size_um.value_or(0), 1.3, 1e-9);  // 0.0013 mm
  EXPECT_NEAR(info.energy_kev.value_or(0), 25.0, 1e-9);    // 25000 eV
  EXPECT_NEAR(info.distance_mm.value_or(0), 100.0, 1e-9);  // 0.1 m

  const auto all = reader->read_projections<std::uint16_t>(Range{0, 6}, Range{0, 7});
  const auto raw = test::read_binary(dir / "py.bin");
  ASSERT_EQ(raw.size(), all.size() * 2);
  EXPECT_EQ(std::memcmp(raw.data(), all.data(), raw.size()), 0);  // little-endian host
  for (std::size_t f = 0; f < 6; ++f)
    for (std::size_t r = 0; r < 7; ++r)
      for (std::size_t c = 0; c < 11; ++c)
        ASSERT_EQ(all(f, r, c), (f * 1009 + r * 131 + c * 7) % 65536);
  const auto flats = reader->read_flats(Range{2, 5});
  EXPECT_EQ(flats(1, 0, 3), 1000.5f + 2 * 10 + 3);  // flat 1, row 2, col 3
  const auto darks = reader->read_darks(Range{0, 7});
  EXPECT_EQ(darks(2, 6, 10), static_cast<float>((2 + 6 + 10) % 7));
}

TEST(DxReader, SpecOverridesTheFile) {
  TempDir dir;
  const auto proj = make_stack<std::uint16_t>(kProj, kRows, kCols, 0);
  const auto other = make_stack<std::uint16_t>(4, kRows, kCols, 5);
  DxScan scan;
  scan.projections = stack_of(proj, kProj, kRows, kCols);
  scan.theta_deg = angle_range(0.0, 180.0, kProj, true);
  scan.pixel_size_um = 0.65;
  write_data_exchange(dir / "scan.h5", scan);
  DxScan flat_scan;
  flat_scan.projections = stack_of(other, 4, kRows, kCols);
  write_data_exchange(dir / "flats.h5", flat_scan);

  LayoutSpec spec;
  spec.flats = RoleSpec{"flats.h5", "/exchange/data"};  // relative to the scan's folder
  spec.angles.kind = AngleSpec::Kind::Range;
  spec.angles.start = 0;
  spec.angles.stop = 360;
  spec.angles.endpoint = false;
  spec.pixel_size_um = 2.0;
  auto reader = open_data_exchange(dir / "scan.h5", spec, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.flats.n_frames, 4u);
  EXPECT_EQ(info.flats.where, (dir / "flats.h5").string() + ":/exchange/data");
  EXPECT_DOUBLE_EQ(info.pixel_size_um.value_or(0), 2.0);
  ASSERT_EQ(info.angles_as_stored.size(), kProj);  // count 0: one per projection
  EXPECT_NEAR(info.angles_as_stored[1], 360.0 / kProj, 1e-9);
  std::vector<std::uint16_t> got(kRows * kCols);
  reader->read_frames(FrameRole::Flat, {3, 4}, {0, kRows}, DType::UInt16, got.data());
  EXPECT_EQ(std::memcmp(got.data(), other.data() + 3 * kRows * kCols, got.size() * 2), 0);
}

TEST(Hdf5Detect, SignatureAndLayout) {
  TempDir dir;
  std::ofstream(dir / "notes.txt") << "not hdf5\n";
  EXPECT_FALSE(is_hdf5_file(dir / "notes.txt"));
  EXPECT_FALSE(is_hdf5_file(dir / "absent.h5"));
  EXPECT_FALSE(is_hdf5_file(dir.path()));  // a folder
  test::python_ok("import sys, h5py\nh5py.File(sys.argv[1], 'w')['x'] = [1, 2]\n",
                  {(dir / "other.h5").string()});
  EXPECT_TRUE(is_hdf5_file(dir / "other.h5"));
  test::expect_error([&] { detect_hdf5_layout(dir / "other.h5"); }, ErrorKind::BadData,
                     {"other.h5", "neither"});
}

}  // namespace
}  // namespace xct
