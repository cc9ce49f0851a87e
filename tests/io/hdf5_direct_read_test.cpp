// Direct reads of uncompressed HDF5 stacks (io/hdf5_direct.hpp): wherever the reader takes the
// pread path it returns exactly the bytes H5Dread returns, for frame and row ranges that start
// and end inside chunks, on partial edge chunks, the last rows and single rows; the path is
// taken where it applies (counted), and everything it does not serve (compression, another
// byte order, a conversion, unallocated chunks, a user block) still reads through HDF5.
//
// The files are written by h5py. Every stack holds value(f, r, c) = f * 1009 + r * 131 + c * 7
// (mod 65536 for uint16, mod 251 for uint8, * 0.5 + 0.25 for float32), so a value read names
// the sample it came from.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <ostream>
#include <type_traits>
#include <vector>

#include "io/hdf5.hpp"
#include "io/hdf5_reader.hpp"
#include "io/hdf5_scan.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;
using hdf5_detail::Hdf5ScanReader;
using test::TempDir;

// Odd sizes: no chunk extent divides them.
constexpr std::size_t kFrames = 7, kRows = 13, kCols = 11;

const char* const kPrelude = R"(
import sys, os, h5py, numpy as np
def stack(n, rows, cols, dtype='<u2'):
    f = np.arange(n)[:, None, None]
    r = np.arange(rows)[None, :, None]
    c = np.arange(cols)[None, None, :]
    v = f * 1009 + r * 131 + c * 7
    dt = np.dtype(dtype)
    if dt.kind == 'f':
        return (v * 0.5 + 0.25).astype(dtype)
    if dt.itemsize == 1:
        return (v % 251).astype(dtype)
    return (v % 65536).astype(dtype)
path = sys.argv[1]
data = stack(7, 13, 11)
)";

template <typename T>
T value(std::size_t f, std::size_t r, std::size_t c) {
  const std::size_t v = f * 1009 + r * 131 + c * 7;
  if constexpr (std::is_same_v<T, float>) {
    return static_cast<float>(v) * 0.5f + 0.25f;
  } else if constexpr (std::is_same_v<T, std::uint8_t>) {
    return static_cast<T>(v % 251);
  } else {
    return static_cast<T>(v % 65536);
  }
}

// Runs `body` after the prelude with the file's path as argv[1].
void write_file(const fs::path& file, const std::string& body) {
  test::python_ok(std::string(kPrelude) + body, {file.string()});
}

Hdf5ScanReader& hdf5_reader(ScanReader& reader) {
  auto* r = dynamic_cast<Hdf5ScanReader*>(&reader);
  if (r == nullptr) throw std::runtime_error("not an HDF5 scan reader");
  return *r;
}

// Frame and row ranges that start and end inside chunks of every chunking used below, the
// whole stack, the last frame, the last rows and a single row.
const std::vector<Range> kFrameRanges = {{0, kFrames}, {0, 1}, {2, 5}, {3, 7}, {6, 7}};
const std::vector<Range> kRowRanges = {{0, kRows}, {12, 13}, {6, 7}, {3, 9}, {5, 13}, {0, 4}};

// Reads every combination of `frames` and `rows` of `role` through the reader and through
// H5Dread (h5::read_block) of `dataset` in `file`, each into a buffer poisoned first, and
// expects the same bytes. Returns how many reads the reader served directly.
template <typename T>
std::size_t expect_same_as_h5dread(ScanReader& reader, FrameRole role, const fs::path& file,
                                   const std::string& dataset,
                                   const std::vector<Range>& frame_ranges = kFrameRanges,
                                   const std::vector<Range>& row_ranges = kRowRanges) {
  Hdf5ScanReader& r = hdf5_reader(reader);
  const std::size_t direct_before = r.direct_reads(role);
  const h5::File f = h5::open_file(file);
  const h5::Dataset d = h5::open_dataset(f, dataset);
  const bool rank2 = h5::dataset_info(d).rank() == 2;
  const std::size_t cols = reader.stack(role).n_cols;
  for (const Range& fr : frame_ranges) {
    for (const Range& rr : row_ranges) {
      const std::size_t n = fr.size() * rr.size() * cols;
      std::vector<T> got(n), want(n);
      std::memset(got.data(), 0xA5, n * sizeof(T));
      std::memset(want.data(), 0x5A, n * sizeof(T));
      reader.read_frames(role, fr, rr, dtype_of<T>(), got.data());
      if (rank2) {
        h5::read_block(d, {rr.begin, 0}, {rr.size(), cols}, h5::native_type(dtype_of<T>()),
                       want.data());
      } else {
        h5::read_block(d, {fr.begin, rr.begin, 0}, {fr.size(), rr.size(), cols},
                       h5::native_type(dtype_of<T>()), want.data());
      }
      EXPECT_EQ(std::memcmp(got.data(), want.data(), n * sizeof(T)), 0)
          << role_name(role) << " frames " << fr.begin << ".." << fr.end << " rows " << rr.begin
          << ".." << rr.end;
    }
  }
  return r.direct_reads(role) - direct_before;
}

