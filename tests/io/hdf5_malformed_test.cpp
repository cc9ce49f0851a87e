// Malformed and unfinished HDF5 inputs: each gives the documented error kind with a one-line
// message (or opens and records what `xct check` should report), never a crash or HDF5's
// own error stack on stderr.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

#include "io/dx_writer.hpp"
#include "io/hdf5_scan.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;
using test::expect_error;
using test::TempDir;

// Every malformed file at once, written by h5py into one folder.
class Malformed : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    test::python_ok(R"(
import sys, os, h5py, numpy as np
d = sys.argv[1]
ok = np.arange(4 * 5 * 6, dtype=np.uint16).reshape(4, 5, 6)
with h5py.File(d + '/no_data.h5', 'w') as f:
    f['exchange/theta'] = np.arange(4.0)
with h5py.File(d + '/rank2.h5', 'w') as f:
    f['exchange/data'] = ok[0]
with h5py.File(d + '/int64.h5', 'w') as f:
    f['exchange/data'] = ok.astype(np.int64)
with h5py.File(d + '/float64.h5', 'w') as f:
    f['exchange/data'] = ok.astype(np.float64)
with h5py.File(d + '/flat_shape.h5', 'w') as f:
    f['exchange/data'] = ok
    f['exchange/data_white'] = np.ones((2, 5, 7), np.uint16)
with h5py.File(d + '/flat_2d.h5', 'w') as f:
    f['exchange/data'] = ok
    f['exchange/data_white'] = np.full((5, 6), 1000, np.uint16)
with h5py.File(d + '/angle_count.h5', 'w') as f:
    f['exchange/data'] = ok
    f['exchange/theta'] = np.array([0.0, 60.0, 120.0])
with h5py.File(d + '/dangling_data.h5', 'w') as f:
    f['exchange/data'] = h5py.ExternalLink('gone.h5', '/exchange/data')
with h5py.File(d + '/dangling_flats.h5', 'w') as f:
    f['exchange/data'] = ok
    f['exchange/data_white'] = h5py.ExternalLink('gone_flats.h5', '/flats')
with h5py.File(d + '/linked.h5', 'w') as f:
    f['exchange/data'] = h5py.ExternalLink('flat_shape.h5', '/exchange/data')
with h5py.File(d + '/short_key.nxs', 'w') as f:
    f['entry/data'] = ok
    f['entry/image_key'] = np.zeros(3, np.int32)
f = h5py.File(d + '/writing.h5', 'w', libver='latest')
f['exchange/data'] = ok
f.flush()
os._exit(0)  # the writer dies without closing: the consistency flags stay set
)",
                    {dir_->path().string()});
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static fs::path file(const std::string& name) { return *dir_ / name; }
  static std::unique_ptr<ScanReader> open(const std::string& name) {
    return open_data_exchange(file(name), LayoutSpec{}, null_logger());
  }
  static TempDir* dir_;
};
TempDir* Malformed::dir_ = nullptr;

TEST_F(Malformed, TruncatedFileIsBadDataWithTheSizes) {
  std::vector<std::uint16_t> v(7 * 50 * 60, 7);
  DxScan scan;
  scan.projections = FrameStack{DType::UInt16, v.data(), 7, 50, 60};
  const fs::path good = file("good.h5");
  write_data_exchange(good, scan);
  fs::copy_file(good, file("half.h5"));
  fs::resize_file(file("half.h5"), fs::file_size(good) / 2);
  EXPECT_TRUE(is_hdf5_file(file("half.h5")));  // the signature survives; the content does not
  expect_error([&] { open("half.h5"); }, ErrorKind::BadData,
               {"incomplete or corrupt HDF5 file", "half.h5", "truncated file: eof = "});
  expect_error([&] { detect_hdf5_layout(file("half.h5")); }, ErrorKind::BadData, {"truncated"});
}

TEST_F(Malformed, MissingDataIsBadDataNamingIt) {
  expect_error([&] { open("no_data.h5"); }, ErrorKind::BadData,
               {"no_data.h5:/exchange/data", "does not exist"});
}

TEST_F(Malformed, TwoDimensionalDataIsBadData) {
  expect_error([&] { open("rank2.h5"); }, ErrorKind::BadData, {"rank2.h5", "2 dimensions"});
}

TEST_F(Malformed, WideTypesAreUnsupported) {
  expect_error([&] { open("int64.h5"); }, ErrorKind::BadData, {"int64", "unsupported data type"});
  expect_error([&] { open("float64.h5"); }, ErrorKind::BadData,
               {"float64", "unsupported data type"});
}

