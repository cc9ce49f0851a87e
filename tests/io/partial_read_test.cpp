// Readers read what is asked for and not the rest of the file: a slab of rows across every
// projection costs about its own size in bytes read, as counted by the kernel for this process
// (/proc/self/io "rchar": every byte returned by read and pread, whether from disk or cache).
#include <gtest/gtest.h>

#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "io/dx_writer.hpp"
#include "io/scan.hpp"
#include "io/tiff.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;

std::size_t bytes_read_so_far() {
  std::ifstream in("/proc/self/io");
  std::string key;
  std::size_t value = 0;
  while (in >> key >> value) {
    if (key == "rchar:") return value;
  }
  return 0;
}

constexpr std::size_t kAngles = 64, kRows = 128, kCols = 256;

std::vector<std::uint16_t> ramp_frames() {
  std::vector<std::uint16_t> v(kAngles * kRows * kCols);
  std::iota(v.begin(), v.end(), std::uint16_t{0});
  return v;
}

// Reads rows [60, 62) of every projection and returns the bytes read while doing so, after
// checking the values against the ramp that was written.
std::size_t bytes_for_row_slab(ScanReader& reader) {
  const Range rows{60, 62};
  const std::size_t before = bytes_read_so_far();
  HostArray<std::uint16_t, 3> slab = reader.read_projections<std::uint16_t>({0, kAngles}, rows);
  const std::size_t used = bytes_read_so_far() - before;
  for (std::size_t a = 0; a < kAngles; a += 21) {
    const std::size_t first = (a * kRows + rows.begin) * kCols;  // index of the first sample
    EXPECT_EQ(slab(a, 0, 0), static_cast<std::uint16_t>(first));
  }
  return used;
}

TEST(PartialRead, DataExchangeRowSlabReadsAboutItsOwnBytes) {
  test::TempDir dir;
  const auto frames = ramp_frames();
  DxScan scan;
  scan.projections = {DType::UInt16, frames.data(), kAngles, kRows, kCols};
  scan.theta_deg.assign(kAngles, 0.0);
  write_data_exchange(dir / "scan.h5", scan);
  auto reader = open_scan(dir / "scan.h5", LayoutSpec{});
  const std::size_t file_bytes = fs::file_size(dir / "scan.h5");
  const std::size_t slab_bytes = kAngles * 2 * kCols * sizeof(std::uint16_t);  // 64 kB
  const std::size_t used = bytes_for_row_slab(*reader);
  // The slab is 1/64 of the data; allow HDF5's metadata and chunk index reads on top, but
  // far less than the 4 MB file.
  EXPECT_GE(used, slab_bytes);
  EXPECT_LT(used, 4 * slab_bytes) << "bytes read for a 2-row slab of a " << file_bytes
                                  << "-byte file";
  RecordProperty("bytes_read", std::to_string(used));
}

TEST(PartialRead, TiffFolderRowSlabReadsAboutItsOwnBytes) {
  test::TempDir dir;
  const auto frames = ramp_frames();
  fs::create_directory(dir / "tomo");
  for (std::size_t a = 0; a < kAngles; ++a) {
    char name[32];
    std::snprintf(name, sizeof name, "proj_%05zu.tif", a);
    write_tiff_pages(dir / "tomo" / name, DType::UInt16, frames.data() + a * kRows * kCols, 1,
                     kRows, kCols);
  }
  auto reader = open_scan(dir.path(), LayoutSpec{});
  const std::size_t slab_bytes = kAngles * 2 * kCols * sizeof(std::uint16_t);
  const std::size_t used = bytes_for_row_slab(*reader);
  // libtiff reads an uncompressed one-strip image in strips of about 8 KiB (16 rows of 512
  // bytes here), so the two rows cost one such strip per file plus its header and directory
  // (under 512 bytes): about an eighth of the 4 MB of frames, not all of it.
  const std::size_t per_file = 8192 + 512;
  EXPECT_GE(used, slab_bytes);
  EXPECT_LT(used, kAngles * per_file) << "bytes read for a 2-row slab of 64 files of 64 kB";
}

}  // namespace
}  // namespace xct
