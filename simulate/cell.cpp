#include "simulate/cell.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "simulate/random.hpp"

namespace xct::sim {

Vec3 Pose::to_cell(const Vec3& world) const {
  return rotation.transposed() * (world - pivot - shift) + pivot;
}

Ray Pose::to_cell(const Ray& world) const {
  const Mat3 inv = rotation.transposed();
  return {inv * (world.origin - pivot - shift) + pivot, inv * world.dir};
}

void validate(const CellParams& p) {
  auto usage = [](bool ok, const std::string& what) { XCT_CHECK(ok, ErrorKind::Usage, what); };
  usage(p.n_cols >= 32 && p.n_rows >= 8,
        "the detector must be at least 32 columns by 8 rows for the cell to be resolved");
  const double height = p.cell_height > 0 ? p.cell_height : static_cast<double>(p.n_rows);
  usage(std::isfinite(p.cell_height) && p.cell_height >= 0 && height >= 16,
        "the cell height must be at least 16 rows");
  usage(std::isfinite(p.first_row) && p.first_row >= 0 &&
            p.first_row + static_cast<double>(p.n_rows) <= height,
        "the detector rows must lie within the cell height (first row + rows <= cell height)");
  const double fractions[] = {p.housing_outer, p.housing_inner, p.pellet_radius, p.contact_radius,
                              p.al_top,        p.nak_top,       p.pellet_top,    p.pellet_bottom};
  for (double f : fractions)
    usage(std::isfinite(f) && f > 0, "cell sizes must be positive");
  usage(p.housing_outer <= 0.47,
        "the housing must fit in the field of view (outer radius <= 0.47)");
  usage(p.contact_radius < p.pellet_radius && p.pellet_radius < p.housing_inner &&
            p.housing_inner < p.housing_outer,
        "cell radii must grow outwards: contact < pellet < housing inner < housing outer");
  usage(p.al_top < p.nak_top && p.nak_top < p.pellet_top && p.pellet_top < p.pellet_bottom &&
            p.pellet_bottom <= 1.0,
        "cell layers must stack downwards inside the detector height");
  usage(p.interface_void_fraction >= 0 && p.interface_void_fraction <= 0.5,
        "the interface void fraction must lie in [0, 0.5]");
  usage(p.interface_void_growth >= 0 && p.bubble_growth >= 0, "growth rates must not be negative");
  usage(p.bubbles >= 0 && p.bubbles <= 50, "bubbles must lie in [0, 50]");
  usage(p.filaments >= 0 && p.filaments <= 20, "filaments must lie in [0, 20]");
  usage(p.crack_opening_px > 0, "the crack opening must be positive");
  usage(p.chip_shift_px >= 0, "the chip shift must not be negative");
  usage(p.crack_start >= 0 && p.contact_radius - p.crack_start > 0,
        "the crack must start on the pellet's top face");
  const double pellet_thickness = p.pellet_bottom - p.pellet_top;
  usage(p.crack_depth > 0 && p.crack_depth < pellet_thickness,
        "the crack depth must be positive and less than the pellet thickness");
  const double start_px = (p.contact_radius - p.crack_start) * static_cast<double>(p.n_cols);
  usage(p.pellet_radius * p.n_cols - start_px >= 2,
        "the crack must start at least 2 pixels inside the pellet's rim");
}

namespace {

constexpr double kPi = std::numbers::pi;

ShapePtr vertical_cylinder(double z0, double z1, double radius) {
  return cylinder({0, 0, z0}, {0, 0, z1}, radius);
}

struct Geometry {
  double W, H, r_ho, r_hi, r_p, r_c, z_al, z_nak, z_top, z_bot, z_min, z_max;
  explicit Geometry(const CellParams& p)
      : W(static_cast<double>(p.n_cols)),
        H(p.cell_height > 0 ? p.cell_height : static_cast<double>(p.n_rows)),
        r_ho(p.housing_outer * W),
        r_hi(p.housing_inner * W),
        r_p(p.pellet_radius * W),
        r_c(p.contact_radius * W),
        z_al(p.al_top * H - p.first_row),
        z_nak(p.nak_top * H - p.first_row),
        z_top(p.pellet_top * H - p.first_row),
        z_bot(p.pellet_bottom * H - p.first_row),
        z_min(-0.1 * H - 2 - p.first_row),
        z_max(1.1 * H + 2 - p.first_row) {}
};

// The crack surface: a sphere centred outside the pellet, above its face, that meets the top
// face at r0 (along the crack's azimuth) and the side face d below the top.
struct CrackSphere {
  Vec3 centre;
  double radius = 0;
  Vec3 outward;  // unit radial direction of the crack's azimuth
};

CrackSphere crack_sphere(const Geometry& g, const CellParams& p, double azimuth) {
  const double r0 = (p.contact_radius - p.crack_start) * g.W;
  const double dr = g.r_p - r0;
  const double d = p.crack_depth * g.H;
  const double h = dr;  // centre height above the face
  const double rc = 0.5 * (g.r_p + r0) + ((d + h) * (d + h) - h * h) / (2 * dr);
  const Vec3 out{std::cos(azimuth), std::sin(azimuth), 0};
  CrackSphere s;
  s.centre = out * rc + Vec3{0, 0, g.z_top - h};
  s.radius = std::sqrt((r0 - rc) * (r0 - rc) + h * h);
  s.outward = out;
  return s;
}

double radial(const Vec3& v) {
  return std::sqrt(v.x * v.x + v.y * v.y);
}

struct Placement {
  Vec3 centre;
  double radius;  // at its largest over the series
};

bool clear_of(const std::vector<Placement>& placed, const Vec3& c, double r) {
  for (const auto& q : placed) {
    if (norm(q.centre - c) < q.radius + r + 1) return false;
  }
  return true;
}

}  // namespace

namespace {

// The parts that do not change: air in the housing, the housing, the Al collector, the NaK
// layer and the O-ring around it.
void add_fixed_parts(Scene& scene, const Geometry& g, const Materials& m) {
  scene.add({"cavity", vertical_cylinder(g.z_min, g.z_max, g.r_hi), m.air, kVoid});
  scene.add({"housing",
             subtract(vertical_cylinder(g.z_min, g.z_max, g.r_ho),
                      vertical_cylinder(g.z_min - 1, g.z_max + 1, g.r_hi)),
             m.peek, kHousing});
  scene.add({"Al collector", vertical_cylinder(g.z_al, g.z_nak, g.r_hi), m.aluminium, kAluminium});
  scene.add({"NaK", vertical_cylinder(g.z_nak, g.z_top, g.r_c), m.nak, kNaK});
  scene.add({"O-ring",
             subtract(vertical_cylinder(g.z_nak, g.z_top, g.r_hi),
                      vertical_cylinder(g.z_nak - 1, g.z_top + 1, g.r_c)),
             m.oring, kHousing});
}

// Interface voids: spheres centred above the face whose caps sit on it; the pellet, painted on
// top, cuts them. Their footprints cover the requested fraction of the contact disc at t0 and
// grow with progress. Placed at their largest, so they never overlap at any step.
void place_interface_voids(const CellParams& p, const Geometry& g, double prog, Rng& rng,
                           std::vector<Placement>& placed, CellLayout& lay) {
  const double target = p.interface_void_fraction * kPi * g.r_c * g.r_c;
  const double grow = 1 + p.interface_void_growth;
  const double nak_height = g.z_top - g.z_nak;
  double covered = 0;
  for (int attempt = 0; covered < target && attempt < 20000; ++attempt) {
    const double a = rng.uniform(0.02, 0.05) * g.W;  // footprint radius at t0
    const double h = a * rng.uniform(0.3, 0.8);      // centre height above the face at t0
    const double r = std::sqrt(a * a + h * h);
    const double rho = std::sqrt(rng.uniform()) * g.r_c;
    const double phi = rng.uniform(0, 2 * kPi);
    const Vec3 c{rho * std::cos(phi), rho * std::sin(phi), g.z_top - h * grow};
    if (rho + r * grow > g.r_c - 1 || (h + r) * grow > nak_height - 2) continue;
    if (!clear_of(placed, c, r * grow)) continue;
    placed.push_back({c, r * grow});
    covered += kPi * a * a;
    const double f = 1 + p.interface_void_growth * prog;
    lay.voids.push_back({"interface", Vec3{c.x, c.y, g.z_top - h * f}, r * f});
  }
  XCT_CHECK(covered >= target, ErrorKind::Usage, "cannot place interface voids covering ",
            p.interface_void_fraction, " of the contact area; ask for a smaller fraction");
}

// Bubbles in the NaK bulk, away from the face; the largest grows with progress.
void place_bubbles(const CellParams& p, const Geometry& g, double prog, Rng& rng,
                   std::vector<Placement>& placed, CellLayout& lay) {
  const double ceiling = g.z_top - 0.3 * (g.z_top - g.z_nak);  // lowest a bubble may reach
  std::vector<CellLayout::Void> bubbles;
  for (int b = 0, attempt = 0; b < p.bubbles && attempt < 20000; ++attempt) {
    const double r = rng.uniform(0.02, 0.04) * g.W;
    const double rmax = r * (1 + p.bubble_growth);
    const double rho = std::sqrt(rng.uniform()) * g.r_c;
    const double phi = rng.uniform(0, 2 * kPi);
    const double z = rng.uniform(g.z_nak + rmax + 1, ceiling - rmax);
    const Vec3 c{rho * std::cos(phi), rho * std::sin(phi), z};
    if (rho + rmax > g.r_c - 1 || z - rmax < g.z_nak + 1 || z + rmax > ceiling) continue;
    if (!clear_of(placed, c, rmax)) continue;
    placed.push_back({c, rmax});
    bubbles.push_back({"bubble", c, r});
    ++b;
  }
  if (!bubbles.empty()) {
    auto largest =
        std::max_element(bubbles.begin(), bubbles.end(),
                         [](const auto& a, const auto& b) { return a.radius < b.radius; });
    largest->radius *= 1 + p.bubble_growth * prog;
  }
  lay.voids.insert(lay.voids.end(), bubbles.begin(), bubbles.end());
}

// Na filaments: thin tubes lying on the face, branching random walks that lengthen with time.
void add_filaments(Scene& scene, const CellParams& p, const Geometry& g, double prog,
                   CellLayout& lay) {
  const double tube = 0.6 + 0.4 * prog;
  const int total = 8;  // segments of a fully grown filament; a branch leaves halfway
  const int grown = std::max(1, static_cast<int>(std::lround(total * (0.3 + 0.7 * prog))));
  for (int f = 0; f < p.filaments; ++f) {
    Rng walk(mix_seed(p.seed, 0xF11A, static_cast<std::uint64_t>(f)));
    const double rho = std::sqrt(walk.uniform()) * (g.r_c - 0.1 * g.W);
    const double phi = walk.uniform(0, 2 * kPi);
    Vec3 at{rho * std::cos(phi), rho * std::sin(phi), g.z_top - tube};
    double heading = walk.uniform(0, 2 * kPi);
    Vec3 branch_at = at;
    double branch_heading = heading;
    for (int s = 0; s < total; ++s) {
      const bool branch = s == total / 2;
      Vec3& from = branch ? branch_at : at;
      double& dir = branch ? branch_heading : heading;
      if (branch) dir += (walk.uniform() < 0.5 ? -1 : 1) * 0.9;
      dir += walk.uniform(-0.7, 0.7);
      const double len = walk.uniform(0.02, 0.04) * g.W;
      const Vec3 to = from + Vec3{std::cos(dir), std::sin(dir), 0} * len;
      if (s == total / 2 - 1) {
        branch_at = to;
        branch_heading = dir;
      }
      if (s >= grown || radial(to) > g.r_c - tube - 1) continue;
      scene.add({"Na filament", cylinder(from, to, tube), p.materials.sodium, kSodium});
      scene.add({"Na filament", sphere(to, tube), p.materials.sodium, kSodium});
      ++lay.filament_segments;
      from = to;
    }
  }
}

// The crack grows down from the face (Na from the filament that opens it fills it); at
// progress 1 it cuts through, the chip moves out and up, and NaK fills the crack and the gap.
void add_crack(Scene& scene, const CellParams& p, const Geometry& g, const CrackSphere& cs,
               const ShapePtr& pellet, double prog, CellLayout& lay) {
  if (!(prog > 0)) return;
  const Materials& m = p.materials;
  lay.crack_present = true;
  lay.chip_separated = prog >= 1;
  lay.crack_opening_px = p.crack_opening_px * (0.4 + 0.6 * prog);
  const ShapePtr inner = sphere(cs.centre, cs.radius);
  const ShapePtr outer = sphere(cs.centre, cs.radius + lay.crack_opening_px);
  if (!lay.chip_separated) {
    const double depth = prog * p.crack_depth * g.H;
    lay.crack_depth_limit_px = depth;
    lay.crack_fill = m.sodium.name;
    scene.add({"crack",
               intersect({subtract(outer, inner), pellet,
                          half_space({0, 0, g.z_top + depth}, {0, 0, 1})}),
               m.sodium, kCrack});
    return;
  }
  lay.crack_fill = m.nak.name;
  lay.crack_depth_limit_px = p.crack_depth * g.H;
  scene.add({"crack", intersect({outer, pellet}), m.nak, kCrack});
  lay.chip_shift = cs.outward * p.chip_shift_px + Vec3{0, 0, -0.5 * p.chip_shift_px};
  scene.add({"chip", moved(intersect({inner, pellet}), Mat3::identity(), {0, 0, 0}, lay.chip_shift),
             m.nasicon, kChip});
}

}  // namespace

Cell build_cell(const CellParams& p, const CellState& state) {
  validate(p);
  XCT_CHECK(state.progress >= 0 && state.progress <= 1, ErrorKind::Usage,
            "progress must lie in [0, 1]");
  const Geometry g(p);
  const double prog = state.progress;
  Cell cell;
  CellLayout& lay = cell.layout;
  lay.z_top = g.z_top;
  lay.z_nak = g.z_nak;
  lay.contact_radius = g.r_c;

  Rng rng(mix_seed(p.seed, 0xCE11));
  const double azimuth = rng.uniform(0, 2 * kPi);
  const CrackSphere cs = crack_sphere(g, p, azimuth);
  lay.crack_centre = cs.centre;
  lay.crack_radius = cs.radius;
  lay.crack_azimuth_rad = azimuth;

  add_fixed_parts(cell.scene, g, p.materials);
  // Voids keep clear of the crack's mouth.
  const Vec3 mouth = cs.outward * ((p.contact_radius - p.crack_start) * g.W) + Vec3{0, 0, g.z_top};
  std::vector<Placement> placed{{mouth, 0.03 * g.W}};
  place_interface_voids(p, g, prog, rng, placed, lay);
  place_bubbles(p, g, prog, rng, placed, lay);
  for (const auto& v : lay.voids) {
    cell.scene.add({v.kind == "bubble" ? "bubble" : "interface void", sphere(v.centre, v.radius),
                    p.materials.air, kVoid});
  }
  add_filaments(cell.scene, p, g, prog, lay);
  const ShapePtr pellet = vertical_cylinder(g.z_top, g.z_bot, g.r_p);
  cell.scene.add({"NASICON pellet", pellet, p.materials.nasicon, kNasicon});
  add_crack(cell.scene, p, g, cs, pellet, prog, lay);
  return cell;
}

}  // namespace xct::sim
