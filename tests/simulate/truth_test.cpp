// The ground truth against the geometry: labels along rays against point-in-shape tests,
// partial volumes against a closed-form volume, and the metrics in truth.json against voxel
// counts of the label volume.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "simulate/simulate.hpp"
#include "simulate/truth.hpp"

namespace xct::sim {
namespace {

constexpr double kPi = std::numbers::pi;

struct LabelVolume {
  std::size_t nz = 0, n = 0;
  std::vector<std::uint8_t> v;
  std::uint8_t at(std::size_t z, std::size_t y, std::size_t x) const {
    return v[(z * n + y) * n + x];
  }
};

LabelVolume label_volume(const Cell& cell, const Pose& pose, std::size_t n, std::size_t nz) {
  LabelVolume lv{nz, n, std::vector<std::uint8_t>(nz * n * n)};
  for (std::size_t z = 0; z < nz; ++z) {
    truth_slice(cell.scene, pose, n, z, 1, lv.v.data() + z * n * n, nullptr);
  }
  return lv;
}

// Cell-frame position of voxel (z, y, x) on the reconstruction grid.
Vec3 voxel_centre(std::size_t n, std::size_t z, std::size_t y, std::size_t x) {
  const double h = (static_cast<double>(n) - 1) / 2;
  return {static_cast<double>(x) - h, static_cast<double>(y) - h, static_cast<double>(z)};
}

SimulationParams series() {
  SimulationParams sp;
  sp.cell.n_cols = 96;
  sp.cell.n_rows = 96;
  sp.cell.filaments = 2;
  sp.time_steps = 4;
  return sp;
}

TEST(Truth, LabelsAlongRaysAgreeWithPointTests) {
  // Every voxel of a drifted, cracked step: the label found by painting rays equals the label
  // of the top object containing the voxel centre.
  const SimulationParams sp = series();
  const Cell cell = build_cell(sp.cell, {step_progress(sp, 2)});
  const Pose pose = step_pose(sp, 2);
  ASSERT_GT(pose.angle_rad, 0.0);
  const std::size_t n = sp.cell.n_cols;
  const LabelVolume lv = label_volume(cell, pose, n, sp.cell.n_rows);
  std::size_t mismatches = 0, counted[9] = {};
  for (std::size_t z = 0; z < lv.nz; ++z) {
    for (std::size_t y = 0; y < n; ++y) {
      for (std::size_t x = 0; x < n; ++x) {
        const std::uint8_t l = lv.at(z, y, x);
        mismatches += l != cell.scene.label_at(pose.to_cell(voxel_centre(n, z, y, x)));
        ++counted[l];
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  for (std::uint8_t l : {kVoid, kNaK, kNasicon, kCrack, kAluminium, kHousing, kSodium}) {
    EXPECT_GT(counted[l], 0u) << "label " << int(l) << " missing from the volume";
  }
}

TEST(Truth, PartialVolumesIntegrateToTheVolume) {
  // A ball of mu = 1 /cm and radius 7.3 px: the attenuation volume sums to 4/3 pi r^3 to
  // within the sampling of 4 x 4 sub-rays per voxel (0.3 %), and voxels wholly inside hold 1.
  Scene scene;
  const double r = 7.3;
  scene.add({"ball", sphere({0.4, -1.2, 10.3}, r), {"test", 1.0, 0}, kNasicon});
  const std::size_t n = 32, nz = 21;
  std::vector<float> slice(n * n);
  double sum = 0;
  bool saw_full = false;
  for (std::size_t z = 0; z < nz; ++z) {
    truth_slice(scene, Pose{}, n, z, 4, nullptr, slice.data());
    for (float v : slice) {
      sum += v;
      saw_full = saw_full || v == 1.0f;
      EXPECT_LE(v, 1.0f + 1e-6f);
    }
  }
  EXPECT_TRUE(saw_full);
  EXPECT_NEAR(sum, 4.0 / 3 * kPi * r * r * r, 0.003 * 4.0 / 3 * kPi * r * r * r);
}

// Voxels of `label` in the volume, and how many of them touch another label (6-neighbours):
// the discretisation error of a count is at most about half the boundary voxels.
struct Count {
  double voxels = 0, boundary = 0;
};

template <typename Keep>
Count count(const LabelVolume& lv, std::uint8_t label, Keep keep) {
  Count c;
  const std::size_t n = lv.n;
  for (std::size_t z = 0; z < lv.nz; ++z) {
    for (std::size_t y = 0; y < n; ++y) {
      for (std::size_t x = 0; x < n; ++x) {
        if (lv.at(z, y, x) != label || !keep(z, y, x)) continue;
        c.voxels += 1;
        const bool edge = z == 0 || z + 1 == lv.nz || y == 0 || y + 1 == n || x == 0 ||
                          x + 1 == n || lv.at(z - 1, y, x) != label ||
                          lv.at(z + 1, y, x) != label || lv.at(z, y - 1, x) != label ||
                          lv.at(z, y + 1, x) != label || lv.at(z, y, x - 1) != label ||
                          lv.at(z, y, x + 1) != label;
        c.boundary += edge;
      }
    }
  }
  return c;
}

TEST(Truth, MetricsAgreeWithVoxelCounts) {
  SimulationParams sp = series();
  sp.drift_px = 0;  // depths and the face are then on the voxel grid's axes
  sp.drift_deg = 0;
  // The face 0.05 px below a voxel row's centres, so that row samples what touches the face.
  sp.cell.pellet_top = 49.05 / 96;
  const std::size_t n = sp.cell.n_cols;
  const double band = 6;
  double last_crack = -1, last_contact = 2;
  for (std::size_t t = 0; t < sp.time_steps; ++t) {
    const Cell cell = build_cell(sp.cell, {step_progress(sp, t)});
    const StepMetrics m = measure(cell, sp.cell, band);
    const LabelVolume lv = label_volume(cell, Pose{}, n, sp.cell.n_rows);
    const double z_top = cell.layout.z_top, r_c = cell.layout.contact_radius;
    auto all = [](std::size_t, std::size_t, std::size_t) { return true; };

    const Count crack = count(lv, kCrack, all);
    EXPECT_NEAR(crack.voxels, m.crack_volume, 0.5 * crack.boundary + 1) << "step " << t;
    const Count chip = count(lv, kChip, all);
    EXPECT_NEAR(chip.voxels, m.chip_volume, 0.5 * chip.boundary + 1) << "step " << t;

    // Gas within the band above the face, inside the contact disc.
    auto in_band = [&](std::size_t z, std::size_t y, std::size_t x) {
      const Vec3 c = voxel_centre(n, z, y, x);
      return c.z >= z_top - band && c.z <= z_top && std::hypot(c.x, c.y) <= r_c;
    };
    const Count gas = count(lv, kVoid, in_band);
    EXPECT_NEAR(gas.voxels, m.interface_void_volume, 0.5 * gas.boundary + 1) << "step " << t;
    EXPECT_GT(m.interface_void_volume, 10.0);

    // Crack depth: the deepest crack voxel centre lies within a voxel of the true depth.
    if (m.crack_volume > 0) {
      double deepest = -1;
      for (std::size_t z = 0; z < lv.nz; ++z) {
        for (std::size_t i = 0; i < n * n; ++i) {
          if (lv.v[z * n * n + i] == kCrack) deepest = std::max(deepest, z - z_top);
        }
      }
      EXPECT_NEAR(deepest, m.crack_depth, 1.0) << "step " << t;
    }

    // Contact: the voxel row just above the face, inside the contact disc (0.5 px margin). The
    // void caps widen upwards, so the row must lie close to the face.
    double metal = 0, gas_row = 0;
    const auto zr = static_cast<std::size_t>(std::floor(z_top));
    for (std::size_t y = 0; y < n; ++y) {
      for (std::size_t x = 0; x < n; ++x) {
        const Vec3 c = voxel_centre(n, zr, y, x);
        if (std::hypot(c.x, c.y) > r_c - 0.5) continue;
        const std::uint8_t l = lv.at(zr, y, x);
        metal += l == kNaK || l == kSodium;
        gas_row += l == kVoid;
      }
    }
    EXPECT_NEAR(metal / (metal + gas_row), m.contact_area_fraction, 0.02) << "step " << t;

    // The failure advances: the crack grows, contact is lost, the chip appears only at the end.
    EXPECT_GT(m.crack_volume, last_crack);
    EXPECT_LT(m.contact_area_fraction, last_contact);
    EXPECT_EQ(m.chip_volume > 0, t + 1 == sp.time_steps);
    last_crack = m.crack_volume;
    last_contact = m.contact_area_fraction;
  }
}

TEST(Truth, MetricsDoNotDependOnDrift) {
  // The metrics are measured in the cell's frame; volumes counted on the drifted grid agree.
  const SimulationParams sp = series();
  const Cell cell = build_cell(sp.cell, {1.0});
  const StepMetrics m = measure(cell, sp.cell, 6);
  const Pose pose = step_pose(sp, 3);
  ASSERT_GT(norm(pose.shift), 0.5);
  const LabelVolume lv = label_volume(cell, pose, sp.cell.n_cols, sp.cell.n_rows);
  auto all = [](std::size_t, std::size_t, std::size_t) { return true; };
  const Count chip = count(lv, kChip, all);
  EXPECT_NEAR(chip.voxels, m.chip_volume, 0.5 * chip.boundary + 1);
  const Count crack = count(lv, kCrack, all);
  EXPECT_NEAR(crack.voxels, m.crack_volume, 0.5 * crack.boundary + 1);
}

}  // namespace
}  // namespace xct::sim