// Expects the whole stack of `role` (all frames, all rows), stored as `Stored` and read as T,
// to hold value(f, r, c).
template <typename T, typename Stored = T>
void expect_values(ScanReader& reader, FrameRole role, std::size_t first_frame = 0) {
  const StackInfo& s = reader.stack(role);
  std::vector<T> got(s.n_frames * s.n_rows * s.n_cols);
  reader.read_frames(role, {0, s.n_frames}, {0, s.n_rows}, dtype_of<T>(), got.data());
  std::size_t wrong = 0;
  for (std::size_t f = 0; f < s.n_frames; ++f)
    for (std::size_t r = 0; r < s.n_rows; ++r)
      for (std::size_t c = 0; c < s.n_cols; ++c)
        wrong += got[(f * s.n_rows + r) * s.n_cols + c] !=
                 static_cast<T>(value<Stored>(first_frame + f, r, c));
  EXPECT_EQ(wrong, 0u) << role_name(role);
}

std::size_t n_reads() {
  return kFrameRanges.size() * kRowRanges.size();
}

std::unique_ptr<ScanReader> open(const fs::path& file) {
  return open_data_exchange(file, LayoutSpec{}, null_logger());
}

// ---- the direct path: chunked and contiguous ----------------------------------------------

struct Layout {
  const char* name;
  const char* create;  // h5py arguments after the data
};

void PrintTo(const Layout& layout, std::ostream* os) {
  *os << layout.name;
}

class DirectLayouts : public ::testing::TestWithParam<Layout> {};

TEST_P(DirectLayouts, ReturnsExactlyWhatH5DreadReturnsAndIsTaken) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  write_file(file, std::string(R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data)" +
                               std::string(GetParam().create) + R"()
)"));
  auto reader = open(file);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      n_reads());
  expect_values<std::uint16_t>(*reader, FrameRole::Projection);
}

INSTANTIATE_TEST_SUITE_P(
    Hdf5DirectRead, DirectLayouts,
    ::testing::Values(Layout{"OneFramePerChunk", ", chunks=(1, 13, 11)"},
                      // Partial edge chunks on both axes: 7 = 4 + 3 frames, 13 = 7 + 6 rows.
                      Layout{"FourFramesHalfTheRows", ", chunks=(4, 7, 11)"},
                      // 13 = 4 + 4 + 4 + 1 rows: the last chunk holds one row.
                      Layout{"AThirdOfTheRows", ", chunks=(1, 4, 11)"}, Layout{"Contiguous", ""}),
    [](const ::testing::TestParamInfo<Layout>& p) { return std::string(p.param.name); });

