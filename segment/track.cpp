#include "segment/track.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "segment/itk_ops.hpp"
#include "segment/labels.hpp"
#include "segment/volume_ops.hpp"

namespace xct::seg {

namespace {

using Mask = HostArray<std::uint8_t, 3>;
using Vec3 = std::array<double, 3>;

// Axis-centred geometry of step 0's pellet, in voxels.
struct PelletGeometry {
  double top = 0, bottom = 0;  // z of its top face and of its lowest slice
  double radius = 0;           // about the cell's axis
};

PelletGeometry pellet_geometry(const SegmentResult& ref) {
  const auto& L = ref.labels;
  const std::size_t nz = L.extent(0), ny = L.extent(1), nx = L.extent(2);
  const Axis axis{ref.cylinder.cx, ref.cylinder.cy};
  PelletGeometry g;
  g.top = ref.pellet_top_z;
  // The pellet's slices: those where NASICON covers a good share of a disc.
  std::vector<std::size_t> count(nz, 0);
  std::size_t most = 0;
  for (std::size_t z = 0; z < nz; ++z) {
    const std::uint8_t* s = L.data() + z * ny * nx;
    for (std::size_t i = 0; i < ny * nx; ++i)
      count[z] += s[i] == kNasicon;
    most = std::max(most, count[z]);
  }
  g.bottom = g.top;
  for (std::size_t z = 0; z < nz; ++z)
    if (count[z] > most / 2) g.bottom = static_cast<double>(z);
  // Radius: the 99th percentile of NASICON's radii in the pellet's lower half.
  std::vector<float> radii;
  const auto z0 = static_cast<std::size_t>(std::max(0.0, 0.5 * (g.top + g.bottom)));
  const auto z1 = static_cast<std::size_t>(g.bottom) + 1;
  for (std::size_t z = z0; z < std::min(z1, nz); ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x)
        if (L(z, y, x) == kNasicon) radii.push_back(static_cast<float>(axis.radius(y, x)));
  if (!radii.empty()) {
    const auto k = static_cast<std::size_t>(0.99 * static_cast<double>(radii.size() - 1));
    std::nth_element(radii.begin(), radii.begin() + static_cast<long>(k), radii.end());
    g.radius = radii[k];
  }
  return g;
}

// Volume resampled with NaN outside the source: each NaN takes the nearest valid value along
// z (the volume's top and bottom, which drift brings in), or 0 where a whole column is outside.
void fill_outside(HostArray<float, 3>& v) {
  const std::size_t nz = v.extent(0), ny = v.extent(1), nx = v.extent(2);
#pragma omp parallel for schedule(static)
  for (std::size_t y = 0; y < ny; ++y)
    for (std::size_t x = 0; x < nx; ++x) {
      std::size_t first = nz, last = 0;
      for (std::size_t z = 0; z < nz; ++z)
        if (std::isfinite(v(z, y, x))) {
          first = std::min(first, z);
          last = z;
        }
      if (first == nz) {
        for (std::size_t z = 0; z < nz; ++z)
          v(z, y, x) = 0.0f;
        continue;
      }
      for (std::size_t z = 0; z < nz; ++z) {
        if (std::isfinite(v(z, y, x))) continue;
        v(z, y, x) = z < first ? v(first, y, x) : z > last ? v(last, y, x) : 0.0f;
      }
    }
}

// The scanner's rotation axis of the moving volume (the centre of its slices) seen in the
// common frame: x, y at slice 0 and their change per slice.
std::array<double, 4> ring_axis_in_common_frame(const RigidTransform& fixed_to_moving,
                                                std::array<std::size_t, 3> moving_shape) {
  const double cx = 0.5 * static_cast<double>(moving_shape[2] - 1);
  const double cy = 0.5 * static_cast<double>(moving_shape[1] - 1);
  const RigidTransform back = fixed_to_moving.inverse();
  const Vec3 a = back.apply({cx, cy, 0.0});
  const Vec3 b = back.apply({cx, cy, static_cast<double>(moving_shape[0] - 1)});
  const double dz = b[2] - a[2];
  const double sx = std::abs(dz) > 1e-9 ? (b[0] - a[0]) / dz : 0.0;
  const double sy = std::abs(dz) > 1e-9 ? (b[1] - a[1]) / dz : 0.0;
  return {a[0] - sx * a[2], a[1] - sy * a[2], sx, sy};
}

// Pieces of one label, tracked from the previous step.
class PieceTracker {
 public:
  PieceTracker(int label, double tolerance_px, std::size_t min_voxels)
      : label_(label), tol_(static_cast<int>(std::ceil(tolerance_px))), min_voxels_(min_voxels) {}

