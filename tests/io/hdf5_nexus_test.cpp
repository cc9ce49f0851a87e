// NeXus: frames sorted by image_key, found through an NXtomo entry or by walking the file,
// with pieces behind relative external links resolved against the linking file.
//
// The frame stacks hold value = frame * 100 + row * n_cols + col (uint16), so every value
// read names the stack frame it came from.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "core/geometry.hpp"
#include "io/hdf5_scan.hpp"
#include "tests/io/hdf5_test_helpers.hpp"
#include "tests/support/test_support.hpp"

namespace xct {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

constexpr std::size_t kRows = 6, kCols = 5;

// 3 darks, 4 flats, 10 projections, 4 flats, 1 invalid frame: 22 frames.
const char* const kFrames = R"(
import sys, os, h5py, numpy as np
key = np.array([2] * 3 + [1] * 4 + [0] * 10 + [1] * 4 + [3], dtype=np.int32)
n = key.size
frames = (np.arange(n)[:, None, None] * 100 + np.arange(6)[None, :, None] * 5
          + np.arange(5)[None, None, :]).astype(np.uint16)
angles = np.zeros(n)
angles[7:17] = np.arange(10) * 18.0
angles[17:21] = 180.0
)";

std::size_t frame_value(std::size_t frame, std::size_t row, std::size_t col) {
  return frame * 100 + row * kCols + col;
}

std::vector<std::size_t> iota(std::size_t begin, std::size_t end) {
  std::vector<std::size_t> v(end - begin);
  std::iota(v.begin(), v.end(), begin);
  return v;
}

// A master scan.nxs in <dir>/scan reaching data, image_key and rotation_angle through
// relative external links into raw/; the angles go one link further (raw/meta -> raw/angles,
// relative to raw/). A link to an absent sum file holds nothing needed.
void make_linked_scan(const fs::path& dir) {
  test::python_ok(std::string(kFrames) + R"(
d = sys.argv[1]
os.makedirs(d + '/scan/raw')
with h5py.File(d + '/scan/raw/det_0001.h5', 'w') as f:
    f.create_dataset('entry/data/data', data=frames, chunks=(1, 6, 5))
with h5py.File(d + '/scan/raw/angles_0001.h5', 'w') as f:
    f['rotation_angle'] = angles
    f['rotation_angle'].attrs['units'] = 'degree'
with h5py.File(d + '/scan/raw/meta_0001.h5', 'w') as f:
    f['image_key'] = key
    f['rotation_angle'] = h5py.ExternalLink('angles_0001.h5', '/rotation_angle')
with h5py.File(d + '/scan/scan.nxs', 'w') as f:
    e = f.create_group('entry')
    e.attrs['NX_class'] = 'NXentry'
    e['definition'] = 'NXtomo'
    det = e.create_group('instrument/detector')
    det['data'] = h5py.ExternalLink('raw/det_0001.h5', '/entry/data/data')
    det['image_key'] = h5py.ExternalLink('raw/meta_0001.h5', '/image_key')
    det['x_pixel_size'] = 6.5e-6
    det['x_pixel_size'].attrs['units'] = 'm'
    e['sample/rotation_angle'] = h5py.ExternalLink('raw/meta_0001.h5', '/rotation_angle')
    e['instrument/sum/data'] = h5py.ExternalLink('raw/sum_0001.h5', '/entry/data/data')
)",
                  {dir.string()});
}

