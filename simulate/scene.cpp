#include "simulate/scene.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace xct::sim {

const char* label_name(std::uint8_t label) {
  switch (label) {
    case kOutside:
      return "outside";
    case kVoid:
      return "void";
    case kNaK:
      return "NaK";
    case kNasicon:
      return "NASICON";
    case kCrack:
      return "crack";
    case kAluminium:
      return "Al";
    case kHousing:
      return "housing";
    case kSodium:
      return "Na";
    case kChip:
      return "chip";
  }
  return "unknown";
}

void Scene::add(SceneObject object) {
  XCT_CHECK(object.shape != nullptr, ErrorKind::Internal, "object ", object.name, " has no shape");
  const Box b = object.shape->bounds();
  XCT_CHECK(b.bounded(), ErrorKind::Internal, "object ", object.name, " is unbounded");
  const Vec3 c = (b.lo + b.hi) * 0.5;
  bounds_.push_back({c, norm(b.hi - c)});
  objects_.push_back(std::move(object));
}

int Scene::object_at(const Vec3& p) const {
  for (int i = static_cast<int>(objects_.size()) - 1; i >= 0; --i) {
    const Bound& b = bounds_[i];
    const Vec3 d = p - b.centre;
    if (dot(d, d) > b.radius * b.radius) continue;
    if (objects_[i].shape->contains(p)) return i;
  }
  return -1;
}

std::uint8_t Scene::label_at(const Vec3& p) const {
  const int i = object_at(p);
  return i < 0 ? std::uint8_t{kOutside} : objects_[i].label;
}

namespace {

struct Event {
  double t;
  int object;
  bool enter;
};

}  // namespace

void Scene::paint(const Ray& ray, double t_min, double t_max, std::vector<Segment>& out,
                  const std::vector<int>* candidates) const {
  thread_local std::vector<Event> events;
  thread_local std::vector<int> active;
  events.clear();
  out.clear();
  const int n =
      candidates ? static_cast<int>(candidates->size()) : static_cast<int>(objects_.size());
  Spans spans;
  for (int k = 0; k < n; ++k) {
    const int i = candidates ? (*candidates)[k] : k;
    const Bound& b = bounds_[i];
    // Distance from the bounding sphere's centre to the ray.
    const Vec3 w = b.centre - ray.origin;
    const double along = dot(w, ray.dir);
    const double miss2 = dot(w, w) - along * along;
    if (miss2 > b.radius * b.radius) continue;
    objects_[i].shape->spans(ray, spans);
    for (int s = 0; s < spans.size(); ++s) {
      const double t0 = std::max(spans[s].t0, t_min), t1 = std::min(spans[s].t1, t_max);
      if (!(t1 > t0)) continue;
      events.push_back({t0, i, true});
      events.push_back({t1, i, false});
    }
  }
  if (events.empty()) {
    out.push_back({t_min, t_max, -1});
    return;
  }
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    if (a.t != b.t) return a.t < b.t;
    return a.enter < b.enter;  // exits first at a shared point
  });
  active.clear();
  double t = t_min;
  auto top = [&]() {
    int best = -1;
    for (int a : active)
      best = std::max(best, a);
    return best;
  };
  auto emit = [&](double t_end) {
    if (!(t_end > t)) return;
    const int obj = top();
    if (!out.empty() && out.back().object == obj) {
      out.back().t1 = t_end;
    } else {
      out.push_back({t, t_end, obj});
    }
    t = t_end;
  };
  for (const Event& e : events) {
    emit(e.t);
    if (e.enter) {
      active.push_back(e.object);
    } else {
      const auto it = std::find(active.begin(), active.end(), e.object);
      if (it != active.end()) active.erase(it);
    }
  }
  emit(t_max);
}

Scene::Integrals Scene::integrate(const Ray& ray, const std::vector<int>* candidates) const {
  thread_local std::vector<Segment> segments;
  // Objects are bounded, so an infinite range only bounds the painting by the objects.
  paint(ray, -1e300, 1e300, segments, candidates);
  Integrals sum;
  for (const Segment& s : segments) {
    if (s.object < 0) continue;
    const double len = s.t1 - s.t0;
    sum.mu += objects_[s.object].material.mu_per_cm * len;
    sum.delta += objects_[s.object].material.delta * len;
  }
  return sum;
}

}  // namespace xct::sim