  // Gives each piece of `label_` in `labels` an id: the id of the previous step's piece it
  // overlaps most (voxels on it count more than voxels near it), or a new one. Returns the ids
  // present and each one's voxel count.
  std::map<std::uint32_t, std::size_t> step(HostView<const std::uint8_t, 3> labels,
                                            std::uint32_t& next_id) {
    const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
    Mask mask({nz, ny, nx}, 0);
    for (std::size_t i = 0; i < mask.size(); ++i)
      mask.data()[i] = labels.data()[i] == label_;
    auto comps = itk::connected_components(mask.cview(), true);
    HostArray<std::uint32_t, 3> ids({nz, ny, nx}, 0);
    std::map<std::uint32_t, std::size_t> present;
    std::vector<std::map<std::uint32_t, double>> votes(comps.sizes.size() + 1);
    if (!previous_.empty()) {
      for (std::size_t z = 0; z < nz; ++z)
        for (std::size_t y = 0; y < ny; ++y)
          for (std::size_t x = 0; x < nx; ++x) {
            const auto c = comps.ids(z, y, x);
            if (!c || comps.sizes[c - 1] < min_voxels_) continue;
            if (const auto on = previous_(z, y, x)) {
              votes[c][on] += 4.0;
              continue;
            }
            // Near a previous piece: the nearest one within the tolerance box.
            std::uint32_t best = 0;
            int best_d = 1 << 30;
            for (int dz = -tol_; dz <= tol_; ++dz)
              for (int dy = -tol_; dy <= tol_; ++dy)
                for (int dx = -tol_; dx <= tol_; ++dx) {
                  const long zz = static_cast<long>(z) + dz, yy = static_cast<long>(y) + dy,
                             xx = static_cast<long>(x) + dx;
                  if (zz < 0 || yy < 0 || xx < 0 || zz >= static_cast<long>(nz) ||
                      yy >= static_cast<long>(ny) || xx >= static_cast<long>(nx))
                    continue;
                  const auto p =
                      previous_(static_cast<std::size_t>(zz), static_cast<std::size_t>(yy),
                                static_cast<std::size_t>(xx));
                  const int d = dz * dz + dy * dy + dx * dx;
                  if (p && d < best_d) {
                    best = p;
                    best_d = d;
                  }
                }
            if (best) votes[c][best] += 1.0;
          }
    }
    std::vector<std::uint32_t> assigned(comps.sizes.size() + 1, 0);
    for (std::size_t c = 1; c <= comps.sizes.size(); ++c) {
      if (comps.sizes[c - 1] < min_voxels_) continue;
      std::uint32_t id = 0;
      double most = 0;
      for (const auto& [prev, v] : votes[c])
        if (v > most) {
          most = v;
          id = prev;
        }
      assigned[c] = id ? id : next_id++;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) {
      const auto c = comps.ids.data()[i];
      if (!c || !assigned[c]) continue;
      ids.data()[i] = assigned[c];
      ++present[assigned[c]];
    }
    previous_ = std::move(ids);
    return present;
  }

 private:
  int label_;
  int tol_;
  std::size_t min_voxels_;
  HostArray<std::uint32_t, 3> previous_;
};

}  // namespace

HostArray<std::uint8_t, 3> registration_mask(const SegmentResult& ref, double rim_fraction,
                                             int margin) {
  const auto& L = ref.labels;
  const std::size_t nz = L.extent(0), ny = L.extent(1), nx = L.extent(2);
  // The housing, the collector, the pellet and the NaK layer with its voids: the cell is
  // nearly symmetric about its axis, and the voids are what fix its rotation about that axis.
  Mask fixed_parts({nz, ny, nx}, 0);
  for (std::size_t i = 0; i < L.size(); ++i)
    fixed_parts.data()[i] = L.data()[i] != kOutside;
  Mask mask = margin > 0 ? dilate_box(fixed_parts.cview(), margin) : std::move(fixed_parts);
  const PelletGeometry g = pellet_geometry(ref);
  const Axis axis{ref.cylinder.cx, ref.cylinder.cy};
  const double r_in = rim_fraction * g.radius;
  // The rim zone reaches out to the housing's inner wall (a chip moves outwards into the gap).
  const double r_out = ref.housing_inner_radius > g.radius ? ref.housing_inner_radius - 1.0
                                                           : g.radius + 2.0 * margin;
  const double z_hi = 0.5 * (g.top + g.bottom);
  const double z_lo = g.top - 2.0 * margin - 1.0;
  for (std::size_t z = 0; z < nz; ++z) {
    const double zd = static_cast<double>(z);
    if (zd < z_lo || zd > z_hi) continue;
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        const double r = axis.radius(y, x);
        if (r > r_in && r < r_out) mask(z, y, x) = 0;
      }
  }
  return mask;
}

