// TIFF raw scans: the real Diamond scan exported as TIFFs (values checked against tifffile),
// folder conventions, explicit roles (file, multi-page file, folder, glob), ordering by the
// index in file names, angles, and the errors for empty, missing and inconsistent input.
#include "io/tiff_scan.hpp"
#include "io/check.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/geometry.hpp"
#include "io/tiff.hpp"
#include "tests/support/test_support.hpp"

namespace fs = std::filesystem;
using xct::DType;
using xct::ErrorKind;
using xct::FrameRole;
using xct::LayoutSpec;
using xct::Range;
using xct::test::TempDir;

namespace {

fs::path dls_dir() {
  return xct::test::real_data_dir() / "dls-24737-tiff";
}

// The real scan with the projection angles selected as its README describes.
LayoutSpec dls_spec() {
  LayoutSpec spec;
  spec.angles.kind = xct::AngleSpec::Kind::TextFile;
  spec.angles.file = "angles.txt";
  spec.angles.first_line = 11;
  spec.angles.last_line = 101;
  return spec;
}

// A uint16 image of rows x cols filled with `value`, as a TIFF of `pages` pages where page k
// holds value + k.
void write_frames(const fs::path& file, std::uint16_t value, std::size_t rows = 4,
                  std::size_t cols = 5, std::size_t pages = 1) {
  std::vector<std::uint16_t> data(pages * rows * cols);
  for (std::size_t k = 0; k < pages; ++k) {
    std::fill_n(data.begin() + k * rows * cols, rows * cols, std::uint16_t(value + k));
  }
  fs::create_directories(file.parent_path());
  xct::write_tiff_pages(file, DType::UInt16, data.data(), pages, rows, cols);
}

// The value of pixel (0, 0) of every frame of a role, in order.
std::vector<float> first_pixels(xct::ScanReader& scan, FrameRole role) {
  const auto& s = scan.stack(role);
  std::vector<float> all(s.n_frames * s.n_cols);
  scan.read_frames(role, Range{0, s.n_frames}, Range{0, 1}, DType::Float32, all.data());
  std::vector<float> out;
  for (std::size_t f = 0; f < s.n_frames; ++f)
    out.push_back(all[f * s.n_cols]);
  return out;
}

template <typename F>
std::string expect_error(ErrorKind kind, F&& f) {
  try {
    f();
  } catch (const xct::Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "no xct::Error was thrown";
  return "";
}

}  // namespace

TEST(TiffScanReal, DlsScanDescribedAsItsReadmeSays) {
  ASSERT_TRUE(fs::is_directory(dls_dir())) << "real data missing: " << dls_dir();
  auto scan = xct::open_tiff_scan(dls_dir(), dls_spec(), xct::null_logger());
  const xct::ScanInfo& info = scan->info();
  EXPECT_EQ(info.layout, "tiff-stack");
  EXPECT_EQ(info.n_proj(), 91u);  // tiffs/raw_00000..raw_00090
  EXPECT_EQ(info.n_rows(), 135u);
  EXPECT_EQ(info.n_cols(), 160u);
  EXPECT_EQ(info.projections.dtype, DType::UInt16);
  EXPECT_EQ(info.projections.where, "tiffs/ (91 files raw_00000.tiff..raw_00090.tiff)");
  for (const auto* s : {&info.flats, &info.darks}) {
    EXPECT_TRUE(s->present);
    EXPECT_EQ(s->n_frames, 1u);  // one averaged flat, one averaged dark
    EXPECT_EQ(s->dtype, DType::Float32);
    EXPECT_EQ(s->n_rows, 135u);
    EXPECT_EQ(s->n_cols, 160u);
  }
  EXPECT_EQ(info.flats.where, "flat_00001.tiff");
  // Lines 11..101: -88.2 to 91.8 degrees in 2-degree steps, stored in radians. The file
  // holds encoder readings to 1e-4 degree (line 101 is 91.7999), hence the tolerance.
  ASSERT_EQ(info.angles_rad.size(), 91u);
  EXPECT_NEAR(info.angles_as_stored.front(), -88.2, 2e-4);
  EXPECT_NEAR(info.angles_as_stored.back(), 91.8, 2e-4);
  EXPECT_NEAR(info.angles_as_stored[1] - info.angles_as_stored[0], 2.0, 2e-4);
  for (std::size_t i = 0; i < 91; ++i) {
    EXPECT_DOUBLE_EQ(info.angles_rad[i], xct::deg_to_rad(info.angles_as_stored[i]));
  }
  EXPECT_NEAR(info.angles_rad.back(), xct::deg_to_rad(91.8), xct::deg_to_rad(2e-4));
  EXPECT_TRUE(info.angles_stored_in_degrees);
  // Pixel (0, 0) is 0 in the flat, the dark and every projection (README).
  EXPECT_EQ(first_pixels(*scan, FrameRole::Flat), std::vector<float>{0.0f});
  EXPECT_EQ(first_pixels(*scan, FrameRole::Dark), std::vector<float>{0.0f});
  EXPECT_EQ(first_pixels(*scan, FrameRole::Projection), std::vector<float>(91, 0.0f));
}

TEST(TiffScanReal, DlsProjectionsEqualTifffileFrameByFrame) {
  ASSERT_TRUE(fs::is_directory(dls_dir())) << "real data missing: " << dls_dir();
  auto scan = xct::open_tiff_scan(dls_dir(), dls_spec(), xct::null_logger());
  TempDir tmp;
  const std::vector<std::size_t> picks = {0, 1, 45, 89, 90};
  for (std::size_t k : picks) {
    const fs::path file =
        dls_dir() / "tiffs" /
        ("raw_000" + std::string(k < 10 ? "0" : "") + std::to_string(k) + ".tiff");
    const fs::path raw = tmp / "oracle.bin";
    const auto r = xct::test::run_python(
        "import sys, tifffile\ntifffile.imread(sys.argv[1]).astype('<u2').tofile(sys.argv[2])",
        {file.string(), raw.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const std::vector<char> oracle = xct::test::read_binary(raw);
    const auto frame = scan->read_projections<std::uint16_t>(Range{k, k + 1}, Range{0, 135});
    ASSERT_EQ(oracle.size(), frame.size() * 2) << file;
    EXPECT_EQ(std::memcmp(oracle.data(), frame.data(), oracle.size()), 0) << file;
    // A band of rows read alone equals the same rows of the whole frame.
    const auto band = scan->read_projections<std::uint16_t>(Range{k, k + 1}, Range{40, 77});
    EXPECT_EQ(std::memcmp(band.data(), frame.data() + 40 * 160, band.size() * 2), 0) << file;
  }
  // Float flats cannot be read into uint16 without loss; frame 91 does not exist.
  std::vector<std::uint16_t> buf(160);
  expect_error(ErrorKind::BadData, [&] {
    scan->read_frames(FrameRole::Flat, Range{0, 1}, Range{0, 1}, DType::UInt16, buf.data());
  });
  expect_error(ErrorKind::Usage, [&] {
    scan->read_projections<float>(Range{90, 92}, Range{0, 1});
  });
}

TEST(TiffScanReal, AutoAnglesReadEveryLineOfAnglesTxt) {
  ASSERT_TRUE(fs::is_directory(dls_dir())) << "real data missing: " << dls_dir();
  auto scan = xct::open_tiff_scan(dls_dir(), LayoutSpec{}, xct::null_logger());
  // All 111 lines (dark/flat lines included): the mismatch with 91 projections is left for
  // `xct check`, not refused here.
  EXPECT_EQ(scan->info().angles_rad.size(), 111u);
  EXPECT_EQ(scan->info().n_proj(), 91u);
  EXPECT_NE(scan->info().angles_where.find("angles.txt"), std::string::npos);
  EXPECT_TRUE(xct::looks_like_tiff_scan(dls_dir()));
}

TEST(TiffScan, CtDirectoryFoldersOrderedByIndexNumber) {
  TempDir tmp;
  // tofu/ezufo layout; unpadded names so that name order (p_10 < p_9) differs from index order.
  for (std::uint16_t i : {8, 9, 10, 11}) {
    write_frames(tmp / "tomo" / ("p_" + std::to_string(i) + ".tif"), 100 + i);
  }
  write_frames(tmp / "flats" / "f_0.tif", 500);
  write_frames(tmp / "flats2" / "f_1.tif", 501);  // flats after the scan
  write_frames(tmp / "darks" / "d_0.tif", 7);
  std::ofstream(tmp / "theta.txt") << "0\n60\n120\n180\n";
  auto scan = xct::open_tiff_scan(tmp.path(), LayoutSpec{}, xct::null_logger());
  EXPECT_EQ(first_pixels(*scan, FrameRole::Projection), (std::vector<float>{108, 109, 110, 111}));
  EXPECT_EQ(first_pixels(*scan, FrameRole::Flat), (std::vector<float>{500, 501}));
  EXPECT_EQ(first_pixels(*scan, FrameRole::Dark), std::vector<float>{7});
  ASSERT_EQ(scan->info().angles_rad.size(), 4u);
  EXPECT_NEAR(scan->info().angles_rad[3], xct::kPi, 1e-12);  // 180 degrees
  EXPECT_TRUE(scan->info().problems.empty());
  EXPECT_TRUE(xct::looks_like_tiff_scan(tmp.path()));
}

TEST(TiffScan, SingleMultiPageFileIsAProjectionStack) {
  TempDir tmp;
  write_frames(tmp / "stack.tif", 20, 6, 3, 5);  // 5 pages of 6 x 3 holding 20..24
  auto scan = xct::open_tiff_scan(tmp / "stack.tif", LayoutSpec{}, xct::null_logger());
  EXPECT_EQ(scan->info().n_proj(), 5u);
  EXPECT_EQ(scan->info().projections.where, "stack.tif (5 pages)");
  EXPECT_FALSE(scan->info().flats.present);
  EXPECT_TRUE(scan->info().angles_rad.empty());  // no angle file: none invented
  const auto block = scan->read_projections<std::uint16_t>(Range{1, 4}, Range{2, 5});
  ASSERT_EQ(block.shape(), (std::array<std::size_t, 3>{3, 3, 3}));
  EXPECT_EQ(block(0, 0, 0), 21);  // page 1
  EXPECT_EQ(block(2, 2, 2), 23);  // page 3
}

TEST(TiffScan, ExplicitRolesGlobFileAndFolder) {
  TempDir tmp;
  for (std::uint16_t i = 0; i < 3; ++i) {
    write_frames(tmp / ("proj_" + std::to_string(i) + ".tif"), 10 + i);
  }
  write_frames(tmp / "other_0.tif", 99);       // not matched by the pattern
  write_frames(tmp / "ff.tif", 300, 4, 5, 3);  // three flats in one multi-page file
  write_frames(tmp / "dk" / "a.tif", 1);
  write_frames(tmp / "dk" / "b.tif", 2);  // darks without numbers: name order
  LayoutSpec spec;
  spec.projections.file = "proj_*.tif";
  spec.flats.file = "ff.tif";
  spec.darks.file = "dk";
  spec.angles.kind = xct::AngleSpec::Kind::Range;  // 0, 60, 120: three values, no end point
  spec.angles.endpoint = false;
  spec.pixel_size_um = 0.65;
  auto scan = xct::open_tiff_scan(tmp.path(), spec, xct::null_logger());
  EXPECT_EQ(first_pixels(*scan, FrameRole::Projection), (std::vector<float>{10, 11, 12}));
  EXPECT_EQ(first_pixels(*scan, FrameRole::Flat), (std::vector<float>{300, 301, 302}));
  EXPECT_EQ(first_pixels(*scan, FrameRole::Dark), (std::vector<float>{1, 2}));
  ASSERT_EQ(scan->info().angles_as_stored.size(), 3u);
  EXPECT_NEAR(scan->info().angles_as_stored[2], 120.0, 1e-9);
  EXPECT_EQ(scan->info().pixel_size_um, 0.65);
}

TEST(TiffScan, GapsAreNotedAndDuplicateIndicesRefused) {
  TempDir tmp;
  for (int i : {0, 1, 3})
    write_frames(tmp / ("p_" + std::to_string(i) + ".tif"), 1);
  auto scan = xct::open_tiff_scan(tmp.path(), LayoutSpec{}, xct::null_logger());
  EXPECT_EQ(scan->info().n_proj(), 3u);
  EXPECT_EQ(scan->info().warnings.size(), 1u);  // the gap where p_2 would be
  EXPECT_TRUE(scan->info().problems.empty());
  write_frames(tmp / "p_001.tif", 1);  // index 1 again
  const std::string what = expect_error(ErrorKind::BadData, [&] {
    xct::open_tiff_scan(tmp.path(), LayoutSpec{}, xct::null_logger());
  });
  EXPECT_NE(what.find("same index 1"), std::string::npos) << what;
}

TEST(TiffScan, MismatchedFrameIsReportedByName) {
  TempDir tmp;
  write_frames(tmp / "proj" / "p_0.tif", 1);
  write_frames(tmp / "proj" / "p_1.tif", 1, 4, 6);  // one column more
  write_frames(tmp / "proj" / "p_2.tif", 1);
  const std::string what = expect_error(ErrorKind::BadData, [&] {
    xct::open_tiff_scan(tmp.path(), LayoutSpec{}, xct::null_logger());
  });
  EXPECT_NE(what.find("p_1.tif"), std::string::npos) << what;
  // A flat of another shape than the projections is described as it is, and `xct check`
  // reports the mismatch with every other problem.
  fs::remove(tmp / "proj" / "p_1.tif");
  write_frames(tmp / "flat.tif", 1, 5, 5);
  auto reader = xct::open_tiff_scan(tmp.path(), LayoutSpec{}, xct::null_logger());
  EXPECT_EQ(reader->info().flats.n_rows, 5u);
  EXPECT_EQ(reader->info().flats.n_cols, 5u);
  const xct::CheckReport report = xct::check_scan(*reader, {});
  EXPECT_FALSE(report.clean());
  bool named = false;
  for (const auto& f : report.findings)
    named |= f.message.find("flats have frames of 5 x 5") == 0;
  EXPECT_TRUE(named) << "check names the mismatched flats";
}

TEST(TiffScan, EmptyMissingAndWrongAngleKind) {
  TempDir tmp;
  fs::create_directory(tmp / "empty");
  const std::string what = expect_error(ErrorKind::BadData, [&] {
    xct::open_tiff_scan(tmp / "empty", LayoutSpec{}, xct::null_logger());
  });
  EXPECT_NE(what.find("no TIFF projections found in"), std::string::npos) << what;
  EXPECT_FALSE(xct::looks_like_tiff_scan(tmp / "empty"));
  expect_error(ErrorKind::InputMissing,
               [&] { xct::open_tiff_scan(tmp / "absent", LayoutSpec{}, xct::null_logger()); });
  write_frames(tmp / "p_0.tif", 1);
  LayoutSpec spec;
  spec.flats.file = "flats_missing";  // named explicitly but absent
  expect_error(ErrorKind::InputMissing,
               [&] { xct::open_tiff_scan(tmp.path(), spec, xct::null_logger()); });
  spec = LayoutSpec{};
  spec.angles.kind = xct::AngleSpec::Kind::Dataset;  // HDF5 only
  expect_error(ErrorKind::Usage,
               [&] { xct::open_tiff_scan(tmp.path(), spec, xct::null_logger()); });
}
