// The in situ NaK | NASICON cell as a scene, one per time step. Sizes scale with the detector
// (radii with its width, heights with its height); the pixel size sets the physical scale.
//
// Cell frame: x, y horizontal in pixels from the rotation axis, z = detector row (0 = top row).
// From the top: Al current collector, the NaK layer held in by a rubber O-ring, the NASICON
// pellet; a PEEK housing around all of it. A crack starts on the pellet's top face near the
// edge of the NaK contact, curves down to its side face and finally cuts a chip off.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulate/scene.hpp"

namespace xct::sim {

// Linear attenuation at 80 keV (1/cm) and refractive decrement, from the NIST tables by the
// mixture rule (see docs/simulator.md).
struct Materials {
  Material nasicon{"NASICON", 2.28, 9.86e-8};
  Material nak{"NaK50", 0.225, 2.78e-8};
  Material peek{"PEEK", 0.222, 4.45e-8};
  Material sodium{"Na", 0.174, 3.00e-8};
  Material potassium{"K", 0.280, 2.72e-8};
  Material aluminium{"Al", 0.545, 8.44e-8};
  Material oring{"FKM rubber", 0.31, 5.97e-8};
  Material air{"air", 0.0, 0.0};
};

struct CellParams {
  std::size_t n_cols = 256;  // detector width: sets the radial scale
  std::size_t n_rows = 256;  // detector height: sets the vertical scale
  std::uint64_t seed = 1;    // places voids, bubbles, filaments and the crack
  // The detector may see a band of the cell only: the layers are laid out over cell_height
  // rows (0: n_rows), and detector row 0 sees cell row first_row.
  double cell_height = 0;
  double first_row = 0;
  Materials materials;

  // Radii as fractions of the detector width, heights as fractions of the cell height.
  double housing_outer = 0.42, housing_inner = 0.385;
  double pellet_radius = 0.36;
  double contact_radius = 0.30;  // inner radius of the O-ring: the NaK contact disc
  double al_top = 0.14, nak_top = 0.26, pellet_top = 0.52, pellet_bottom = 0.90;

  // Fraction of the contact disc out of contact at t0 (void caps on the pellet face).
  double interface_void_fraction = 0.12;
  double interface_void_growth = 0.25;  // relative growth of their footprint radius by the end
  int bubbles = 3;                      // gas bubbles in the NaK bulk
  double bubble_growth = 0.3;           // relative growth of the largest bubble's radius
  int filaments = 0;                    // Na filaments on the interface

  // Crack: starts at the top face crack_start (fraction of the width) inside the contact edge,
  // reaches the side face crack_depth (fraction of the height) below the top face.
  double crack_start = 0.005;
  double crack_depth = 0.16;
  double crack_opening_px = 2.0;  // opening when the chip separates
  double chip_shift_px = 2.0;     // how far the chip moves out once separated
};

// Where a time step stands in the failure: 0 intact, between 0 and 1 a crack growing down from
// the face, 1 the chip cut off and displaced, NaK in the crack and gap.
struct CellState {
  double progress = 0;
};

// Rigid pose of the cell in the scanner: world = rotation (p - pivot) + pivot + shift.
struct Pose {
  Mat3 rotation;
  Vec3 pivot;
  Vec3 shift;
  Vec3 axis{0, 0, 1};
  double angle_rad = 0;

  Vec3 to_cell(const Vec3& world) const;
  Ray to_cell(const Ray& world) const;
};

// What the cell's builder placed, for the ground truth (cell frame, pixels).
struct CellLayout {
  double z_top = 0;           // pellet top face
  double z_nak = 0;           // top of the NaK layer
  double contact_radius = 0;  // NaK contact disc on the top face
  bool crack_present = false;
  bool chip_separated = false;
  std::string crack_fill;
  double crack_opening_px = 0;
  double crack_depth_limit_px = 0;  // the crack's extent below the face by construction
  Vec3 crack_centre;                // centre of the sphere the crack surface lies on
  double crack_radius = 0;
  double crack_azimuth_rad = 0;
  Vec3 chip_shift;
  struct Void {
    std::string kind;  // "interface" or "bubble"
    Vec3 centre;
    double radius = 0;
  };
  std::vector<Void> voids;
  int filament_segments = 0;
};

struct Cell {
  Scene scene;
  CellLayout layout;
};

// Checks the parameters; throws ErrorKind::Usage with a one-line reason.
void validate(const CellParams& params);
Cell build_cell(const CellParams& params, const CellState& state);

}  // namespace xct::sim