void expect_linked_scan(ScanReader& reader) {
  const ScanInfo& info = reader.info();
  EXPECT_EQ(info.layout, "nexus");
  EXPECT_EQ(info.n_proj(), 10u);
  EXPECT_EQ(info.flats.n_frames, 8u);  // 4 before and 4 after the projections
  EXPECT_EQ(info.darks.n_frames, 3u);
  EXPECT_EQ(info.n_rows(), kRows);
  EXPECT_EQ(info.n_cols(), kCols);
  EXPECT_TRUE(info.problems.empty()) << info.problems.front();  // the sum link is not needed
  EXPECT_EQ(info.projections.acquisition_index, iota(7, 17));
  std::vector<std::size_t> flats = iota(3, 7);
  for (std::size_t i : iota(17, 21))
    flats.push_back(i);
  EXPECT_EQ(info.flats.acquisition_index, flats);
  EXPECT_EQ(info.darks.acquisition_index, iota(0, 3));
  ASSERT_EQ(info.angles_as_stored.size(), 10u);
  EXPECT_DOUBLE_EQ(info.angles_as_stored[9], 162.0);  // projection 9 at 9 x 18 degrees
  EXPECT_TRUE(info.angles_stored_in_degrees);
  EXPECT_NEAR(info.pixel_size_um.value_or(0), 6.5, 1e-9);  // 6.5e-6 m

  // Flats 2..5 are stack frames 5, 6 (before) and 17, 18 (after): two runs in one request.
  std::vector<std::uint16_t> got(4 * 3 * kCols);
  reader.read_frames(FrameRole::Flat, {2, 6}, {1, 4}, DType::UInt16, got.data());
  const std::size_t stack_frames[] = {5, 6, 17, 18};
  for (std::size_t k = 0; k < 4; ++k)
    for (std::size_t r = 0; r < 3; ++r)
      for (std::size_t c = 0; c < kCols; ++c)
        ASSERT_EQ(got[(k * 3 + r) * kCols + c], frame_value(stack_frames[k], r + 1, c))
            << "flat " << 2 + k;
  const auto proj = reader.read_projections<float>(Range{0, 10}, Range{0, kRows});
  EXPECT_EQ(proj(0, 0, 0), frame_value(7, 0, 0));
  EXPECT_EQ(proj(9, 5, 4), frame_value(16, 5, 4));
  const auto darks = reader.read_darks(Range{5, 6});
  EXPECT_EQ(darks(2, 0, 3), frame_value(2, 5, 3));
}

TEST(Nexus, ExternalLinksResolveBesideTheLinkingFileNotTheCurrentDirectory) {
  TempDir dir, elsewhere;
  make_linked_scan(dir.path());
  const fs::path master = dir / "scan/scan.nxs";
  {
    test::CurrentDir cd(elsewhere.path());
    EXPECT_EQ(detect_hdf5_layout(master), LayoutSpec::Kind::Nexus);
    auto reader = open_nexus(master, LayoutSpec{}, null_logger());
    expect_linked_scan(*reader);
    EXPECT_EQ(reader->info().projections.where,
              master.string() + ":/entry/instrument/detector/data (image_key 0)");
  }
  {
    // A relative input: raw/ exists beside scan.nxs, not beside the current directory.
    test::CurrentDir cd(dir.path());
    auto reader = open_nexus("scan/scan.nxs", LayoutSpec{}, null_logger());
    expect_linked_scan(*reader);
  }
}

TEST(Nexus, NxtomoEntryWithTheStandardPaths) {
  TempDir dir;
  // ESRF style: /entry0000, image_key_control (int8), angles in radians, an NXdata group of
  // hard links, a pixel size without units (1.3e-6 can only be metres), one unknown key (7).
  test::python_ok(std::string(kFrames) + R"(
key[21] = 7
with h5py.File(sys.argv[1], 'w') as f:
    e = f.create_group('entry0000')
    e.attrs['NX_class'] = 'NXentry'
    e['definition'] = np.bytes_('NXtomo')
    det = e.create_group('instrument/detector')
    det['data'] = frames
    det['image_key_control'] = key.astype(np.int8)
    det['x_pixel_size'] = 1.3e-6
    det['distance'] = 0.05
    det['distance'].attrs['units'] = 'm'
    e['sample/rotation_angle'] = np.deg2rad(angles)
    e['sample/rotation_angle'].attrs['units'] = 'rad'
    e['data/data'] = det['data']
    e['data/rotation_angle'] = e['sample/rotation_angle']
)",
                  {(dir / "tomo.nx").string()});
  EXPECT_EQ(detect_hdf5_layout(dir / "tomo.nx"), LayoutSpec::Kind::Nexus);
  auto reader = open_nexus(dir / "tomo.nx", LayoutSpec{}, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.projections.where,
            (dir / "tomo.nx").string() + ":/entry0000/instrument/detector/data (image_key 0)");
  EXPECT_EQ(info.n_proj(), 10u);
  EXPECT_EQ(info.flats.n_frames, 8u);
  ASSERT_EQ(info.problems.size(), 1u);  // frame 21 has key 7
  EXPECT_NE(info.problems[0].find("7 x 1"), std::string::npos) << info.problems[0];
  EXPECT_FALSE(info.angles_stored_in_degrees);
  ASSERT_EQ(info.angles_rad.size(), 10u);
  EXPECT_NEAR(info.angles_rad[5], deg_to_rad(90.0), 1e-12);
  EXPECT_NEAR(info.pixel_size_um.value_or(0), 1.3, 1e-9);
  EXPECT_NEAR(info.distance_mm.value_or(0), 50.0, 1e-9);
}