double crack_filled_fraction(HostView<const float, 3> grey, HostView<const std::uint8_t, 3> labels,
                             const Phases& phases, std::size_t min_core) {
  const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
  auto solid = [&](std::size_t z, std::size_t y, std::size_t x) {
    const auto l = labels(z, y, x);
    return l == kNasicon || l == kChip;
  };
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t z = 1; z + 1 < nz; ++z)
    for (std::size_t y = 1; y + 1 < ny; ++y)
      for (std::size_t x = 1; x + 1 < nx; ++x) {
        if (labels(z, y, x) != kCrack) continue;
        if (solid(z - 1, y, x) || solid(z + 1, y, x) || solid(z, y - 1, x) || solid(z, y + 1, x) ||
            solid(z, y, x - 1) || solid(z, y, x + 1))
          continue;
        sum += grey(z, y, x);
        ++n;
      }
  if (n < min_core || !(phases.low > phases.gas)) return kNaN;
  const double f = (sum / static_cast<double>(n) - phases.gas) / (phases.low - phases.gas);
  return std::clamp(f, 0.0, 1.0);
}

std::array<double, 3> chip_shift(HostView<const float, 3> grey, HostView<const float, 3> reference,
                                 HostView<const std::uint8_t, 3> labels, double max_shift_px,
                                 double pellet_top_z) {
  const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
  Mask chip({nz, ny, nx}, 0);
  for (std::size_t i = 0; i < chip.size(); ++i)
    chip.data()[i] = labels.data()[i] == kChip;
  // The chip and what lies about it: where it was is told by its outer faces. The pellet and
  // the crack did not move with it, nor did the housing's wall; above the pellet's face the
  // chip's neighbour is the O-ring (label housing), which tells its height.
  const Mask near = dilate_box(chip.cview(), 2);
  std::vector<std::array<long, 3>> points;
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        if (!near(z, y, x)) continue;
        const auto l = labels(z, y, x);
        const bool above = static_cast<double>(z) < pellet_top_z;
        if (l == kChip || l == kVoid || l == kNaK || l == kSodium || (l == kHousing && above))
          points.push_back({static_cast<long>(z), static_cast<long>(y), static_cast<long>(x)});
      }
  if (points.empty()) return {kNaN, kNaN, kNaN};
  const int S = std::max(1, static_cast<int>(std::ceil(max_shift_px)));
  const int W = 2 * S + 1;
  std::vector<double> cost(static_cast<std::size_t>(W * W * W), 0.0);
