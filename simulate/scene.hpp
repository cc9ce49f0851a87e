// A scene: solid objects with materials, painted in priority order. A point belongs to the
// highest-priority object that contains it, so a void sphere cut into the NaK layer, or a crack
// cut into the pellet, needs no special geometry. The same rule serves rays (line integrals,
// partial volumes) and points (labels), by two independent code paths.
//
// Lengths are in detector pixels, attenuation in 1/cm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "simulate/shapes.hpp"

namespace xct::sim {

// Ground-truth labels (uint8), shared by the label volume, the metrics and segment/.
enum Label : std::uint8_t {
  kOutside = 0,  // outside the cell
  kVoid = 1,     // gas inside the cell: voids, bubbles, empty gaps
  kNaK = 2,
  kNasicon = 3,
  kCrack = 4,  // the crack in the pellet, whatever fills it
  kAluminium = 5,
  kHousing = 6,  // PEEK wall and rubber O-ring
  kSodium = 7,   // Na metal filaments
  kChip = 8,     // NASICON separated from the pellet
};
const char* label_name(std::uint8_t label);

struct Material {
  std::string name;
  double mu_per_cm = 0;  // linear attenuation at the scan energy
  double delta = 0;      // refractive index decrement (for the phase-contrast edge term)
};

struct SceneObject {
  std::string name;
  ShapePtr shape;
  Material material;
  std::uint8_t label = kOutside;
};

// One piece of a ray: [t0, t1) lies in `object` (-1: in no object).
struct Segment {
  double t0 = 0, t1 = 0;
  int object = -1;
};

class Scene {
 public:
  // Objects added later lie on top of those added earlier. Every object must be bounded.
  void add(SceneObject object);
  const std::vector<SceneObject>& objects() const { return objects_; }

  // The object at a point (-1: none), by point-in-shape tests.
  int object_at(const Vec3& p) const;
  std::uint8_t label_at(const Vec3& p) const;

  // The pieces of ray o + t d, t in [t_min, t_max], each with its top object, in order.
  // Only `candidates` (object indices in increasing order) are considered; empty means all.
  void paint(const Ray& ray, double t_min, double t_max, std::vector<Segment>& out,
             const std::vector<int>* candidates = nullptr) const;

  // Line integrals of mu (1/cm x pixels) and delta (pixels) along a whole ray.
  struct Integrals {
    double mu = 0, delta = 0;
  };
  Integrals integrate(const Ray& ray, const std::vector<int>* candidates = nullptr) const;

  // The bounding sphere of each object, for culling rays.
  struct Bound {
    Vec3 centre;
    double radius = 0;
  };
  const std::vector<Bound>& bounds() const { return bounds_; }

 private:
  std::vector<SceneObject> objects_;
  std::vector<Bound> bounds_;
};

}  // namespace xct::sim