TEST(Hdf5DirectRead, LatestFileFormatIndexesAreReadDirectly) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  // Fixed-size (fixed array index), resizable (extensible array) and two unlimited axes
  // (version 2 B-tree), each in the newest format.
  write_file(file, R"(
with h5py.File(path, 'w', libver='latest') as f:
    f.create_dataset('exchange/data', data=data, chunks=(2, 5, 11))
    f.create_dataset('exchange/data_white', data=data[:3], chunks=(1, 13, 11),
                     maxshape=(None, 13, 11))
    f.create_dataset('exchange/data_dark', data=data[:2], chunks=(1, 13, 11),
                     maxshape=(None, None, 11))
)");
  auto reader = open(file);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      n_reads());
  const std::vector<Range> flat_frames = {{0, 3}, {1, 2}, {2, 3}};
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Flat, file,
                                                  "/exchange/data_white", flat_frames),
            flat_frames.size() * kRowRanges.size());
  const std::vector<Range> dark_frames = {{0, 2}, {1, 2}};
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Dark, file,
                                                  "/exchange/data_dark", dark_frames),
            dark_frames.size() * kRowRanges.size());
  expect_values<std::uint16_t>(*reader, FrameRole::Flat);
  expect_values<std::uint16_t>(*reader, FrameRole::Dark);

  // Chunks allocated when the dataset is made (implicit index): the frames never written hold
  // the fill value in the file and are read directly too.
  const fs::path early = dir / "early.h5";
  write_file(early, R"(
dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
with h5py.File(path, 'w', libver='latest') as f:
    d = f.create_dataset('exchange/data', shape=data.shape, dtype='<u2', chunks=(1, 4, 11),
                         fillvalue=3, dcpl=dcpl)
    d[1:6] = data[1:6]
)");
  auto early_reader = open(early);
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*early_reader, FrameRole::Projection, early,
                                                  "/exchange/data"),
            n_reads());
}

TEST(Hdf5DirectRead, EverySampleTypeAndASingleFrameFlatAreReadDirectly) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  // float32 projections, uint8 flats (rank 3, contiguous), one uint8 dark frame of rank 2.
  write_file(file, R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=stack(7, 13, 11, '<f4'), chunks=(1, 4, 11))
    f.create_dataset('exchange/data_white', data=stack(3, 13, 11, 'u1'))
    f.create_dataset('exchange/data_dark', data=stack(1, 13, 11, 'u1')[0], chunks=(5, 11))
)");
  auto reader = open(file);
  EXPECT_EQ(expect_same_as_h5dread<float>(*reader, FrameRole::Projection, file, "/exchange/data"),
            n_reads());
  expect_values<float>(*reader, FrameRole::Projection);
  const std::vector<Range> flat_frames = {{0, 3}, {2, 3}};
  EXPECT_EQ(expect_same_as_h5dread<std::uint8_t>(*reader, FrameRole::Flat, file,
                                                 "/exchange/data_white", flat_frames),
            flat_frames.size() * kRowRanges.size());
  expect_values<std::uint8_t>(*reader, FrameRole::Flat);
  const std::vector<Range> dark_frames = {{0, 1}};
  EXPECT_EQ(expect_same_as_h5dread<std::uint8_t>(*reader, FrameRole::Dark, file,
                                                 "/exchange/data_dark", dark_frames),
            dark_frames.size() * kRowRanges.size());
  expect_values<std::uint8_t>(*reader, FrameRole::Dark);
}

TEST(Hdf5DirectRead, RunsLongerThanOnePieceAreSplitAndReassembled) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  // Frames of 1.2 MB, contiguous: a read of all rows of several frames is one run in the file,
  // split into pieces of at most 1 MiB that end inside rows.
  write_file(file, R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=stack(3, 600, 1001))
    f.create_dataset('exchange/data_white', data=stack(3, 600, 1001), chunks=(3, 600, 1001))
)");
  auto reader = open(file);
  const std::vector<Range> frames = {{0, 3}, {1, 3}, {2, 3}};
  const std::vector<Range> rows = {{0, 600}, {1, 599}, {599, 600}};
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file,
                                                  "/exchange/data", frames, rows),
            frames.size() * rows.size());
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Flat, file,
                                                  "/exchange/data_white", frames, rows),
            frames.size() * rows.size());
  expect_values<std::uint16_t>(*reader, FrameRole::Projection);
}

// ---- where the direct path does not apply ------------------------------------------------

class FallsBack : public ::testing::TestWithParam<Layout> {};

TEST_P(FallsBack, ToH5DreadWithTheSameBytes) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  write_file(file, GetParam().create);
  auto reader = open(file);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      0u);
  expect_values<std::uint16_t>(*reader, FrameRole::Projection);
}