#pragma omp parallel for schedule(dynamic) collapse(2)
  for (int dz = -S; dz <= S; ++dz)
    for (int dy = -S; dy <= S; ++dy)
      for (int dx = -S; dx <= S; ++dx) {
        double s = 0;
        std::size_t n = 0;
        for (const auto& p : points) {
          const long rz = p[0] - dz, ry = p[1] - dy, rx = p[2] - dx;
          if (rz < 0 || ry < 0 || rx < 0 || rz >= static_cast<long>(nz) ||
              ry >= static_cast<long>(ny) || rx >= static_cast<long>(nx))
            continue;
          const double d = static_cast<double>(grey(static_cast<std::size_t>(p[0]),
                                                    static_cast<std::size_t>(p[1]),
                                                    static_cast<std::size_t>(p[2]))) -
                           reference(static_cast<std::size_t>(rz), static_cast<std::size_t>(ry),
                                     static_cast<std::size_t>(rx));
          s += d * d;
          ++n;
        }
        cost[static_cast<std::size_t>(((dz + S) * W + (dy + S)) * W + (dx + S))] =
            n ? s / static_cast<double>(n) : std::numeric_limits<double>::infinity();
      }
  const auto best =
      static_cast<std::size_t>(std::min_element(cost.begin(), cost.end()) - cost.begin());
  const int bz = static_cast<int>(best) / (W * W), by = (static_cast<int>(best) / W) % W,
            bx = static_cast<int>(best) % W;
  auto at = [&](int z, int y, int x) {
    return cost[static_cast<std::size_t>((z * W + y) * W + x)];
  };
  // Sub-voxel: a parabola through the minimum and its neighbours, per axis.
  auto refine = [](double lo, double mid, double hi) {
    const double den = lo - 2 * mid + hi;
    if (!(den > 0) || !std::isfinite(den)) return 0.0;
    return std::clamp(0.5 * (lo - hi) / den, -0.5, 0.5);
  };
  double fz = 0, fy = 0, fx = 0;
  if (bz > 0 && bz < W - 1) fz = refine(at(bz - 1, by, bx), at(bz, by, bx), at(bz + 1, by, bx));
  if (by > 0 && by < W - 1) fy = refine(at(bz, by - 1, bx), at(bz, by, bx), at(bz, by + 1, bx));
  if (bx > 0 && bx < W - 1) fx = refine(at(bz, by, bx - 1), at(bz, by, bx), at(bz, by, bx + 1));
  return {bx - S + fx, by - S + fy, bz - S + fz};
}

double crack_exit_depth_px(HostView<const float, 3> ref_grey,
                           HostView<const std::uint8_t, 3> ref_labels,
                           HostView<const float, 3> grey, HostView<const std::uint8_t, 3> labels,
                           const Phases& phases, double pellet_top_z) {
  const std::size_t nz = labels.extent(0), ny = labels.extent(1), nx = labels.extent(2);
  Mask seeds({nz, ny, nx}, 0);
  std::size_t n_seed = 0;
  for (std::size_t i = 0; i < seeds.size(); ++i) {
    seeds.data()[i] = labels.data()[i] == kCrack;
    n_seed += seeds.data()[i];
  }
  if (!n_seed) return 0.0;
  // A box about the crack and chip, with room to grow.
  std::size_t z0 = nz, z1 = 0, y0 = ny, y1 = 0, x0 = nx, x1 = 0;
  for (std::size_t z = 0; z < nz; ++z)
    for (std::size_t y = 0; y < ny; ++y)
      for (std::size_t x = 0; x < nx; ++x) {
        const auto l = labels(z, y, x);
        if (l != kCrack && l != kChip) continue;
        z0 = std::min(z0, z), z1 = std::max(z1, z + 1);
        y0 = std::min(y0, y), y1 = std::max(y1, y + 1);
        x0 = std::min(x0, x), x1 = std::max(x1, x + 1);
      }
  const std::size_t g = 12;
  z0 = z0 > g ? z0 - g : 0, y0 = y0 > g ? y0 - g : 0, x0 = x0 > g ? x0 - g : 0;
  z1 = std::min(nz, z1 + g), y1 = std::min(ny, y1 + g), x1 = std::min(nx, x1 + g);
  const std::size_t bz = z1 - z0, by = y1 - y0, bx = x1 - x0;
  HostArray<float, 3> a({bz, by, bx}), b({bz, by, bx});
  for (std::size_t z = 0; z < bz; ++z)
    for (std::size_t y = 0; y < by; ++y)
      for (std::size_t x = 0; x < bx; ++x) {
        a(z, y, x) = ref_grey(z + z0, y + y0, x + x0);
        b(z, y, x) = grey(z + z0, y + y0, x + x0);
      }
  const auto as = gaussian(a.cview(), 1.0), bs = gaussian(b.cview(), 1.0);
  // Lost: NASICON at step 0, neither NASICON nor chip now, and darker by over half the
  // NASICON / NaK contrast.
  const double half = 0.5 * (phases.nasicon - phases.low);
  auto lost = [&](std::size_t z, std::size_t y, std::size_t x) {
    const std::size_t gz = z + z0, gy = y + y0, gx = x + x0;
    const auto l = labels(gz, gy, gx);
    return ref_labels(gz, gy, gx) == kNasicon && l != kNasicon && l != kChip &&
           as(z, y, x) - bs(z, y, x) > half;
  };
  // Grown from the crack through lost voxels (26-connected).
  std::vector<std::array<std::size_t, 3>> stack;
  Mask seen({bz, by, bx}, 0);
  for (std::size_t z = 0; z < bz; ++z)
    for (std::size_t y = 0; y < by; ++y)
      for (std::size_t x = 0; x < bx; ++x)
        if (labels(z + z0, y + y0, x + x0) == kCrack) {
          seen(z, y, x) = 1;
          stack.push_back({z, y, x});
        }
  std::size_t deepest = 0;
  while (!stack.empty()) {
    const auto [z, y, x] = stack.back();
    stack.pop_back();
    deepest = std::max(deepest, z + z0);
    for (int dz = -1; dz <= 1; ++dz)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          const long zz = static_cast<long>(z) + dz, yy = static_cast<long>(y) + dy,
                     xx = static_cast<long>(x) + dx;
          if (zz < 0 || yy < 0 || xx < 0 || zz >= static_cast<long>(bz) ||
              yy >= static_cast<long>(by) || xx >= static_cast<long>(bx))
            continue;
          const auto uz = static_cast<std::size_t>(zz), uy = static_cast<std::size_t>(yy),
                     ux = static_cast<std::size_t>(xx);
          if (seen(uz, uy, ux) || !lost(uz, uy, ux)) continue;
          seen(uz, uy, ux) = 1;
          stack.push_back({uz, uy, ux});
        }
  }
  return std::max(0.0, static_cast<double>(deepest) + 0.5 - pellet_top_z);
}