TEST_F(Malformed, FlatsOfAnotherShapeOpenAndAreRecordedAsStored) {
  auto reader = open("flat_shape.h5");
  EXPECT_EQ(reader->info().n_cols(), 6u);
  EXPECT_EQ(reader->info().flats.n_cols, 7u);  // the mismatch is for `xct check` to report
  EXPECT_EQ(reader->info().flats.n_frames, 2u);
}

// Some writers store a single (averaged) flat as a 2-D image; it is one frame.
TEST_F(Malformed, TwoDimensionalFlatIsOneFrame) {
  auto reader = open("flat_2d.h5");
  EXPECT_EQ(reader->info().flats.n_frames, 1u);
  const auto flats = reader->read_flats(Range{2, 4});
  ASSERT_EQ(flats.extent(0), 1u);
  EXPECT_EQ(flats(0, 1, 5), 1000.0f);
}

TEST_F(Malformed, AngleCountMismatchOpensWithTheAnglesAsStored) {
  auto reader = open("angle_count.h5");
  EXPECT_EQ(reader->info().n_proj(), 4u);
  EXPECT_EQ(reader->info().angles_rad.size(), 3u);  // not padded, not invented
}

TEST_F(Malformed, DanglingLinkToTheDataIsInputMissing) {
  expect_error([&] { open("dangling_data.h5"); }, ErrorKind::InputMissing,
               {"/exchange/data", "gone.h5"});
}

TEST_F(Malformed, DanglingLinkToTheFlatsIsAProblem) {
  auto reader = open("dangling_flats.h5");
  EXPECT_FALSE(reader->info().flats.present);
  ASSERT_EQ(reader->info().problems.size(), 1u);
  EXPECT_NE(reader->info().problems[0].find("gone_flats.h5"), std::string::npos);
}

TEST_F(Malformed, RangesOutsideTheStackAreUsageErrors) {
  auto reader = open("flat_shape.h5");
  std::vector<float> buf(4 * 6 * 6);
  expect_error(
      [&] {
        reader->read_frames(FrameRole::Projection, {0, 1}, {3, 9}, DType::Float32, buf.data());
      },
      ErrorKind::Usage, {"rows 3..9", "5 rows"});
  expect_error(
      [&] {
        reader->read_frames(FrameRole::Projection, {2, 6}, {0, 1}, DType::Float32, buf.data());
      },
      ErrorKind::Usage, {"frames 2..6"});
  expect_error(
      [&] {
        reader->read_frames(FrameRole::Dark, {0, 1}, {0, 1}, DType::Float32, buf.data());
      },
      ErrorKind::BadData, {"no darks"});
}

TEST_F(Malformed, FileStillOpenForWritingIsTempFail) {
  expect_error([&] { open("writing.h5"); }, ErrorKind::TempFail,
               {"writing.h5", "may still be being written", "already open for write"});
}

// A writer that holds the file (HDF5 >= 1.10 locks files it opens); the lock is taken here with
// flock on a descriptor of our own, which conflicts with HDF5's even in the same process.
TEST_F(Malformed, FileLockedByAWriterIsTempFail) {
  if (const char* env = std::getenv("HDF5_USE_FILE_LOCKING"); env && std::string(env) == "FALSE") {
    GTEST_SKIP() << "HDF5 file locking is switched off in this environment";
  }
  const int fd = ::open(file("flat_shape.h5").c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  expect_error([&] { open("flat_shape.h5"); }, ErrorKind::TempFail,
               {"flat_shape.h5", "may still be being written", "lock"});
  // The same when the locked file is reached through an external link.
  expect_error([&] { open("linked.h5"); }, ErrorKind::TempFail, {"flat_shape.h5", "lock"});
  ::flock(fd, LOCK_UN);
  ::close(fd);
  EXPECT_EQ(open("flat_shape.h5")->info().n_proj(), 4u);  // readable once the writer is done
  EXPECT_EQ(open("linked.h5")->info().n_proj(), 4u);
}

TEST_F(Malformed, ImageKeyOfAnotherLengthIsBadData) {
  LayoutSpec spec;
  spec.nexus_data = "/entry/data";
  spec.nexus_image_key = "/entry/image_key";
  expect_error([&] { open_nexus(file("short_key.nxs"), spec, null_logger()); }, ErrorKind::BadData,
               {"3 values", "4 frames"});
}

TEST_F(Malformed, NotHdf5AndAbsentFiles) {
  std::ofstream(file("text.h5")) << "plain text, not HDF5\n";
  EXPECT_FALSE(is_hdf5_file(file("text.h5")));
  expect_error([&] { open("text.h5"); }, ErrorKind::BadData, {"text.h5", "not an HDF5 file"});
  expect_error([&] { open("absent.h5"); }, ErrorKind::InputMissing, {"absent.h5"});
}

}  // namespace
}  // namespace xct