// Diamond DIAD (k11) style, no NXtomo definition: the stack, key and angles sit in different
// groups, among distractors (a small 3-D dataset, an integer vector not named as a key, a
// dangling link to a sum file).
void make_diamond_scan(const fs::path& dir, bool detector_present) {
  test::python_ok(std::string(kFrames) + R"(
d = sys.argv[1]
if sys.argv[2] == '1':
    with h5py.File(d + '/pco1-68067.hdf', 'w') as f:
        f['data'] = frames
with h5py.File(d + '/68067.nxs', 'w') as f:
    f['entry/imaging/data'] = h5py.ExternalLink('pco1-68067.hdf', '/data')
    f['entry/instrument/imaging/image_key'] = key
    f['entry/instrument/imaging/frame_count'] = np.arange(n)
    f['entry/imaging_sum/gts_theta_value'] = angles
    f['entry/imaging_sum/data'] = h5py.ExternalLink('sum-68067.hdf', '/data')
    f['entry/instrument/other/small'] = np.zeros((2, 2, 2), np.float32)
)",
                  {dir.string(), detector_present ? "1" : "0"});
}

TEST(Nexus, DiamondStyleFileIsDiscoveredByWalking) {
  TempDir dir;
  make_diamond_scan(dir.path(), true);
  const fs::path master = dir / "68067.nxs";
  EXPECT_EQ(detect_hdf5_layout(master), LayoutSpec::Kind::Nexus);
  auto reader = open_nexus(master, LayoutSpec{}, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.projections.where, master.string() + ":/entry/imaging/data (image_key 0)");
  EXPECT_EQ(info.angles_where, master.string() + ":/entry/imaging_sum/gts_theta_value");
  EXPECT_EQ(info.n_proj(), 10u);
  EXPECT_EQ(info.darks.n_frames, 3u);
  EXPECT_EQ(info.angles_as_stored.front(), 0.0);
  EXPECT_EQ(info.angles_as_stored.back(), 162.0);
  const auto p = reader->read_projections<std::uint16_t>(Range{3, 4}, Range{2, 3});
  EXPECT_EQ(p(0, 0, 1), frame_value(10, 2, 1));  // projection 3 is stack frame 10

  // The same scan with every path given explicitly.
  LayoutSpec spec;
  spec.nexus_data = "/entry/imaging/data";
  spec.nexus_image_key = "/entry/instrument/imaging/image_key";
  spec.nexus_angles = "/entry/imaging_sum/gts_theta_value";
  auto explicit_reader = open_nexus(master, spec, null_logger());
  EXPECT_EQ(explicit_reader->info().projections.acquisition_index,
            info.projections.acquisition_index);
  EXPECT_EQ(explicit_reader->info().angles_as_stored, info.angles_as_stored);
}

TEST(Nexus, DanglingLinkToTheFrameStackIsInputMissing) {
  TempDir dir;
  make_diamond_scan(dir.path(), false);
  EXPECT_EQ(detect_hdf5_layout(dir / "68067.nxs"), LayoutSpec::Kind::Nexus);
  test::expect_error([&] { open_nexus(dir / "68067.nxs", LayoutSpec{}, null_logger()); },
                     ErrorKind::InputMissing, {"/entry/imaging/data", "pco1-68067.hdf"});

  // The NXtomo master with its detector file gone: the standard data path is named.
  make_linked_scan(dir.path());
  fs::remove(dir / "scan/raw/det_0001.h5");
  test::expect_error([&] { open_nexus(dir / "scan/scan.nxs", LayoutSpec{}, null_logger()); },
                     ErrorKind::InputMissing, {"/entry/instrument/detector/data", "det_0001.h5"});
}

TEST(Nexus, DanglingLinkToTheAnglesIsAProblemNotAFailure) {
  TempDir dir;
  make_linked_scan(dir.path());
  fs::remove(dir / "scan/raw/angles_0001.h5");
  auto reader = open_nexus(dir / "scan/scan.nxs", LayoutSpec{}, null_logger());
  const ScanInfo& info = reader->info();
  EXPECT_EQ(info.n_proj(), 10u);
  EXPECT_TRUE(info.angles_rad.empty());
  ASSERT_EQ(info.problems.size(), 1u);
  EXPECT_NE(info.problems[0].find("angles_0001.h5"), std::string::npos) << info.problems[0];
}

}  // namespace
}  // namespace xct