INSTANTIATE_TEST_SUITE_P(
    Hdf5DirectRead, FallsBack,
    ::testing::Values(Layout{"Compressed", R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data, chunks=(1, 13, 11), compression='gzip')
)"},
                      Layout{"ShuffledOnly", R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data, chunks=(1, 13, 11), shuffle=True)
)"},
                      Layout{"BigEndian", R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data.astype('>u2'), chunks=(1, 13, 11))
)"},
                      Layout{"BigEndianContiguous", R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data.astype('>u2'))
)"},
                      Layout{"ChunksNarrowerThanARow", R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data, chunks=(1, 13, 6))
)"},
                      // Chunk addresses are counted from the end of a user block.
                      Layout{"UserBlock", R"(
with h5py.File(path, 'w', userblock_size=512) as f:
    f.create_dataset('exchange/data', data=data, chunks=(1, 13, 11))
)"},
                      Layout{"UserBlockContiguous", R"(
with h5py.File(path, 'w', userblock_size=1024) as f:
    f.create_dataset('exchange/data', data=data)
)"},
                      Layout{"Compact", R"(
with h5py.File(path, 'w') as f:
    dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
    dcpl.set_layout(h5py.h5d.COMPACT)
    space = h5py.h5s.create_simple(data.shape)
    g = f.create_group('exchange')
    d = h5py.h5d.create(g.id, b'data', h5py.h5t.STD_U16LE, space, dcpl=dcpl)
    d.write(h5py.h5s.ALL, h5py.h5s.ALL, data)
)"}),
    [](const ::testing::TestParamInfo<Layout>& p) { return std::string(p.param.name); });

TEST(Hdf5DirectRead, AConversionFallsBackAndTheStoredTypeStillReadsDirectly) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  write_file(file, R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=data, chunks=(1, 4, 11))
)");
  auto reader = open(file);
  Hdf5ScanReader& r = hdf5_reader(*reader);
  EXPECT_EQ(expect_same_as_h5dread<float>(*reader, FrameRole::Projection, file, "/exchange/data"),
            0u);
  expect_values<float, std::uint16_t>(*reader, FrameRole::Projection);
  EXPECT_EQ(r.direct_reads(FrameRole::Projection), 0u);
  expect_values<std::uint16_t>(*reader, FrameRole::Projection);
  EXPECT_EQ(r.direct_reads(FrameRole::Projection), 1u);
  // Switched off, every read goes through HDF5.
  r.set_direct_reads(false);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      0u);
}

TEST(Hdf5DirectRead, UnallocatedChunksFallBackToTheFillValue) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  // Only frames 0-2 and 6 were written (chunks of one frame); frames 3-5 hold the fill value.
  // The flats, chunked (2, 7, 11), have only rows 0-6 of frames 0-1 written.
  write_file(file, R"(
with h5py.File(path, 'w') as f:
    d = f.create_dataset('exchange/data', shape=data.shape, dtype='<u2', chunks=(1, 13, 11),
                         fillvalue=5)
    d[0:3] = data[0:3]
    d[6] = data[6]
    w = f.create_dataset('exchange/data_white', shape=(4, 13, 11), dtype='<u2',
                         chunks=(2, 7, 11), fillvalue=9)
    w[0:2, 0:7] = data[0:2, 0:7]
)");
  auto reader = open(file);
  Hdf5ScanReader& r = hdf5_reader(*reader);
  // Reads that touch an unallocated chunk go through HDF5; the rest are direct.
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      kRowRanges.size() * 2);  // frames 0..1 and 6..7
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file,
                                                  "/exchange/data", {{0, 3}, {6, 7}}),
            kRowRanges.size() * 2);
  std::vector<std::uint16_t> frame(kRows * kCols);
  reader->read_frames(FrameRole::Projection, {4, 5}, {0, kRows}, DType::UInt16, frame.data());
  EXPECT_EQ(frame.front(), 5);
  EXPECT_EQ(frame.back(), 5);
  const std::size_t before = r.direct_reads(FrameRole::Flat);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Flat, file, "/exchange/data_white",
                                            {{0, 2}, {0, 1}}, {{0, 7}, {3, 5}, {6, 7}}),
      6u);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Flat, file, "/exchange/data_white",
                                            {{0, 4}, {1, 3}}, {{0, 13}, {6, 8}, {12, 13}}),
      0u);
  EXPECT_EQ(r.direct_reads(FrameRole::Flat), before + 6);
}

// ---- where the samples are ----------------------------------------------------------------

