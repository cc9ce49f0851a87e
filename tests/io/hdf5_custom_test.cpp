// A beamline's own HDF5 layout described role by role: areaDetector files (/entry/data/data)
// for projections, flats and darks, angles from a text file, a range or a dataset. The files
// are written with the io/hdf5.hpp layer.
#include <gtest/gtest.h>

#include <fstream>
#include <vector>

#include "io/hdf5.hpp"
#include "io/hdf5_scan.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr std::size_t kRows = 4, kCols = 6;

// Frame f of the stack with offset `base` holds base + f * 100 + row * n_cols + col.
void write_ad_file(const fs::path& file, std::size_t n_frames, std::uint16_t base) {
  std::vector<std::uint16_t> v(n_frames * kRows * kCols);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::size_t f = i / (kRows * kCols), rc = i % (kRows * kCols);
    v[i] = static_cast<std::uint16_t>(base + f * 100 + rc);
  }
  h5::File out = h5::create_file(file);
  const h5::Group entry = h5::create_group(out.id(), "/entry");
  h5::write_attribute(entry.id(), "NX_class", "NXentry");
  h5::write_array(out.id(), "/entry/data/data", DType::UInt16, {n_frames, kRows, kCols}, v.data(),
                  {1, kRows, kCols});
}

// Projections, flats and darks in three files, as separate areaDetector acquisitions write
// them, plus angle sources: a text file with two header lines and a trailer, and a PandA-like
// file of angles.
struct CustomScan {
  TempDir dir;
  LayoutSpec spec;
  CustomScan() {
    write_ad_file(dir / "proj.h5", 5, 0);
    write_ad_file(dir / "flat.h5", 3, 10000);
    write_ad_file(dir / "dark.h5", 2, 20000);
    std::ofstream(dir / "angles.txt") << "# rotation\ntheta_deg\n0\n36\n72\n108\n144\nend\n";
    h5::File panda = h5::create_file(dir / "panda.h5");
    h5::write_doubles(panda.id(), "/Angle", {0.0, 0.5, 1.0, 1.5, 2.0});
    spec.kind = LayoutSpec::Kind::Hdf5Custom;
    spec.projections = RoleSpec{"", "/entry/data/data"};
    spec.flats = RoleSpec{"flat.h5", "/entry/data/data"};  // relative to proj.h5's folder
    spec.darks = RoleSpec{"dark.h5", "/entry/data/data"};
  }
};

TEST(Hdf5Custom, RolesInThreeFilesWithAnglesFromSelectedTextLines) {
  CustomScan s;
  s.spec.angles.kind = AngleSpec::Kind::TextFile;
  s.spec.angles.file = "angles.txt";
  s.spec.angles.first_line = 3;  // lines 1-2 are a header, line 8 a trailer
  s.spec.angles.last_line = 7;
  TempDir elsewhere;
  test::CurrentDir cd(elsewhere.path());  // role files resolve beside the input, not here
  auto reader = open_hdf5_custom(s.dir / "proj.h5", s.spec, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.layout, "hdf5-custom");
  EXPECT_EQ(info.n_proj(), 5u);
  EXPECT_EQ(info.flats.n_frames, 3u);
  EXPECT_EQ(info.darks.n_frames, 2u);
  EXPECT_EQ(info.flats.where, (s.dir / "flat.h5").string() + ":/entry/data/data");
  EXPECT_EQ(info.angles_as_stored, (std::vector<double>{0, 36, 72, 108, 144}));
  EXPECT_NE(info.angles_where.find("lines 3-7"), std::string::npos) << info.angles_where;
  const auto flats = reader->read_flats(Range{1, 3});
  EXPECT_EQ(flats(2, 1, 5), 10000 + 2 * 100 + 2 * kCols + 5);  // flat 2, row 2, col 5
  const auto darks = reader->read_darks(Range{0, 1});
  EXPECT_EQ(darks(1, 0, 0), 20000 + 100);
  const auto proj = reader->read_projections<std::uint16_t>(Range{4, 5}, Range{3, 4});
  EXPECT_EQ(proj(0, 0, 0), 4 * 100 + 3 * kCols);
}

TEST(Hdf5Custom, AnglesFromARangeWithoutTheEndPoint) {
  CustomScan s;
  s.spec.angles.kind = AngleSpec::Kind::Range;
  s.spec.angles.start = 0;
  s.spec.angles.stop = 180;
  s.spec.angles.count = 5;
  s.spec.angles.endpoint = false;
  auto reader = open_hdf5_custom(s.dir / "proj.h5", s.spec, null_logger());
  const auto& a = reader->info().angles_as_stored;
  ASSERT_EQ(a.size(), 5u);
  EXPECT_DOUBLE_EQ(a[1], 36.0);   // step 180 / 5
  EXPECT_DOUBLE_EQ(a[4], 144.0);  // one step short of the end point
}

TEST(Hdf5Custom, AnglesFromADatasetInRadians) {
  CustomScan s;
  s.spec.angles.kind = AngleSpec::Kind::Dataset;
  s.spec.angles.file = "panda.h5";
  s.spec.angles.dataset = "/Angle";
  s.spec.angles.degrees = false;
  auto reader = open_hdf5_custom(s.dir / "proj.h5", s.spec, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_FALSE(info.angles_stored_in_degrees);
  EXPECT_EQ(info.angles_rad, (std::vector<double>{0.0, 0.5, 1.0, 1.5, 2.0}));
  EXPECT_EQ(info.angles_where, (s.dir / "panda.h5").string() + ":/Angle");
}

TEST(Hdf5Custom, WithoutAnAngleSpecThereAreNoAngles) {
  CustomScan s;
  auto reader = open_hdf5_custom(s.dir / "proj.h5", s.spec, null_logger());
  EXPECT_TRUE(reader->info().angles_rad.empty());
}

TEST(Hdf5Custom, MissingPiecesAreNamed) {
  CustomScan s;
  LayoutSpec spec = s.spec;
  spec.flats.file = "flat_missing.h5";
  test::expect_error([&] { open_hdf5_custom(s.dir / "proj.h5", spec, null_logger()); },
                     ErrorKind::InputMissing, {"flat_missing.h5", "flats"});
  spec = s.spec;
  spec.projections.dataset = "/entry/data/nope";
  test::expect_error([&] { open_hdf5_custom(s.dir / "proj.h5", spec, null_logger()); },
                     ErrorKind::BadData, {"proj.h5:/entry/data/nope"});
  spec = s.spec;
  spec.darks.dataset = "/entry/data/nope";
  test::expect_error([&] { open_hdf5_custom(s.dir / "proj.h5", spec, null_logger()); },
                     ErrorKind::BadData, {"dark.h5:/entry/data/nope"});
  spec = s.spec;
  spec.projections.dataset.clear();
  test::expect_error([&] { open_hdf5_custom(s.dir / "proj.h5", spec, null_logger()); },
                     ErrorKind::Usage, {"projections"});
}

}  // namespace
}  // namespace xct