TrackResult track(const SeriesInput& input, const TrackParams& params, Logger& log,
                  const std::function<void(const StepView&)>& on_step) {
  const std::size_t n = input.names.size();
  XCT_CHECK(n >= 2, ErrorKind::Usage, "a time series needs at least two steps, got ", n);
  XCT_CHECK(input.times.size() == n && input.time_labels.size() == n && input.load,
            ErrorKind::Internal, "track: inconsistent series input");
  Stopwatch total;
  TrackResult result;
  const double vs = params.segment.voxel_size_um;
  result.voxel_size_um = vs;
  const double v3 = vs * vs * vs;

  MeasureParams mp = params.measure;
  mp.voxel_size_um = vs;
  if (std::find(mp.band_um.begin(), mp.band_um.end(), params.band_um) == mp.band_um.end())
    mp.band_um.push_back(params.band_um);

  std::uint32_t next_crack = 1, next_chip = 1;
  PieceTracker cracks(kCrack, params.overlap_px, 8);
  PieceTracker chips(kChip, params.overlap_px,
                     static_cast<std::size_t>(std::max(1.0, params.segment.min_chip_voxels)));
  std::map<std::uint32_t, TrackedObject> objects;
  auto note_objects = [&](const std::map<std::uint32_t, std::size_t>& present, int label,
                          std::size_t step, std::uint32_t offset) {
    for (const auto& [id, voxels] : present) {
      auto& o = objects[id + offset];
      if (o.volume_um3.empty()) {
        o.id = id;
        o.label = label;
        o.first_step = step;
        o.volume_um3.assign(n, 0.0);
      }
      o.last_step = step;
      o.volume_um3[step] = static_cast<double>(voxels) * v3;
    }
  };

  // Step 0: the common frame.
  Stopwatch sw;
  HostArray<float, 3> reference = input.load(0);
  result.shape = {reference.extent(0), reference.extent(1), reference.extent(2)};
  const double read0 = sw.lap();
  log.info("track: step 0 (", input.names[0], "): segmenting the reference");
  SegmentResult ref;
  try {
    ref = segment(reference.cview(), params.segment, log);
  } catch (const Error& e) {
    XCT_THROW(e.kind(), "step 0 (", input.names[0], "), the reference: ", e.what());
  }
  const double seg0 = sw.lap();
  const Mask mask = registration_mask(ref, params.rim_fraction, params.mask_margin_px);
  result.mask_voxels = static_cast<std::size_t>(std::count(mask.begin(), mask.end(), 1));
  log.info("track: registration mask of ", result.mask_voxels, " voxels");
  const Cylinder cylinder = ref.cylinder;
  const RigidTransform identity =
      RigidTransform::identity({0.5 * static_cast<double>(result.shape[2] - 1),
                                0.5 * static_cast<double>(result.shape[1] - 1),
                                0.5 * static_cast<double>(result.shape[0] - 1)});
  // The centre of the registration mask: where the cell's shift is reported.
  Vec3 mask_centre{0, 0, 0};
  {
    double c[3] = {0, 0, 0}, m = 0;
    for (std::size_t z = 0; z < result.shape[0]; ++z)
      for (std::size_t y = 0; y < result.shape[1]; ++y)
        for (std::size_t x = 0; x < result.shape[2]; ++x)
          if (mask(z, y, x)) {
            c[0] += static_cast<double>(x);
            c[1] += static_cast<double>(y);
            c[2] += static_cast<double>(z);
            m += 1;
          }
    if (m > 0) mask_centre = {c[0] / m, c[1] / m, c[2] / m};
  }

  auto fill_record = [&](StepRecord& rec, const SegmentResult& seg, const Metrics& met,
                         HostView<const float, 3> grey, std::size_t step) {
    const auto& im = met.interface;
    rec.crack_volume_um3 = im.crack_volume_um3;
    rec.crack_depth_um = im.crack_voxels ? im.crack_depth_um : 0.0;
    rec.crack_penetration_um = im.crack_voxels ? im.crack_penetration_um : 0.0;
    rec.crack_area_um2 = im.crack_area_um2;
    rec.crack_opening_um = im.crack_voxels ? im.crack_mean_opening_um : 0.0;
    rec.crack_filled_fraction = crack_filled_fraction(grey, seg.labels.cview(), seg.phases);
    rec.chip_count = im.chip_count;
    rec.chip_volume_um3 = im.chip_volume_um3;
    rec.contact_area_fraction = im.contact_area_fraction;
    for (const auto& b : im.bands)
      if (std::abs(b.distance_um - params.band_um) < 1e-9) {
        rec.void_fraction_near = b.void_fraction;
        rec.void_volume_near_um3 = b.void_volume_um3;
      }
    const auto crack_present = cracks.step(seg.labels.cview(), next_crack);
    const auto chip_present = chips.step(seg.labels.cview(), next_chip);
    note_objects(crack_present, kCrack, step, 0);
    note_objects(chip_present, kChip, step, 1u << 31);
    rec.crack_pieces = crack_present.size();
    for (const auto& kv : crack_present)
      rec.crack_ids.push_back(kv.first);
    for (const auto& kv : chip_present)
      rec.chip_ids.push_back(kv.first);
    if (im.chip_count > 0) {
      rec.chip_shift_px = chip_shift(grey, reference.cview(), seg.labels.cview(),
                                     params.max_chip_shift_px, seg.pellet_top_z);
      // The crack has cut through to the pellet's side: below the chip's tip, where the wedge
      // is too thin to see, the gap it left (NASICON at step 0, metal now) is crack too.
      const double exit = crack_exit_depth_px(reference.cview(), ref.labels.cview(), grey,
                                              seg.labels.cview(), seg.phases, seg.pellet_top_z);
      if (exit * vs > rec.crack_depth_um) rec.crack_depth_um = exit * vs;
      rec.chip_displacement_um = vs * std::sqrt(rec.chip_shift_px[0] * rec.chip_shift_px[0] +
                                                rec.chip_shift_px[1] * rec.chip_shift_px[1] +
                                                rec.chip_shift_px[2] * rec.chip_shift_px[2]);
      for (const auto& l : met.labels)
        if (l.label == kChip && l.voxels > 0) {
          const double rx = l.centroid[2] - seg.cylinder.cx, ry = l.centroid[1] - seg.cylinder.cy;
          const double r = std::hypot(rx, ry);
          if (r > 0) {
            rec.chip_shift_radial_px = (rec.chip_shift_px[0] * rx + rec.chip_shift_px[1] * ry) / r;
            rec.chip_shift_tangential_px =
                (rec.chip_shift_px[1] * rx - rec.chip_shift_px[0] * ry) / r;
          }
        }
      if (!result.chip_separation_step) result.chip_separation_step = step;
    } else {
      rec.chip_volume_um3 = 0.0;
    }
  };

  {
    StepRecord rec;
    rec.index = 0;
    rec.name = input.names[0];
    rec.time = input.times[0];
    rec.time_label = input.time_labels[0];
    rec.registration.transform = identity;
    rec.registration.ok = true;
    rec.seconds_read = read0;
    rec.seconds_segment = seg0;
    const Metrics met = measure(ref, mp);
    rec.seconds_measure = sw.lap();
    fill_record(rec, ref, met, reference.cview(), 0);
    log.info("track: step 0: crack ", rec.crack_volume_um3, " um3, chip ", rec.chip_volume_um3,
             " um3, contact ", rec.contact_area_fraction);
    if (on_step) on_step(StepView{rec, reference.cview(), ref.labels.cview(), &ref, &met});
    result.steps.push_back(std::move(rec));
  }
  ref.void_ids = HostArray<std::uint32_t, 3>();  // only the labels and geometry stay

  for (std::size_t k = 1; k < n; ++k) {
    StepRecord rec;
    rec.index = k;
    rec.name = input.names[k];
    rec.time = input.times[k];
    rec.time_label = input.time_labels[k];
    sw.lap();
    HostArray<float, 3> moving = input.load(k);
    rec.seconds_read = sw.lap();
    log.info("track: step ", k, " (", rec.name, "): registering to step 0");
    try {
      rec.registration =
          register_rigid(reference.cview(), moving.cview(), mask.cview(), params.registration, log);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::BadData) throw;
      rec.registration.ok = false;
      rec.registration.message = e.what();
    }
    rec.seconds_register = sw.lap();
    const RigidTransform& T = rec.registration.transform;
    if (rec.registration.ok) {
      const Vec3 moved = T.apply(mask_centre);
      rec.shift_um = vs * std::sqrt((moved[0] - mask_centre[0]) * (moved[0] - mask_centre[0]) +
                                    (moved[1] - mask_centre[1]) * (moved[1] - mask_centre[1]) +
                                    (moved[2] - mask_centre[2]) * (moved[2] - mask_centre[2]));
      rec.rotation_deg = T.angle_deg();
      log.info("track: step ", k, ": shift ", rec.shift_um, " um, rotation ", rec.rotation_deg,
               " deg, residual ", rec.registration.residual);
    } else {
      rec.ok = false;
      rec.status = "registration failed: " + rec.registration.message;
      log.warn("track: step ", k, " (", rec.name, "): ", rec.status);
      if (on_step) on_step(StepView{rec, moving.cview(), {}, nullptr, nullptr});
      result.steps.push_back(std::move(rec));
      continue;
    }
    HostArray<float, 3> common =
        resample(moving.cview(), T, result.shape, params.interpolation,
                 std::numeric_limits<float>::quiet_NaN(), params.segment.threads);
    fill_outside(common);
    const std::array<std::size_t, 3> moving_shape{moving.extent(0), moving.extent(1),
                                                  moving.extent(2)};
    moving = HostArray<float, 3>();
    SegmentParams sp = params.segment;
    sp.cylinder = cylinder;
    if (!sp.ring_axis) sp.ring_axis = ring_axis_in_common_frame(T, moving_shape);
    SegmentResult seg;
    try {
      seg = segment(common.cview(), sp, log);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::BadData) throw;
      rec.ok = false;
      rec.status = std::string("segmentation failed: ") + e.what();
      log.warn("track: step ", k, " (", rec.name, "): ", rec.status);
      rec.seconds_segment = sw.lap();
      if (on_step) on_step(StepView{rec, common.cview(), {}, nullptr, nullptr});
      result.steps.push_back(std::move(rec));
      continue;
    }
    rec.seconds_segment = sw.lap();
    const Metrics met = measure(seg, mp);
    fill_record(rec, seg, met, common.cview(), k);
    rec.seconds_measure = sw.lap();
    log.info("track: step ", k, ": crack ", rec.crack_volume_um3, " um3, depth ",
             rec.crack_depth_um, " um, chip ", rec.chip_volume_um3, " um3");
    if (on_step) on_step(StepView{rec, common.cview(), seg.labels.cview(), &seg, &met});
    result.steps.push_back(std::move(rec));
  }
  for (auto& [key, o] : objects)
    result.objects.push_back(std::move(o));
  result.seconds = total.lap();
  return result;
}

}  // namespace xct::seg