TEST(Hdf5DirectRead, ADatasetBehindAnExternalLinkIsReadFromItsOwnFile) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  write_file(file, R"(
os.makedirs(os.path.dirname(path) + '/raw')
with h5py.File(os.path.dirname(path) + '/raw/det.h5', 'w') as f:
    f.create_dataset('entry/data', data=data, chunks=(4, 7, 11))
    f.create_dataset('entry/flats', data=stack(3, 13, 11))
with h5py.File(path, 'w') as f:
    f['exchange/data'] = h5py.ExternalLink('raw/det.h5', '/entry/data')
    f['exchange/data_white'] = h5py.ExternalLink('raw/det.h5', '/entry/flats')
)");
  // From another folder, so that a name relative to the current directory would fail.
  TempDir elsewhere;
  test::CurrentDir cd(elsewhere.path());
  auto reader = open(file);
  EXPECT_EQ(
      expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Projection, file, "/exchange/data"),
      n_reads());
  expect_values<std::uint16_t>(*reader, FrameRole::Projection);
  EXPECT_EQ(expect_same_as_h5dread<std::uint16_t>(*reader, FrameRole::Flat, file,
                                                  "/exchange/data_white", {{0, 3}, {1, 2}}),
            2 * kRowRanges.size());
}

TEST(Hdf5DirectRead, NexusProjectionsBetweenFlatsAreReadFromTheirStackFrames) {
  TempDir dir;
  const fs::path file = dir / "scan.nxs";
  // 2 darks, 2 flats, 7 projections, 2 flats: the projections are stack frames 4..10, the
  // flats frames 2, 3, 11, 12 (two runs in one request).
  write_file(file, R"(
key = np.array([2, 2, 1, 1] + [0] * 7 + [1, 1], dtype=np.int32)
with h5py.File(path, 'w') as f:
    e = f.create_group('entry')
    e.attrs['NX_class'] = 'NXentry'
    e['definition'] = 'NXtomo'
    det = e.create_group('instrument/detector')
    det.create_dataset('data', data=stack(13, 13, 11), chunks=(1, 5, 11))
    det['image_key'] = key
    e['sample/rotation_angle'] = np.where(key == 0, 1.0, 0.0)
)");
  auto reader = open_nexus(file, LayoutSpec{}, null_logger());
  Hdf5ScanReader& r = hdf5_reader(*reader);
  ASSERT_EQ(reader->info().n_proj(), kFrames);
  expect_values<std::uint16_t>(*reader, FrameRole::Projection, 4);
  EXPECT_EQ(r.direct_reads(FrameRole::Projection), 1u);
  std::vector<std::uint16_t> flats(4 * 2 * kCols);
  reader->read_frames(FrameRole::Flat, {0, 4}, {11, 13}, DType::UInt16, flats.data());
  const std::size_t stack_frames[] = {2, 3, 11, 12};
  std::size_t wrong = 0;
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t y = 0; y < 2; ++y)
      for (std::size_t c = 0; c < kCols; ++c)
        wrong += flats[(k * 2 + y) * kCols + c] != value<std::uint16_t>(stack_frames[k], 11 + y, c);
  EXPECT_EQ(wrong, 0u);
  EXPECT_EQ(r.direct_reads(FrameRole::Flat), 1u);
}

// ---- errors ------------------------------------------------------------------------------

TEST(Hdf5DirectRead, AFileCutShortIsBadDataNamingTheFile) {
  TempDir dir;
  const fs::path file = dir / "scan.h5";
  write_file(file, R"(
with h5py.File(path, 'w') as f:
    f.create_dataset('exchange/data', data=stack(3, 600, 1001))
)");
  auto reader = open(file);
  Hdf5ScanReader& r = hdf5_reader(*reader);
  std::vector<std::uint16_t> row(1001);
  reader->read_frames(FrameRole::Projection, {0, 1}, {0, 1}, DType::UInt16, row.data());
  EXPECT_EQ(r.direct_reads(FrameRole::Projection), 1u);
  // The file loses its last 1.5 MB after it was opened: the last frame's rows are gone.
  fs::resize_file(file, fs::file_size(file) - 1500000);
  std::vector<std::uint16_t> frames(3 * 600 * 1001);
  test::expect_error(
      [&] {
        reader->read_frames(FrameRole::Projection, {0, 3}, {0, 600}, DType::UInt16, frames.data());
      },
      ErrorKind::BadData, {"cannot read", (dir / "scan.h5").string() + ":/exchange/data", "ends"});
}

}  // namespace
}  // namespace xct
