// measure() on label volumes built by hand whose answers are known: a digitised ball (volume,
// surface, equivalent diameter), boxes (the surface estimator's exact crossing sums), a slab
// crack (volume, depth, penetration, area, opening), a flat NASICON face with gas patches
// (contact), flat layers of gas and NaK above a face (void bands) and chips that touch only
// along an edge (6-connected count).
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

#include "core/error.hpp"
#include "segment/labels.hpp"
#include "segment/metrics.hpp"
#include "tests/support/test_support.hpp"

namespace xct::seg {
namespace {

constexpr double kVoxelUm = 1.3;  // the beamline's voxel size
constexpr double kVoxelUm2 = kVoxelUm * kVoxelUm;
constexpr double kVoxelUm3 = kVoxelUm * kVoxelUm * kVoxelUm;

struct Range {
  std::size_t begin, end;
};

SegmentResult cell(std::size_t nz, std::size_t ny, std::size_t nx, std::uint8_t fill) {
  SegmentResult r;
  r.labels = HostArray<std::uint8_t, 3>({nz, ny, nx}, fill);
  return r;
}

void paint(HostArray<std::uint8_t, 3>& a, Range z, Range y, Range x, std::uint8_t value) {
  for (std::size_t i = z.begin; i < z.end; ++i)
    for (std::size_t j = y.begin; j < y.end; ++j)
      for (std::size_t k = x.begin; k < x.end; ++k)
        a(i, j, k) = value;
}

MeasureParams params(int threads = 2) {
  MeasureParams p;
  p.voxel_size_um = kVoxelUm;
  p.threads = threads;
  return p;
}

const ShapeStats* find_label(const Metrics& m, int label) {
  for (const ShapeStats& s : m.labels)
    if (s.label == label) return &s;
  return nullptr;
}

// ITK's surface estimate (ShapeLabelMapFilter's 3D perimeter, Crofton's formula over the 13
// lattice directions with its weights) of an a x b x c box of voxels, from the crossings that
// the lines of each direction make with a box: every line that meets a convex object enters and
// leaves it once, and the lines entering through voxel p are those with p - d outside.
double crofton_box_area(double a, double b, double c, double voxel_um) {
  constexpr double kAxisWeight = 2 * 0.04577789120476;
  constexpr double kFaceWeight = 2 * 0.03698062787608;
  constexpr double kBodyWeight = 2 * 0.03519563978232;
  const double axis = 2 * (a * b + b * c + c * a);
  // Two face diagonals in each axis plane; those in the (a, b) plane enter c (a + b - 1) times.
  const double face = 2 * 2 * (c * (a + b - 1) + a * (b + c - 1) + b * (c + a - 1));
  // Four body diagonals, each entering through the voxels on three faces of the box.
  const double body = 4 * 2 * (a * b + b * c + c * a - a - b - c + 1);
  return 2 * voxel_um * voxel_um *
         (kAxisWeight * axis + kFaceWeight * face / std::numbers::sqrt2 +
          kBodyWeight * body / std::numbers::sqrt3);
}

TEST(Metrics, BallHasTheVolumeSurfaceAndDiameterOfItsSphere) {
  constexpr std::size_t kRadiusVoxels = 20;
  constexpr double kRadius = kRadiusVoxels;
  constexpr std::size_t kCentre = 24;  // voxel index of the centre on every axis
  constexpr std::size_t kSide = 2 * kCentre + 1;
  SegmentResult r = cell(kSide, kSide, kSide, kNaK);
  r.void_ids = HostArray<std::uint32_t, 3>({kSide, kSide, kSide}, 0);
  r.void_count = 1;
  for (std::size_t z = 0; z < kSide; ++z)
    for (std::size_t y = 0; y < kSide; ++y)
      for (std::size_t x = 0; x < kSide; ++x) {
        const double dz = double(z) - kCentre, dy = double(y) - kCentre, dx = double(x) - kCentre;
        if (dz * dz + dy * dy + dx * dx <= kRadius * kRadius) {
          r.labels(z, y, x) = kVoid;
          r.void_ids(z, y, x) = 1;
        }
      }
  const Metrics m = measure(r, params());

  const double volume = 4.0 / 3 * std::numbers::pi * std::pow(kRadius * kVoxelUm, 3);
  const double area = 4 * std::numbers::pi * std::pow(kRadius * kVoxelUm, 2);
  const ShapeStats* ball = find_label(m, kVoid);
  ASSERT_NE(ball, nullptr);
  EXPECT_EQ(ball->id, 0u);                           // a whole label
  EXPECT_NEAR(ball->volume_um3 / volume, 1, 0.005);  // digitised at 20 voxels: within 0.5 %
  EXPECT_DOUBLE_EQ(ball->volume_um3, double(ball->voxels) * kVoxelUm3);
  // Crofton over 13 directions is unbiased over orientations to about 1 %; a ball samples
  // them all.
  EXPECT_NEAR(ball->surface_area_um2 / area, 1, 0.015);
  EXPECT_NEAR(ball->equivalent_diameter_um / (2 * kRadius * kVoxelUm), 1, 0.002);
  for (std::size_t a = 0; a < 3; ++a) {
    EXPECT_DOUBLE_EQ(ball->centroid[a], double(kCentre));  // symmetric about the centre voxel
    EXPECT_EQ(ball->box_begin[a], kCentre - kRadiusVoxels);
    EXPECT_EQ(ball->box_end[a], kCentre + kRadiusVoxels + 1);
  }

  // The same ball as void 1.
  ASSERT_EQ(m.voids.size(), 1u);
  const ShapeStats& v = m.voids[0];
  EXPECT_EQ(v.label, kVoid);
  EXPECT_EQ(v.id, 1u);
  EXPECT_EQ(v.voxels, ball->voxels);
  EXPECT_DOUBLE_EQ(v.surface_area_um2, ball->surface_area_um2);
  EXPECT_EQ(v.box_begin, ball->box_begin);
  EXPECT_EQ(v.box_end, ball->box_end);

  // The NaK around it: the cube's faces (closed by the outside of the volume) plus the ball's.
  const ShapeStats* nak = find_label(m, kNaK);
  ASSERT_NE(nak, nullptr);
  EXPECT_EQ(nak->voxels + ball->voxels, kSide * kSide * kSide);
  EXPECT_NEAR(nak->surface_area_um2,
              crofton_box_area(kSide, kSide, kSide, kVoxelUm) + ball->surface_area_um2, 1e-6);
  EXPECT_EQ(m.labels.size(), 2u);  // void and NaK; label 0 is never listed
}

TEST(Metrics, BoxSurfacesAreTheExactCroftonSums) {
  // Boxes inside the volume, on its faces and filling it: every crossing along every direction
  // is counted once, the outside of the volume being background.
  constexpr std::size_t kNz = 12, kNy = 17, kNx = 23;
  SegmentResult r = cell(kNz, kNy, kNx, kOutside);
  paint(r.labels, {2, 7}, {3, 12}, {4, 19}, kNasicon);     // 5 x 9 x 15, inside
  paint(r.labels, {0, kNz}, {0, 2}, {0, kNx}, kAl);        // 12 x 2 x 23, on three faces
  paint(r.labels, {9, 10}, {14, 15}, {21, 22}, kHousing);  // one voxel
  const Metrics m = measure(r, params());
  EXPECT_NEAR(find_label(m, kNasicon)->surface_area_um2, crofton_box_area(5, 9, 15, kVoxelUm),
              1e-9);
  EXPECT_NEAR(find_label(m, kAl)->surface_area_um2, crofton_box_area(12, 2, 23, kVoxelUm), 1e-9);
  EXPECT_NEAR(find_label(m, kHousing)->surface_area_um2, crofton_box_area(1, 1, 1, kVoxelUm), 1e-9);
  EXPECT_EQ(find_label(m, kAl)->box_begin, (std::array<std::size_t, 3>{0, 0, 0}));
  EXPECT_EQ(find_label(m, kAl)->box_end, (std::array<std::size_t, 3>{kNz, 2, kNx}));
  EXPECT_DOUBLE_EQ(find_label(m, kNasicon)->centroid[0], 4.0);  // mean of rows 2 .. 6

  SegmentResult full = cell(kNz, kNy, kNx, kNasicon);
  const Metrics mf = measure(full, params());
  EXPECT_NEAR(mf.labels.at(0).surface_area_um2, crofton_box_area(kNz, kNy, kNx, kVoxelUm), 1e-9);

  // The estimator reads a large face normal to an axis as 0.927 of its area (the documented
  // bias): a plate 400 x 400 voxels, 1 thick.
  constexpr double kPlate = 400;
  EXPECT_NEAR(crofton_box_area(kPlate, kPlate, 1, 1) / (2 * kPlate * kPlate), 0.9266, 0.01);
}

TEST(Metrics, SlabCrackHasItsVolumeDepthPenetrationAreaAndOpening) {
  // A pellet (z 20-79) under NaK, cut from its top face by a vertical slab crack 2 voxels thick,
  // 60 long (y) and 24 deep (z).
  constexpr std::size_t kTop = 20, kThick = 2, kLong = 60, kDeep = 24;
  SegmentResult r = cell(84, 80, 80, kOutside);
  paint(r.labels, {0, kTop}, {4, 76}, {4, 76}, kNaK);
  paint(r.labels, {kTop, 80}, {4, 76}, {4, 76}, kNasicon);
  paint(r.labels, {kTop, kTop + kDeep}, {10, 10 + kLong}, {39, 39 + kThick}, kCrack);
  // A flat pore under the crack: a hole of the pellet's envelope, so the crack's tip is no
  // nearer a surface because of it (it would be 4 voxels from the pore).
  paint(r.labels, {kTop + kDeep + 3, kTop + kDeep + 5}, {8, 72}, {36, 44}, kVoid);
  r.crack_deficit_volume = double(kThick * kLong * kDeep);  // the crack's true volume, voxels
  r.pellet_top_z = kTop - 0.5;                              // the face between rows 19 and 20
  const Metrics m = measure(r, params());
  const InterfaceMetrics& im = m.interface;

  EXPECT_EQ(im.crack_voxels, kThick * kLong * kDeep);
  EXPECT_DOUBLE_EQ(im.crack_volume_um3, r.crack_deficit_volume * kVoxelUm3);
  EXPECT_NEAR(im.crack_depth_um, kDeep * kVoxelUm, 1e-9);
  // The nearest outside voxel of the deepest crack voxels half way along the crack is the NaK
  // above the mouth, kDeep away (the sides and the bottom are over 30 voxels away).
  EXPECT_NEAR(im.crack_penetration_um, kDeep * kVoxelUm, 1e-4);
  // Sheet area: half the crack label's surface, which adds the rim (2 (60 + 24) voxels, 12 % of
  // the sheet) while the estimator reads these axis-normal faces 7 % low: within 5 %.
  const double sheet = double(kLong * kDeep) * kVoxelUm2;
  EXPECT_DOUBLE_EQ(im.crack_area_um2, find_label(m, kCrack)->surface_area_um2 / 2);
  EXPECT_NEAR(im.crack_area_um2 / sheet, 1, 0.05);
  EXPECT_NEAR(im.crack_mean_opening_um / (kThick * kVoxelUm), 1, 0.05);
  EXPECT_EQ(im.chip_count, 0u);
}

TEST(Metrics, CrackPenetrationIsFromTheNearestSurface) {
  // The same crack, 1 voxel from the pellet's side face (x = 4): however deep it goes, its
  // voxels are within 2 voxels of the outside.
  SegmentResult r = cell(84, 80, 80, kOutside);
  paint(r.labels, {0, 20}, {4, 76}, {4, 76}, kNaK);
  paint(r.labels, {20, 80}, {4, 76}, {4, 76}, kNasicon);
  paint(r.labels, {20, 44}, {10, 70}, {5, 6}, kCrack);
  r.pellet_top_z = 19.5;
  const Metrics m = measure(r, params());
  EXPECT_NEAR(m.interface.crack_depth_um, 24 * kVoxelUm, 1e-9);       // 24 rows below the face
  EXPECT_NEAR(m.interface.crack_penetration_um, 2 * kVoxelUm, 1e-4);  // x 5 to the air at x 3
}

TEST(Metrics, ContactFractionOfAFaceWithGasPatches) {
  // NASICON below row 10 under NaK; 3 gas patches of 4 x 4 voxels on the face; an O-ring strip
  // (x 36-39) and a crack mouth (60 columns) on the face touch neither.
  constexpr std::size_t kFace = 10, kSide = 40, kPatches = 3, kPatch = 4;
  SegmentResult r = cell(20, kSide, kSide, kNasicon);
  paint(r.labels, {0, kFace}, {0, kSide}, {0, kSide}, kNaK);
  paint(r.labels, {0, kFace}, {0, kSide}, {36, 40}, kHousing);
  paint(r.labels, {kFace, 15}, {5, 35}, {20, 22}, kCrack);
  for (std::size_t k = 0; k < kPatches; ++k)
    paint(r.labels, {kFace - 3, kFace}, {4 + 10 * k, 4 + 10 * k + kPatch}, {8, 8 + kPatch}, kVoid);
  const Metrics m = measure(r, params());
  const double faces = 40.0 * 36 - 60;  // under NaK or gas: not the O-ring, not the mouth
  const double lost = kPatches * kPatch * kPatch;
  EXPECT_NEAR(m.interface.face_area_um2, faces * kVoxelUm2, 1e-9);
  EXPECT_NEAR(m.interface.contact_area_um2, (faces - lost) * kVoxelUm2, 1e-9);
  EXPECT_NEAR(m.interface.contact_area_fraction, (faces - lost) / faces, 1e-12);
}

TEST(Metrics, VoidBandsOverAFlatFace) {
  // Pellet from row 30 down, columns x < 24; NaK above it with a gas layer 4 rows thick on the
  // face over half its columns (x < 12); air in the columns x >= 24 beside the pellet, which is
  // not on the NaK side and does not count. A band of D um holds the layers whose centres lie
  // within D of the face: round(D / 1.3) = 4, 8 and 15 for 5, 10 and 20 um.
  constexpr std::size_t kFace = 30, kNy = 24, kPellet = 24, kGasRows = 4;
  SegmentResult r = cell(48, kNy, 32, kVoid);
  paint(r.labels, {kFace, 48}, {0, kNy}, {0, kPellet}, kNasicon);
  paint(r.labels, {0, kFace}, {0, kNy}, {0, kPellet}, kNaK);
  paint(r.labels, {kFace - kGasRows, kFace}, {0, kNy}, {0, kPellet / 2}, kVoid);
  const MeasureParams p = params();
  const Metrics m = measure(r, p);
  ASSERT_EQ(m.interface.bands.size(), 3u);
  const double columns = double(kNy * kPellet);
  const double gas = kGasRows * columns / 2;
  const std::array<double, 3> layers = {4, 8, 15};
  for (std::size_t j = 0; j < 3; ++j) {
    const VoidBand& b = m.interface.bands[j];
    EXPECT_DOUBLE_EQ(b.distance_um, p.band_um[j]);
    EXPECT_NEAR(b.void_volume_um3, gas * kVoxelUm3, 1e-6) << b.distance_um << " um";
    EXPECT_NEAR(b.void_fraction, gas / (layers[j] * columns), 1e-12) << b.distance_um << " um";
  }
  // Every NASICON face under NaK or gas: half the face is out of contact.
  EXPECT_NEAR(m.interface.contact_area_fraction, 0.5, 1e-12);
}

TEST(Metrics, ChipsAreCountedSixConnected) {
  // Two separate cubes, and two that touch only along an edge (26-connectivity would merge
  // them): 4 chips.
  SegmentResult r = cell(30, 30, 30, kNaK);
  paint(r.labels, {2, 6}, {2, 6}, {2, 6}, kChip);        // 64 voxels
  paint(r.labels, {10, 14}, {10, 14}, {10, 14}, kChip);  // 64
  paint(r.labels, {20, 23}, {20, 23}, {20, 23}, kChip);  // 27
  paint(r.labels, {20, 23}, {23, 26}, {23, 26}, kChip);  // 27, edge to edge with the last
  const Metrics m = measure(r, params());
  EXPECT_EQ(m.interface.chip_count, 4u);
  EXPECT_EQ(m.interface.chip_voxels, 64u + 64 + 27 + 27);
  EXPECT_DOUBLE_EQ(m.interface.chip_volume_um3, (64.0 + 64 + 27 + 27) * kVoxelUm3);
}

TEST(Metrics, VoidsAreListedByIdAndThreadCountDoesNotMatter) {
  SegmentResult r = cell(32, 32, 32, kNaK);
  paint(r.labels, {16, 32}, {0, 32}, {0, 32}, kNasicon);
  paint(r.labels, {12, 16}, {4, 10}, {4, 10}, kVoid);
  paint(r.labels, {0, 3}, {0, 5}, {0, 7}, kVoid);  // on the volume's corner
  paint(r.labels, {16, 24}, {15, 17}, {10, 20}, kCrack);
  r.pellet_top_z = 15.5;
  r.crack_deficit_volume = 150;
  r.void_ids = HostArray<std::uint32_t, 3>({32, 32, 32}, 0);
  r.void_count = 3;  // id 2 is given no voxels
  for (std::size_t z = 0; z < 32; ++z)
    for (std::size_t y = 0; y < 32; ++y)
      for (std::size_t x = 0; x < 32; ++x)
        if (r.labels(z, y, x) == kVoid) r.void_ids(z, y, x) = z >= 12 ? 1 : 3;

  const Metrics m1 = measure(r, params(1));
  const Metrics m2 = measure(r, params(2));
  ASSERT_EQ(m1.voids.size(), 3u);
  EXPECT_EQ(m1.voids[0].voxels, 4u * 6 * 6);
  EXPECT_EQ(m1.voids[1].voxels, 0u);
  EXPECT_EQ(m1.voids[1].id, 2u);
  EXPECT_EQ(m1.voids[2].voxels, 3u * 5 * 7);
  EXPECT_NEAR(m1.voids[2].surface_area_um2, crofton_box_area(3, 5, 7, kVoxelUm), 1e-9);
  EXPECT_EQ(m1.voids[2].box_end, (std::array<std::size_t, 3>{3, 5, 7}));

  ASSERT_EQ(m1.labels.size(), m2.labels.size());
  for (std::size_t i = 0; i < m1.labels.size(); ++i) {
    EXPECT_EQ(m1.labels[i].voxels, m2.labels[i].voxels);
    EXPECT_EQ(m1.labels[i].surface_area_um2, m2.labels[i].surface_area_um2);
    EXPECT_EQ(m1.labels[i].centroid, m2.labels[i].centroid);
  }
  for (std::size_t i = 0; i < m1.voids.size(); ++i)
    EXPECT_EQ(m1.voids[i].surface_area_um2, m2.voids[i].surface_area_um2);
  EXPECT_EQ(m1.interface.crack_penetration_um, m2.interface.crack_penetration_um);
  EXPECT_EQ(m1.interface.contact_area_um2, m2.interface.contact_area_um2);
  for (std::size_t j = 0; j < m1.interface.bands.size(); ++j)
    EXPECT_EQ(m1.interface.bands[j].void_fraction, m2.interface.bands[j].void_fraction);
}

TEST(Metrics, RejectsWhatItCannotMeasure) {
  using test::thrown_kind;
  EXPECT_EQ(thrown_kind([] { measure(SegmentResult{}, params()); }), ErrorKind::BadData);

  SegmentResult bad_label = cell(4, 4, 4, kNaK);
  bad_label.labels(1, 2, 3) = kLabelCount;  // one past the last label
  EXPECT_EQ(thrown_kind([&] { measure(bad_label, params()); }), ErrorKind::BadData);

  SegmentResult bad_id = cell(4, 4, 4, kNaK);
  bad_id.void_ids = HostArray<std::uint32_t, 3>({4, 4, 4}, 0);
  bad_id.void_ids(0, 0, 0) = 2;
  bad_id.void_count = 1;
  EXPECT_EQ(thrown_kind([&] { measure(bad_id, params()); }), ErrorKind::BadData);

  SegmentResult bad_shape = cell(4, 4, 4, kNaK);
  bad_shape.void_ids = HostArray<std::uint32_t, 3>({4, 4, 5}, 0);
  EXPECT_EQ(thrown_kind([&] { measure(bad_shape, params()); }), ErrorKind::BadData);

  const SegmentResult ok = cell(4, 4, 4, kNaK);
  MeasureParams p = params();
  p.voxel_size_um = 0;
  EXPECT_EQ(thrown_kind([&] { measure(ok, p); }), ErrorKind::Usage);
  p = params();
  p.band_um = {5, -1};
  EXPECT_EQ(thrown_kind([&] { measure(ok, p); }), ErrorKind::Usage);
  p = params();
  p.threads = -1;
  EXPECT_EQ(thrown_kind([&] { measure(ok, p); }), ErrorKind::Usage);
}

}  // namespace
}  // namespace xct::seg
