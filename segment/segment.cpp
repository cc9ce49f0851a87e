#include "segment/segment.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "core/resources.hpp"
#include "core/stopwatch.hpp"
#include "segment/itk_ops.hpp"
#include "segment/volume_ops.hpp"

namespace xct::seg {

namespace {

using Mask = HostArray<std::uint8_t, 3>;
using Vol = HostArray<float, 3>;

constexpr double kPi = 3.14159265358979323846;

struct Dims {
  std::size_t nz, ny, nx;
  std::size_t slice() const { return ny * nx; }
  std::size_t size() const { return nz * ny * nx; }
};

// A box of the volume: [z0, z1) x [y0, y1) x [x0, x1).
struct Box {
  std::size_t z0 = 0, z1 = 0, y0 = 0, y1 = 0, x0 = 0, x1 = 0;
  bool empty() const { return z1 <= z0 || y1 <= y0 || x1 <= x0; }
  std::array<std::size_t, 3> shape() const { return {z1 - z0, y1 - y0, x1 - x0}; }
  // An empty box to `add` voxels to, in a volume of `d`.
  static Box none(std::size_t nz, std::size_t ny, std::size_t nx) { return {nz, 0, ny, 0, nx, 0}; }
  void add(std::size_t z, std::size_t y, std::size_t x) {
    z0 = std::min(z0, z);
    z1 = std::max(z1, z + 1);
    y0 = std::min(y0, y);
    y1 = std::max(y1, y + 1);
    x0 = std::min(x0, x);
    x1 = std::max(x1, x + 1);
  }
  // Grown by `m` on every side, clipped to a volume of nz x ny x nx.
  Box grown(std::size_t m, std::size_t nz, std::size_t ny, std::size_t nx) const {
    return {z0 > m ? z0 - m : 0,  std::min(nz, z1 + m), y0 > m ? y0 - m : 0,
            std::min(ny, y1 + m), x0 > m ? x0 - m : 0,  std::min(nx, x1 + m)};
  }
};

// The bounding box of a mask's set voxels, grown by `margin` and clipped to the volume.
Box bounding_box(const Mask& mask, std::size_t margin) {
  const Dims d{mask.extent(0), mask.extent(1), mask.extent(2)};
  Box b = Box::none(d.nz, d.ny, d.nx);
  for (std::size_t z = 0; z < d.nz; ++z)
    for (std::size_t y = 0; y < d.ny; ++y) {
      const std::uint8_t* row = mask.data() + (z * d.ny + y) * d.nx;
      for (std::size_t x = 0; x < d.nx; ++x)
        if (row[x]) b.add(z, y, x);
    }
  if (b.empty()) return Box{};
  return b.grown(margin, d.nz, d.ny, d.nx);
}

template <typename T>
HostArray<T, 3> crop(HostView<const T, 3> v, const Box& b) {
  HostArray<T, 3> out(b.shape());
  for (std::size_t z = b.z0; z < b.z1; ++z)
    for (std::size_t y = b.y0; y < b.y1; ++y)
      for (std::size_t x = b.x0; x < b.x1; ++x)
        out(z - b.z0, y - b.y0, x - b.x0) = v(z, y, x);
  return out;
}

// A histogram of values with its range.
struct Histogram {
  double low = 0, width = 1;
  std::vector<double> counts;
  double value(std::size_t bin) const { return low + (static_cast<double>(bin) + 0.5) * width; }
  // Mean of the values in [a, b).
  double mean(double a, double b) const {
    double s = 0, n = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double v = value(i);
      if (v >= a && v < b) {
        s += v * counts[i];
        n += counts[i];
      }
    }
    return n > 0 ? s / n : 0.5 * (a + b);
  }
  double total(double a, double b) const {
    double n = 0;
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const double v = value(i);
      if (v >= a && v < b) n += counts[i];
    }
    return n;
  }
};

// Histogram of `image` where `keep(z, y, x)` holds, over the central 99.98 % of those values.
template <typename Keep>
Histogram masked_histogram(const Vol& image, std::size_t bins, Keep keep) {
  const Dims d{image.extent(0), image.extent(1), image.extent(2)};
  double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
#pragma omp parallel for reduction(min : lo) reduction(max : hi) schedule(static)
  for (std::size_t z = 0; z < d.nz; ++z)
    for (std::size_t y = 0; y < d.ny; ++y)
      for (std::size_t x = 0; x < d.nx; ++x)
        if (keep(z, y, x)) {
          const double v = image(z, y, x);
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
  Histogram h;
  if (!(hi > lo)) return h;
  // A fine histogram first, to cut the extreme tails (streaks, a stray bright speck).
  const std::size_t fine_bins = 16384;
  std::vector<double> fine(fine_bins, 0.0);
  const double fw = (hi - lo) / static_cast<double>(fine_bins);
#pragma omp parallel
  {
    std::vector<double> local(fine_bins, 0.0);
#pragma omp for schedule(static)
    for (std::size_t z = 0; z < d.nz; ++z)
      for (std::size_t y = 0; y < d.ny; ++y)
        for (std::size_t x = 0; x < d.nx; ++x)
          if (keep(z, y, x)) {
            auto b = static_cast<std::size_t>((image(z, y, x) - lo) / fw);
            local[std::min(b, fine_bins - 1)] += 1;
          }
#pragma omp critical
    for (std::size_t i = 0; i < fine_bins; ++i)
      fine[i] += local[i];
  }
  const double n = std::accumulate(fine.begin(), fine.end(), 0.0);
  double acc = 0, a = lo, b = hi;
  bool have_a = false;
  for (std::size_t i = 0; i < fine_bins; ++i) {
    acc += fine[i];
    if (!have_a && acc >= 1e-4 * n) {
      a = lo + static_cast<double>(i) * fw;
      have_a = true;
    }
    if (acc >= (1 - 1e-4) * n) {
      b = lo + static_cast<double>(i + 1) * fw;
      break;
    }
  }
  h.low = a;
  h.width = (b - a) / static_cast<double>(bins);
  h.counts.assign(bins, 0.0);
  for (std::size_t i = 0; i < fine_bins; ++i) {
    const double v = lo + (static_cast<double>(i) + 0.5) * fw;
    if (v < a || v >= b) continue;
    auto bin = static_cast<std::size_t>((v - a) / h.width);
    h.counts[std::min(bin, bins - 1)] += fine[i];
  }
  return h;
}

// Runs `filter` over z-slabs of `image` with `halo` slices of context on each side, each slab
// small enough that `bytes_per_voxel` of working memory fits in `budget`.
template <typename Filter>
Vol filter_in_slabs(HostView<const float, 3> image, std::size_t halo, std::size_t budget,
                    double bytes_per_voxel, Filter filter, std::size_t* slabs_used) {
  const Dims d{image.extent(0), image.extent(1), image.extent(2)};
  const double slice_bytes = bytes_per_voxel * static_cast<double>(d.slice());
  std::size_t rows = static_cast<std::size_t>(static_cast<double>(budget) / slice_bytes);
  rows = rows > 2 * halo ? rows - 2 * halo : 1;
  rows = std::clamp<std::size_t>(rows, 1, d.nz);
  Vol out({d.nz, d.ny, d.nx});
  std::size_t slabs = 0;
  for (std::size_t z0 = 0; z0 < d.nz; z0 += rows) {
    const std::size_t z1 = std::min(d.nz, z0 + rows);
    const std::size_t lo = z0 > halo ? z0 - halo : 0;
    const std::size_t hi = std::min(d.nz, z1 + halo);
    HostView<const float, 3> slab(image.data() + lo * d.slice(), {hi - lo, d.ny, d.nx});
    Vol result = filter(slab);
    std::copy(result.data() + (z0 - lo) * d.slice(), result.data() + (z1 - lo) * d.slice(),
              out.data() + z0 * d.slice());
    ++slabs;
  }
  if (slabs_used) *slabs_used = slabs;
  return out;
}

// 6-neighbour offsets.
constexpr int kN6[6][3] = {{-1, 0, 0}, {1, 0, 0}, {0, -1, 0}, {0, 1, 0}, {0, 0, -1}, {0, 0, 1}};

}  // namespace

SegmentResult segment(HostView<const float, 3> volume, const SegmentParams& params, Logger& log) {
  Stopwatch total, lap;
  SegmentResult result;
  auto stage = [&](const char* name) { result.stage_seconds.emplace_back(name, lap.lap()); };
  const Dims d{volume.extent(0), volume.extent(1), volume.extent(2)};

  // --- Checks -----------------------------------------------------------------------------
  XCT_CHECK(d.size() > 0, ErrorKind::BadData, "the volume is empty (", d.nz, " x ", d.ny, " x ",
            d.nx, ")");
  XCT_CHECK(d.nz >= 8 && d.ny >= 16 && d.nx >= 16, ErrorKind::BadData, "the volume (", d.nz, " x ",
            d.ny, " x ", d.nx, ") is too small to segment: at least 8 slices of 16 x 16");
  XCT_CHECK(volume.is_contiguous(), ErrorKind::Internal, "segment() needs a contiguous volume");
  XCT_CHECK(params.median_radius >= 0 && params.median_radius <= 3, ErrorKind::Usage,
            "--median-radius must be 0 to 3");
  XCT_CHECK(params.smooth_sigma_px > 0 && params.smooth_sigma_px <= 10, ErrorKind::Usage,
            "--smooth-sigma must be above 0 and at most 10 voxels");
  XCT_CHECK(params.max_crack_opening_px >= 1 && params.max_crack_opening_px <= 20, ErrorKind::Usage,
            "--max-crack-opening must be 1 to 20 voxels");
  XCT_CHECK(params.voxel_size_um > 0, ErrorKind::Usage, "--voxel-size must be positive");
  if (params.threads > 0) omp_set_num_threads(params.threads);
  itk::set_threads(params.threads);
  {
    double lo = std::numeric_limits<double>::max(), hi = std::numeric_limits<double>::lowest();
    std::size_t bad = 0;
    const float* v = volume.data();
#pragma omp parallel for reduction(min : lo) reduction(max : hi) reduction(+ : bad)
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (!std::isfinite(v[i])) {
        ++bad;
        continue;
      }
      lo = std::min(lo, static_cast<double>(v[i]));
      hi = std::max(hi, static_cast<double>(v[i]));
    }
    XCT_CHECK(bad == 0, ErrorKind::BadData, "the volume holds ", bad, " non-finite values");
    XCT_CHECK(hi > lo, ErrorKind::BadData, "the volume is constant (every voxel is ", lo,
              "): nothing to segment");
  }
  const std::size_t budget =
      params.memory_budget_bytes > 0
          ? params.memory_budget_bytes
          : static_cast<std::size_t>(available_memory_bytes().value_or(8ull << 30) / 2);
  Axis axis;
  if (params.cylinder) {
    axis = {params.cylinder->cx, params.cylinder->cy};
  } else if (params.axis) {
    axis = {(*params.axis)[0], (*params.axis)[1]};
  } else {
    axis = {0.5 * static_cast<double>(d.nx - 1), 0.5 * static_cast<double>(d.ny - 1)};
  }
  result.axis = {axis.x, axis.y};
  // Radius of every (y, x), once.
  HostArray<float, 2> radius({d.ny, d.nx});
  for (std::size_t y = 0; y < d.ny; ++y)
    for (std::size_t x = 0; x < d.nx; ++x)
      radius(y, x) = static_cast<float>(axis.radius(y, x));
  // The share of a slice's voxels within `within` of the axis for which `holds(y, x)`; -1 when
  // there are none.
  auto middle_share = [&](double within, auto holds) {
    double in = 0, all = 0;
    for (std::size_t y = 0; y < d.ny; ++y)
      for (std::size_t x = 0; x < d.nx; ++x)
        if (radius(y, x) < within) {
          in += holds(y, x) ? 1 : 0;
          all += 1;
        }
    return all > 0 ? in / all : -1.0;
  };
  stage("checks");

  // --- 1. Denoise -------------------------------------------------------------------------
  const int mr = params.median_radius;
  std::size_t slabs = 1;
  Vol fine;
  if (mr > 0 || params.diffusion_iterations > 0) {
    // Noise for the diffusion's conductance: from the median's residual.
    double conductance = 0;
    const std::size_t halo = static_cast<std::size_t>(mr + params.diffusion_iterations);
    fine = filter_in_slabs(
        volume, halo, budget, 24.0,
        [&](HostView<const float, 3> slab) {
          Vol m = mr == 1 ? median3(slab) : mr > 0 ? itk::median(slab, mr) : Vol();
          if (params.diffusion_iterations <= 0) return m;
          HostView<const float, 3> src = mr > 0 ? m.cview() : slab;
          if (conductance == 0) {
            // Robust noise sigma of the slab: the median absolute deviation of neighbour
            // differences along x (sqrt(2) x sigma for white noise).
            std::vector<float> diffs;
            for (std::size_t i = 1; i < slab.size(); i += 7)
              diffs.push_back(std::abs(slab.data()[i] - slab.data()[i - 1]));
            std::nth_element(diffs.begin(), diffs.begin() + static_cast<long>(diffs.size() / 2),
                             diffs.end());
            const double sigma = 1.4826 * diffs[diffs.size() / 2] / std::sqrt(2.0);
            const double c = params.diffusion_conductance > 0 ? params.diffusion_conductance : 1.5;
            conductance = c * sigma;
          }
          return itk::curvature_diffusion(src, params.diffusion_iterations, conductance);
        },
        &slabs);
  } else {
    fine = Vol({d.nz, d.ny, d.nx});
    std::copy(volume.data(), volume.data() + d.size(), fine.data());
  }
  stage("denoise");

  // --- 2. Coarse phases ---------------------------------------------------------------
  // NASICON is ten times brighter than anything else: Otsu on the denoised image splits it off
  // first.
  // The weak phases (gas, low: NaK, PEEK, rubber; Al) then come from multi-Otsu on a smoothing
  // that leaves NASICON and its blurred rim out, so the pellet's glow cannot pull them.
  const double inscribed = std::min({axis.x, axis.y, static_cast<double>(d.nx - 1) - axis.x,
                                     static_cast<double>(d.ny - 1) - axis.y});
  const double rmax = params.cylinder ? params.cylinder->radius : inscribed;
  Phases& ph = result.phases;
  const double inf = std::numeric_limits<double>::infinity();
  Mask near_nas;
  {
    auto h = masked_histogram(
        fine, 256, [&](std::size_t, std::size_t y, std::size_t x) { return radius(y, x) <= rmax; });
    XCT_CHECK(!h.counts.empty(), ErrorKind::BadData,
              "the volume has no contrast inside the cell's cylinder");
    const double t = itk::multi_otsu(h.counts, h.low, h.width, 1, false)[0];
    ph.nasicon = h.mean(t, inf);
    const double rest = h.mean(-inf, t);
    const double share = h.total(t, inf) / std::max(1.0, h.total(-inf, inf));
    XCT_CHECK(share > 1e-4 && share < 0.9, ErrorKind::BadData,
              "no NASICON pellet found: no bright phase set apart from the rest");
    ph.thresholds[2] = t;
    Mask bright({d.nz, d.ny, d.nx});
    const float ft = static_cast<float>(t);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      bright.data()[i] = fine.data()[i] > ft;
    near_nas = dilate_box(bright.cview(), 1);
    (void)rest;
  }
  Vol weak;  // gas / low / Al smoothing, NASICON left out
  {
    Mask w({d.nz, d.ny, d.nx});
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      w.data()[i] = !near_nas.data()[i];
    weak = masked_gaussian(fine.cview(), w.cview(), params.smooth_sigma_px, 0.02, 0.0f);
    auto h = masked_histogram(weak, 256, [&](std::size_t z, std::size_t y, std::size_t x) {
      return radius(y, x) <= rmax && !near_nas(z, y, x);
    });
    XCT_CHECK(!h.counts.empty(), ErrorKind::BadData,
              "the volume has no contrast outside the NASICON pellet");
    const auto t = itk::multi_otsu(h.counts, h.low, h.width, 2, true);
    ph.thresholds[0] = t[0];
    ph.thresholds[1] = t[1];
    ph.gas = h.mean(-inf, t[0]);
    ph.low = h.mean(t[0], t[1]);
    ph.al = h.mean(t[1], inf);
    // Where a voxel's neighbourhood is all NASICON the smoothing has nothing to average: call
    // it low (it is inside the pellet, labelled from the fine image).
    const float fallback = static_cast<float>(ph.low);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      if (near_nas.data()[i] && weak.data()[i] == 0.0f) weak.data()[i] = fallback;
  }
  log.debug("segment: phases gas ", ph.gas, ", low ", ph.low, ", Al ", ph.al, ", NASICON ",
            ph.nasicon, " (thresholds ", ph.thresholds[0], ", ", ph.thresholds[1], ", ",
            ph.thresholds[2], ")");
  XCT_CHECK(ph.nasicon - ph.low > 2.0 * (ph.al - ph.gas), ErrorKind::BadData,
            "no NASICON pellet found: the brightest phase (", ph.nasicon,
            ") is not set apart from the rest (", ph.gas, " to ", ph.al, ")");
  ph.nasicon_threshold = 0.5 * (ph.low + ph.nasicon);
  const float t_gas = static_cast<float>(ph.thresholds[0]);
  const float t_al = static_cast<float>(ph.thresholds[1]);

  // --- 3. The cylinder: where the material ends, from the radial profile ----------------
  {
    const std::size_t nbins = static_cast<std::size_t>(std::ceil(std::hypot(
                                  static_cast<double>(d.nx), static_cast<double>(d.ny)))) +
                              2;
    // Slices whose middle is gas (above and below the cell's layers) show the housing's inner
    // wall cleanly; the profile uses them when there are a few, every slice otherwise.
    std::vector<char> use(d.nz, 1);
    {
      std::size_t airy = 0;
      std::vector<char> air(d.nz, 0);
      for (std::size_t z = 0; z < d.nz; ++z) {
        const double solid = middle_share(0.5 * rmax, [&](std::size_t y, std::size_t x) {
          return near_nas(z, y, x) || weak(z, y, x) >= t_gas;
        });
        air[z] = solid >= 0 && solid < 0.05;
        airy += air[z];
      }
      if (airy >= 3) use = air;
    }
    std::vector<double> solid(nbins, 0.0), all(nbins, 0.0);
    auto accumulate = [&](const std::vector<char>& slices) {
      std::fill(solid.begin(), solid.end(), 0.0);
      std::fill(all.begin(), all.end(), 0.0);
      for (std::size_t z = 0; z < d.nz; ++z) {
        if (!slices[z]) continue;
        for (std::size_t y = 0; y < d.ny; ++y)
          for (std::size_t x = 0; x < d.nx; ++x) {
            const auto b = static_cast<std::size_t>(std::lround(radius(y, x)));
            all[b] += 1;
            solid[b] += near_nas(z, y, x) || weak(z, y, x) >= t_gas;
          }
      }
    };
    auto fraction = [&](std::size_t b) { return all[b] > 0 ? solid[b] / all[b] : 0.0; };
    // The wall is the ring of radii where nearly every voxel holds material: its peak, and the
    // level inside it (slices of gas, Al, NaK and pellet). Edges where the fraction crosses
    // half-way, interpolated between bins.
    std::size_t last = 0, peak = 0;
    auto find_peak = [&] {
      last = 0;
      for (std::size_t b = 0; b < nbins; ++b)
        if (all[b] > 0) last = b;
      peak = 0;
      for (std::size_t b = last / 2; b <= last; ++b)
        if (fraction(b) > fraction(peak)) peak = b;
    };
    accumulate(use);
    find_peak();
    auto crossing = [&](std::size_t from, int step, double level) {
      std::size_t b = from;
      while (true) {
        const std::size_t next = step > 0 ? b + 1 : b - 1;
        if ((step > 0 && next > last) || (step < 0 && b == 0)) return static_cast<double>(b);
        if (fraction(next) < level) {
          const double f0 = fraction(b), f1 = fraction(next);
          const double t = f0 > f1 ? (f0 - level) / (f0 - f1) : 0.5;
          return static_cast<double>(b) + step * t;
        }
        b = next;
      }
    };
    if (params.cylinder) {
      result.cylinder = *params.cylinder;
    } else {
      result.cylinder = {axis.x, axis.y, crossing(peak, +1, 0.5 * fraction(peak))};
    }
    std::vector<double> inside;
    for (std::size_t b = peak / 4; b < peak / 2 + 1; ++b)
      inside.push_back(fraction(b));
    std::nth_element(inside.begin(), inside.begin() + static_cast<long>(inside.size() / 2),
                     inside.end());
    const double level = inside.empty() ? 0 : inside[inside.size() / 2];
    double inner = result.cylinder.radius;
    log.debug("segment: wall profile peak ", fraction(peak), " at radius ", peak, ", inside ",
              level, " (", std::count(use.begin(), use.end(), 1), " slices)");
    if (fraction(peak) > 0.6 && fraction(peak) - level > 0.1)
      inner =
          crossing(std::min<std::size_t>(peak, static_cast<std::size_t>(result.cylinder.radius)),
                   -1, 0.5 * (fraction(peak) + level));
    if (inner < 0.5 * result.cylinder.radius) inner = result.cylinder.radius;  // no wall
    result.housing_inner_radius = inner;
    log.debug("segment: cylinder radius ", result.cylinder.radius, ", housing inner radius ",
              inner);
  }
  near_nas = Mask();
  stage("phases");
  const double r_out = result.cylinder.radius;
  const double r_in = result.housing_inner_radius;

  // --- 4. NASICON on the median-filtered image, half-way between low and NASICON ----------
  Mask nas({d.nz, d.ny, d.nx});
  std::size_t pellet_voxels = 0;
  {
    const float tn = static_cast<float>(ph.nasicon_threshold);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      nas.data()[i] = fine.data()[i] > tn && radius.data()[i % d.slice()] < r_in;
    // The pellet and the pieces cut off it; smaller bright specks are noise.
    auto comps = itk::connected_components(nas.cview(), false);
    XCT_CHECK(!comps.sizes.empty(), ErrorKind::BadData, "no NASICON pellet found in the volume");
    pellet_voxels = comps.sizes[0];
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i) {
      const auto id = comps.ids.data()[i];
      nas.data()[i] =
          id && (id == 1 || static_cast<double>(comps.sizes[id - 1]) >= params.min_chip_voxels);
    }
    // NASICON's level, the reference of the crack's grey-level deficit: the mean of the raw
    // values over the pellet as thresholded.
    double sum = 0, sum2 = 0, count = 0;
#pragma omp parallel for reduction(+ : sum, sum2, count) schedule(static)
    for (std::size_t z = 2; z < d.nz - 2; ++z)
      for (std::size_t y = 2; y + 2 < d.ny; ++y)
        for (std::size_t x = 2; x + 2 < d.nx; ++x) {
          if (!nas(z, y, x)) continue;
          const double v = volume(z, y, x);
          sum += v;
          sum2 += v * v;
          count += 1;
        }
    if (count > 0) {
      ph.nasicon = sum / count;
      ph.noise_sigma = std::sqrt(std::max(0.0, sum2 / count - ph.nasicon * ph.nasicon));
    }
  }
  stage("weak phases");

  // --- 5. The low phase: housing, O-ring and NaK ---------------------------------------
  Mask low({d.nz, d.ny, d.nx});  // 1: low inside the housing, 2: the O-ring's grey level
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < d.size(); ++i) {
    const float w = weak.data()[i];
    low.data()[i] = !nas.data()[i] && w >= t_gas && w < t_al && radius.data()[i % d.slice()] < r_in;
  }
  {
    // The O-ring: rubber of another grey level (FKM 0.31 /cm against NaK's 0.225) in a ring
    // against the housing. Its edge is the step in the radial profile of the low phase: the
    // profile averages thousands of voxels per radius, so a step far below one voxel's noise
    // stands out.
    const std::size_t nb = static_cast<std::size_t>(std::ceil(r_in)) + 1;
    std::vector<double> sum(nb, 0), cnt(nb, 0);
    // Only the slices of the low layer (NaK): low material over most of the middle.
    std::vector<char> layer(d.nz, 0);
    for (std::size_t z = 0; z < d.nz; ++z)
      layer[z] = middle_share(0.5 * r_in, [&](std::size_t y, std::size_t x) {
                   return low(z, y, x) == 1;
                 }) > 0.5;
    for (std::size_t z = 0; z < d.nz; ++z)
      if (layer[z])
        for (std::size_t y = 0; y < d.ny; ++y)
          for (std::size_t x = 0; x < d.nx; ++x) {
            if (low(z, y, x) != 1) continue;
            const auto b = static_cast<std::size_t>(std::lround(radius(y, x)));
            if (b >= nb) continue;
            sum[b] += weak(z, y, x);
            cnt[b] += 1;
          }
    std::vector<double> prof(nb, 0);
    for (std::size_t b = 0; b < nb; ++b)
      prof[b] = cnt[b] > 0 ? sum[b] / cnt[b] : 0;
    // Levels: the middle of the disc, and just inside the housing's wall (clear of its blur).
    std::vector<double> mid;
    for (std::size_t b = nb / 5; b < 3 * nb / 5; ++b)
      if (cnt[b] > 0) mid.push_back(prof[b]);
    const std::size_t wall = nb > 4 + static_cast<std::size_t>(params.smooth_sigma_px * 2)
                                 ? nb - 2 - static_cast<std::size_t>(params.smooth_sigma_px * 2)
                                 : 0;
    double outer = 0, on = 0;
    for (std::size_t b = wall > 2 ? wall - 2 : 0; b <= wall && b < nb; ++b)
      if (cnt[b] > 0) {
        outer += prof[b];
        on += 1;
      }
    if (!mid.empty() && on > 0) {
      outer /= on;
      std::sort(mid.begin(), mid.end());
      const double inner = mid[mid.size() / 2];
      double dev = 0;
      for (double v : mid)
        dev += (v - inner) * (v - inner);
      dev = std::sqrt(dev / static_cast<double>(mid.size()));
      const double step = outer - inner;
      // A step of a quarter of the low phase's distance from gas, well above the profile's
      // own ripple.
      if (std::abs(step) > 0.25 * (ph.low - ph.gas) && std::abs(step) > 4 * dev) {
        const double level = 0.5 * (inner + outer);
        std::size_t b = wall;
        while (b > nb / 5 && (prof[b - 1] - level) * step > 0)
          --b;
        const double f0 = prof[b - 1], f1 = prof[b];
        const double t = f1 != f0 ? (level - f0) / (f1 - f0) : 0.5;
        ph.oring_split = true;
        ph.oring_threshold = static_cast<double>(b - 1) + std::clamp(t, 0.0, 1.0);
      }
      log.debug("segment: low phase ", inner, " in the middle, ", outer, " by the wall",
                ph.oring_split ? "; O-ring from radius " : "; no O-ring",
                ph.oring_split ? std::to_string(ph.oring_threshold) : std::string());
    }
    if (ph.oring_split) {
      const double r_ring = ph.oring_threshold;
#pragma omp parallel for schedule(static)
      for (std::size_t i = 0; i < d.size(); ++i)
        if (low.data()[i] && radius.data()[i % d.slice()] >= r_ring) low.data()[i] = 2;
    }
  }
  // NaK: the low components (of NaK's level) that lie on the pellet near the axis.
  Mask nak({d.nz, d.ny, d.nx});
  {
    Mask cand({d.nz, d.ny, d.nx});
    for (std::size_t i = 0; i < d.size(); ++i)
      cand.data()[i] = low.data()[i] == 1;
    auto comps = itk::connected_components(cand.cview(), false);
    std::vector<char> touches(comps.sizes.size() + 1, 0);
    for (std::size_t z = 1; z + 1 < d.nz; ++z)
      for (std::size_t y = 1; y + 1 < d.ny; ++y)
        for (std::size_t x = 1; x + 1 < d.nx; ++x) {
          const auto id = comps.ids(z, y, x);
          if (!id || touches[id] || radius(y, x) > 0.5 * r_in) continue;
          for (const auto& o : kN6)
            if (nas(z + o[0], y + o[1], x + o[2])) touches[id] = 1;
        }
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      nak.data()[i] = touches[comps.ids.data()[i]] != 0 && comps.ids.data()[i] != 0;
  }
  stage("nak");

  // --- 6. The pellet, its chips and its envelope ---------------------------------------
  Mask env({d.nz, d.ny, d.nx}, 0);
#pragma omp parallel for schedule(dynamic)
  for (std::size_t z = 0; z < d.nz; ++z) {
    HostView<const std::uint8_t, 2> in(nas.data() + z * d.slice(), {d.ny, d.nx});
    HostView<std::uint8_t, 2> out(env.data() + z * d.slice(), {d.ny, d.nx});
    fill_convex_hull(in, out);
  }
  stage("envelope");

  // --- 7. Cracks -----------------------------------------------------------------------
  const double contrast = ph.nasicon - ph.low;
  Mask crack({d.nz, d.ny, d.nx}, 0);
  const int rc = static_cast<int>(std::ceil(0.5 * params.max_crack_opening_px)) + 1;
  const Box roi = bounding_box(env, static_cast<std::size_t>(rc + 3));
  if (!roi.empty()) {
    const auto shape = roi.shape();
    const Dims rd{shape[0], shape[1], shape[2]};
    // Ring artefacts are concentric with the scanner's rotation axis: the cell's axis, unless
    // the volume was moved into another scan's frame (ring_axis). Radius and angle about it, at
    // voxel (z, y, x) of the region.
    const auto ring_centre = [&](std::size_t z) {
      if (!params.ring_axis) return Axis{axis.x, axis.y};
      const auto& a = *params.ring_axis;
      const double gz = static_cast<double>(z + roi.z0);
      return Axis{a[0] + a[2] * gz, a[1] + a[3] * gz};
    };
    const auto ring_radius = [&](std::size_t z, std::size_t y, std::size_t x) {
      if (!params.ring_axis) return static_cast<double>(radius(y + roi.y0, x + roi.x0));
      return ring_centre(z).radius(y + roi.y0, x + roi.x0);
    };
    auto fine_roi = crop(fine.cview(), roi);
    auto env_roi = crop(env.cview(), roi);
    auto raw_roi = crop(volume, roi);
    // Cracks are found on a light Gaussian smoothing of the raw values: a sheet keeps about
    // half its depth after it, the noise a fraction (the median would erase a thin sheet's
    // partial voxels). Symmetric, so a sheet's darkest voxels stay on its mid-plane.
    auto rank_roi = gaussian(raw_roi.cview(), 1.0);
    auto tophat = itk::black_top_hat(rank_roi.cview(), rc);
    const float deep = static_cast<float>(0.35 * contrast);
    Mask seed(shape);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < rd.size(); ++i)
      seed.data()[i] = env_roi.data()[i] && tophat.data()[i] > deep;
    log.debug("segment: ", std::count(seed.begin(), seed.end(), 1), " dark voxels in the pellet");

    // Where ring shells were found: their own darkness is not a crack's (-1: none).
    std::vector<std::int32_t> ring_zone(rd.size(), -1);
    std::size_t zones = 0;
    // Ring artefacts: shells concentric with the axis. Per slice and radius, the arc a dark
    // band covers; a band that covers a long arc at one radius over several slices in a row is
    // a ring, not a crack (a crack's radius changes along it and from slice to slice).
    {
      const double tol = params.ring_tolerance_px;
      const std::size_t nr = static_cast<std::size_t>(std::ceil(r_out)) + 2;
      // A sheet crossing a circle about the axis stays within `tol` of it over at most
      // sqrt(8 tol r) of arc (where it is tangent); a ring covers more, slice after slice.
      const std::size_t min_run = 8;  // slices in a row
      std::vector<std::vector<double>> arc(rd.nz, std::vector<double>(nr, 0.0));
      for (std::size_t z = 0; z < rd.nz; ++z) {
        std::vector<std::vector<char>> seen(nr);
        for (std::size_t y = 0; y < rd.ny; ++y)
          for (std::size_t x = 0; x < rd.nx; ++x) {
            if (!seed(z, y, x)) continue;
            const std::size_t gy = y + roi.y0, gx = x + roi.x0;
            const double r = ring_radius(z, y, x);
            const double a = ring_centre(z).angle(gy, gx) + kPi;
            const auto rb = static_cast<std::size_t>(std::lround(r));
            if (rb >= nr) continue;
            // Arc bins of about 1 px at this radius.
            const auto na = static_cast<std::size_t>(std::max(8.0, 2 * kPi * r));
            for (std::size_t b = rb > 0 ? rb - 1 : 0; b <= std::min(nr - 1, rb + 1); ++b) {
              if (std::abs(r - static_cast<double>(b)) > tol) continue;
              if (seen[b].empty()) seen[b].assign(na, 0);
              auto ab =
                  static_cast<std::size_t>(a / (2 * kPi) * static_cast<double>(seen[b].size()));
              ab = std::min(ab, seen[b].size() - 1);
              if (!seen[b][ab]) {
                seen[b][ab] = 1;
                arc[z][b] += 2 * kPi * std::max(r, 1.0) / static_cast<double>(seen[b].size());
              }
            }
          }
      }
      std::size_t removed = 0;
      for (std::size_t b = 0; b < nr; ++b) {
        std::size_t z = 0;
        while (z < rd.nz) {
          const double min_arc = 1.5 * std::sqrt(8.0 * tol * std::max(1.0, static_cast<double>(b)));
          if (arc[z][b] < min_arc) {
            ++z;
            continue;
          }
          std::size_t e = z;
          while (e < rd.nz &&
                 arc[e][b] >= 1.5 * std::sqrt(8.0 * tol * std::max(1.0, static_cast<double>(b))))
            ++e;
          if (e - z >= min_run) {
            const auto id = static_cast<std::int32_t>(zones++);
            for (std::size_t zz = z; zz < e; ++zz)
              for (std::size_t y = 0; y < rd.ny; ++y)
                for (std::size_t x = 0; x < rd.nx; ++x) {
                  const double dr = std::abs(ring_radius(zz, y, x) - static_cast<double>(b));
                  if (dr <= tol + 1.0) ring_zone[(zz * rd.ny + y) * rd.nx + x] = id;
                  if (seed(zz, y, x) && dr <= tol + 0.25) {
                    seed(zz, y, x) = 0;
                    ++removed;
                  }
                }
          }
          z = e;
        }
      }
      if (removed) log.debug("segment: ", removed, " voxels of ring-artefact shells set aside");
    }

    // Pieces: big enough, sheet-like, and not a shell about the axis.
    auto comps = itk::connected_components(seed.cview(), true);
    log.debug("segment: ", comps.sizes.size(), " dark pieces, largest ",
              comps.sizes.empty() ? 0 : comps.sizes[0]);
    std::vector<char> keep(comps.sizes.size() + 1, 0);
    for (std::size_t i = 0; i < comps.sizes.size(); ++i)
      keep[i + 1] = static_cast<double>(comps.sizes[i]) >= params.min_crack_voxels;
    std::vector<CrackPiece> pieces(comps.sizes.size() + 1);
    {
      std::vector<double> sr(pieces.size(), 0), sr2(pieces.size(), 0);
      std::vector<std::vector<double>> angles(pieces.size());
      std::vector<double> mean_radius(pieces.size(), 0);
      for (std::size_t z = 0; z < rd.nz; ++z)
        for (std::size_t y = 0; y < rd.ny; ++y)
          for (std::size_t x = 0; x < rd.nx; ++x) {
            const auto id = comps.ids(z, y, x);
            if (!id || !keep[id]) continue;
            const double r = ring_radius(z, y, x);
            sr[id] += r;
            sr2[id] += r * r;
            angles[id].push_back(ring_centre(z).angle(y + roi.y0, x + roi.x0));
            auto& p = pieces[id];
            p.centroid[0] += static_cast<double>(z + roi.z0);
            p.centroid[1] += static_cast<double>(y + roi.y0);
            p.centroid[2] += static_cast<double>(x + roi.x0);
          }
      for (std::size_t id = 1; id < pieces.size(); ++id) {
        if (!keep[id]) continue;
        const double n = static_cast<double>(comps.sizes[id - 1]);
        auto& p = pieces[id];
        for (auto& c : p.centroid)
          c /= n;
        const double mean = sr[id] / n;
        p.radial_spread_px = std::sqrt(std::max(0.0, sr2[id] / n - mean * mean));
        // Its angular span: the circle less the widest gap between its voxels' angles.
        auto& a = angles[id];
        std::sort(a.begin(), a.end());
        double gap = 2 * kPi - (a.back() - a.front());
        for (std::size_t i = 1; i < a.size(); ++i)
          gap = std::max(gap, a[i] - a[i - 1]);
        const double arc = (2 * kPi - gap) * mean;
        const double tangent = std::sqrt(8.0 * params.ring_tolerance_px * std::max(1.0, mean));
        p.ring = p.radial_spread_px < params.ring_tolerance_px && arc > tangent;
        if (p.ring) keep[id] = 0;
        mean_radius[id] = mean;
      }
      // A shell found whole: its slices and radius become a ring zone too.
      std::vector<std::size_t> zlo(pieces.size(), rd.nz), zhi(pieces.size(), 0);
      for (std::size_t z = 0; z < rd.nz; ++z)
        for (std::size_t i = z * rd.ny * rd.nx; i < (z + 1) * rd.ny * rd.nx; ++i) {
          const auto id = comps.ids.data()[i];
          if (id && pieces[id].ring) {
            zlo[id] = std::min(zlo[id], z);
            zhi[id] = std::max(zhi[id], z + 1);
          }
        }
      for (std::size_t id = 1; id < pieces.size(); ++id) {
        if (!pieces[id].ring) continue;
        const auto zid = static_cast<std::int32_t>(zones++);
        for (std::size_t z = zlo[id]; z < zhi[id]; ++z)
          for (std::size_t y = 0; y < rd.ny; ++y)
            for (std::size_t x = 0; x < rd.nx; ++x)
              if (std::abs(ring_radius(z, y, x) - mean_radius[id]) <=
                  params.ring_tolerance_px + 1.0)
                ring_zone[(z * rd.ny + y) * rd.nx + x] = zid;
      }
    }
    // Sheet-likeness: mean dark-plate objectness over each piece, on each piece's own box (the
    // Hessian takes 50-80 bytes a voxel; the pieces are small).
    Mask kept(shape, 0);
    {
      std::vector<Box> boxes(pieces.size(), Box::none(rd.nz, rd.ny, rd.nx));
      for (std::size_t z = 0; z < rd.nz; ++z)
        for (std::size_t y = 0; y < rd.ny; ++y)
          for (std::size_t x = 0; x < rd.nx; ++x) {
            const auto id = comps.ids(z, y, x);
            if (id && keep[id]) boxes[id].add(z, y, x);
          }
      for (std::size_t id = 1; id < pieces.size(); ++id) {
        if (!keep[id]) continue;
        const Box b = boxes[id].grown(4, rd.nz, rd.ny, rd.nx);
        auto sub = crop(fine_roi.cview(), b);
        auto obj = itk::dark_plate_objectness(sub.cview(), {1.0, 1.5, 2.0}, 0.25 * contrast);
        double so = 0;
        for (std::size_t z = b.z0; z < b.z1; ++z)
          for (std::size_t y = b.y0; y < b.y1; ++y)
            for (std::size_t x = b.x0; x < b.x1; ++x)
              if (comps.ids(z, y, x) == id) so += obj(z - b.z0, y - b.y0, x - b.x0);
        pieces[id].mean_objectness = so / static_cast<double>(comps.sizes[id - 1]);
        log.debug("segment: dark piece ", id, ": ", comps.sizes[id - 1], " voxels, objectness ",
                  pieces[id].mean_objectness, ", radial spread ", pieces[id].radial_spread_px);
        if (pieces[id].mean_objectness < params.plate_objectness) keep[id] = 0;
      }
    }
    for (std::size_t i = 0; i < rd.size(); ++i)
      kept.data()[i] = comps.ids.data()[i] && keep[comps.ids.data()[i]];

    // The pieces' faint edges and tips: grown, a voxel at a time, into dark voxels that are
    // shallower than the seeds' (a quarter of the contrast), at most four voxels out.
    {
      const float faint = static_cast<float>(0.25 * contrast);
      for (int step = 0; step < 4; ++step) {
        auto grown = dilate_box(kept.cview(), 1);
        bool changed = false;
        for (std::size_t i = 0; i < rd.size(); ++i) {
          if (kept.data()[i] || !grown.data()[i]) continue;
          if (env_roi.data()[i] && tophat.data()[i] > faint) {
            kept.data()[i] = 1;
            changed = true;
          }
        }
        if (!changed) break;
      }
    }
    tophat = Vol();

    // Volume from the grey-level deficit around the pieces: sum of (NASICON - value) /
    // (NASICON - fill), less what a surface layer of the same depth shows away from cracks
    // (partial volume and blur at the pellet's faces).
    auto depth = itk::inside_distance(env_roi.cview());
    auto layer_of = [&](std::size_t i) {
      const float dd = depth.data()[i];
      return dd < 1.5f ? 0 : dd < 2.5f ? 1 : dd < 3.5f ? 2 : 3;
    };
    auto near = dilate_box(kept.cview(), 2);
    auto far = dilate_box(kept.cview(), 5);

    const double inv = 1.0 / contrast;
    double base_sum[4] = {0, 0, 0, 0}, base_n[4] = {0, 0, 0, 0};
    double fine_sum[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < rd.size(); ++i) {
      if (!env_roi.data()[i] || far.data()[i]) continue;
      const int l = layer_of(i);
      base_sum[l] += (ph.nasicon - raw_roi.data()[i]) * inv;
      fine_sum[l] += (ph.nasicon - rank_roi.data()[i]) * inv;
      base_n[l] += 1;
    }
    double base[4], fine_base[4];
    for (int l = 0; l < 4; ++l) {
      base[l] = base_n[l] > 0 ? base_sum[l] / base_n[l] : 0;
      fine_base[l] = base_n[l] > 0 ? fine_sum[l] / base_n[l] : 0;
    }
    // Faint rings, too shallow to be crack candidates, still darken a crack's surroundings:
    // find them as dips in each slice's radial profile of the pellet's interior that stay at
    // one radius over several slices, and give them their own baseline as well.
    {
      const std::size_t nr = static_cast<std::size_t>(std::ceil(r_out)) + 2;
      std::vector<double> m(rd.nz * nr, 0), n(rd.nz * nr, 0);
      for (std::size_t z = 0; z < rd.nz; ++z)
        for (std::size_t y = 0; y < rd.ny; ++y)
          for (std::size_t x = 0; x < rd.nx; ++x) {
            const std::size_t i = (z * rd.ny + y) * rd.nx + x;
            if (!env_roi.data()[i] || far.data()[i] || depth.data()[i] < 2.5f) continue;
            const auto b = static_cast<std::size_t>(std::lround(ring_radius(z, y, x)));
            if (b >= nr) continue;
            m[z * nr + b] += rank_roi.data()[i];
            n[z * nr + b] += 1;
          }
      std::vector<double> dip(rd.nz * nr, 0);
      std::vector<double> all;
      for (std::size_t z = 0; z < rd.nz; ++z)
        for (std::size_t b = 5; b + 5 < nr; ++b) {
          const std::size_t k = z * nr + b;
          if (n[k] < 8) continue;
          double bg = 0, bn = 0;
          for (std::size_t o = 2; o <= 5; ++o)
            for (std::size_t c : {b - o, b + o})
              if (n[z * nr + c] >= 8) {
                bg += m[z * nr + c] / n[z * nr + c];
                bn += 1;
              }
          if (bn < 4) continue;
          // The dip in units of the mean's own noise (n voxels).
          dip[k] = (bg / bn - m[k] / n[k]) * std::sqrt(n[k]);
          all.push_back(std::abs(dip[k]));
        }
      if (!all.empty()) {
        std::nth_element(all.begin(), all.begin() + static_cast<long>(all.size() / 2), all.end());
        const double scale = 1.4826 * all[all.size() / 2];  // robust sigma of the dips
        const std::size_t min_run = 8;
        for (std::size_t b = 5; b + 5 < nr; ++b) {
          std::size_t z = 0;
          while (z < rd.nz) {
            if (dip[z * nr + b] < 5 * scale) {
              ++z;
              continue;
            }
            std::size_t e = z;
            while (e < rd.nz && dip[e * nr + b] >= 5 * scale)
              ++e;
            if (e - z >= min_run) {
              const auto zid = static_cast<std::int32_t>(zones++);
              for (std::size_t zz = z; zz < e; ++zz)
                for (std::size_t y = 0; y < rd.ny; ++y)
                  for (std::size_t x = 0; x < rd.nx; ++x)
                    if (std::abs(ring_radius(zz, y, x) - static_cast<double>(b)) <=
                        params.ring_tolerance_px + 1.0)
                      ring_zone[(zz * rd.ny + y) * rd.nx + x] = zid;
            }
            z = e;
          }
        }
      }
      if (zones) log.debug("segment: ", zones, " ring-artefact zones in the pellet");
    }
    // A ring shell's own baseline, from its voxels away from cracks.
    std::vector<double> zone_sum(zones, 0), zone_fine(zones, 0), zone_n(zones, 0);
    for (std::size_t i = 0; i < rd.size(); ++i) {
      const auto zid = ring_zone[i];
      if (zid < 0 || !env_roi.data()[i] || far.data()[i]) continue;
      zone_sum[static_cast<std::size_t>(zid)] += (ph.nasicon - raw_roi.data()[i]) * inv;
      zone_fine[static_cast<std::size_t>(zid)] += (ph.nasicon - rank_roi.data()[i]) * inv;
      zone_n[static_cast<std::size_t>(zid)] += 1;
    }
    auto baseline = [&](std::size_t i, bool ranked_image) {
      const auto zid = ring_zone[i];
      if (zid >= 0 && zone_n[static_cast<std::size_t>(zid)] > 0) {
        const auto z = static_cast<std::size_t>(zid);
        return (ranked_image ? zone_fine[z] : zone_sum[z]) / zone_n[z];
      }
      const int l = layer_of(i);
      return ranked_image ? fine_base[l] : base[l];
    };
    double deficit = 0;
    std::vector<std::pair<float, std::size_t>> ranked;
    for (std::size_t i = 0; i < rd.size(); ++i) {
      if (!env_roi.data()[i] || !near.data()[i]) continue;
      deficit += (ph.nasicon - raw_roi.data()[i]) * inv - baseline(i, false);
      ranked.emplace_back(
          static_cast<float>((ph.nasicon - rank_roi.data()[i]) * inv - baseline(i, true)), i);
    }
    log.debug("segment: crack baselines by depth ", base[0], " ", base[1], " ", base[2], " ",
              base[3], " (", base_n[0], " ", base_n[1], " ", base_n[2], " ", base_n[3], ")");
    deficit = std::max(0.0, deficit);
    const auto k = std::min(ranked.size(), static_cast<std::size_t>(std::llround(deficit)));
    std::partial_sort(ranked.begin(), ranked.begin() + static_cast<long>(k), ranked.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first; });
    for (std::size_t j = 0; j < k; ++j) {
      const std::size_t i = ranked[j].second;
      const std::size_t z = i / (rd.ny * rd.nx), y = (i / rd.nx) % rd.ny, x = i % rd.nx;
      crack(z + roi.z0, y + roi.y0, x + roi.x0) = 1;
    }
    result.crack_deficit_volume = deficit;
    for (std::size_t id = 1; id < pieces.size(); ++id) {
      if (!keep[id] && !pieces[id].ring) continue;
      if (comps.sizes[id - 1] < params.min_crack_voxels) continue;
      pieces[id].voxels = comps.sizes[id - 1];
      result.cracks.push_back(pieces[id]);
    }
    log.debug("segment: crack deficit volume ", deficit, " voxels from ",
              std::count(keep.begin(), keep.end(), 1), " pieces");
  }
  stage("cracks");

  // --- 8. Assemble the labels ------------------------------------------------------------
  result.labels = HostArray<std::uint8_t, 3>({d.nz, d.ny, d.nx});
  auto& lab = result.labels;
  {
    // Chips: NASICON cut off the main pellet once the crack is taken out; all of it lies in
    // the envelope's box.
    const auto shape = roi.empty() ? std::array<std::size_t, 3>{0, 0, 0} : roi.shape();
    Mask solid(shape);
    for (std::size_t z = roi.z0; z < roi.z1; ++z)
      for (std::size_t y = roi.y0; y < roi.y1; ++y)
        for (std::size_t x = roi.x0; x < roi.x1; ++x)
          solid(z - roi.z0, y - roi.y0, x - roi.x0) =
              nas(z, y, x) && env(z, y, x) && !crack(z, y, x);
    itk::Components comps;
    HostArray<float, 3> depth;
    if (!roi.empty()) {
      // A voxel or two of blurred crack above the threshold must not join a chip to the
      // pellet: the pieces are told apart with the crack one voxel wider, then the voxels set
      // aside go back to the piece most of their neighbours belong to.
      auto crack_roi = crop(crack.cview(), roi);
      auto wide = dilate6(crack_roi.cview(), 1);
      Mask core(shape);
      for (std::size_t i = 0; i < core.size(); ++i)
        core.data()[i] = solid.data()[i] && !wide.data()[i];
      comps = itk::connected_components(core.cview(), false);
      const std::size_t rz = shape[0], ry = shape[1], rx = shape[2];
      for (int pass = 0; pass < 2; ++pass) {
        auto ids = comps.ids.clone();
        for (std::size_t z = 0; z < rz; ++z)
          for (std::size_t y = 0; y < ry; ++y)
            for (std::size_t x = 0; x < rx; ++x) {
              const std::size_t i = (z * ry + y) * rx + x;
              if (!solid.data()[i] || ids.data()[i]) continue;
              std::uint32_t best = 0;
              int best_n = 0;
              for (const auto& o : kN6) {
                const long zz = static_cast<long>(z) + o[0], yy = static_cast<long>(y) + o[1],
                           xx = static_cast<long>(x) + o[2];
                if (zz < 0 || yy < 0 || xx < 0 || zz >= static_cast<long>(rz) ||
                    yy >= static_cast<long>(ry) || xx >= static_cast<long>(rx))
                  continue;
                const auto id = ids(static_cast<std::size_t>(zz), static_cast<std::size_t>(yy),
                                    static_cast<std::size_t>(xx));
                if (!id) continue;
                int n = 0;
                for (const auto& q : kN6) {
                  const long z2 = static_cast<long>(z) + q[0], y2 = static_cast<long>(y) + q[1],
                             x2 = static_cast<long>(x) + q[2];
                  if (z2 >= 0 && y2 >= 0 && x2 >= 0 && z2 < static_cast<long>(rz) &&
                      y2 < static_cast<long>(ry) && x2 < static_cast<long>(rx) &&
                      ids(static_cast<std::size_t>(z2), static_cast<std::size_t>(y2),
                          static_cast<std::size_t>(x2)) == id)
                    ++n;
                }
                if (n > best_n) {
                  best = id;
                  best_n = n;
                }
              }
              comps.ids.data()[i] = best;
            }
      }
      // Sizes after the voxels went back.
      std::fill(comps.sizes.begin(), comps.sizes.end(), 0);
      for (std::size_t i = 0; i < comps.ids.size(); ++i)
        if (comps.ids.data()[i]) ++comps.sizes[comps.ids.data()[i] - 1];
      auto env_roi = crop(env.cview(), roi);
      depth = itk::inside_distance(env_roi.cview());
    }
    const float tn = static_cast<float>(ph.nasicon_threshold);
#pragma omp parallel for schedule(static) collapse(2)
    for (std::size_t z = 0; z < d.nz; ++z)
      for (std::size_t y = 0; y < d.ny; ++y)
        for (std::size_t x = 0; x < d.nx; ++x) {
          const std::size_t i = (z * d.ny + y) * d.nx + x;
          const double r = radius(y, x);
          const bool in_roi = !roi.empty() && z >= roi.z0 && z < roi.z1 && y >= roi.y0 &&
                              y < roi.y1 && x >= roi.x0 && x < roi.x1;
          const std::size_t j =
              in_roi ? ((z - roi.z0) * shape[1] + (y - roi.y0)) * shape[2] + (x - roi.x0) : 0;
          std::uint8_t l;
          if (r > r_out) {
            l = kOutside;
          } else if (r >= r_in) {
            l = kHousing;
          } else if (crack.data()[i]) {
            l = kCrack;
          } else if (env.data()[i] && (fine.data()[i] >= tn || depth.data()[j] >= 1.5f)) {
            const auto id = comps.ids.data()[j];
            l = id > 1 && static_cast<double>(comps.sizes[id - 1]) >= params.min_chip_voxels
                    ? kChip
                    : kNasicon;
          } else {
            const float w = weak.data()[i];
            if (w < t_gas) {
              l = kVoid;
            } else if (w >= t_al) {
              l = kAl;
            } else if (nak.data()[i]) {
              l = kNaK;
            } else if (low.data()[i] == 2) {
              l = kHousing;
            } else {
              // Low grey level apart from NaK and the O-ring: a blurred edge of gas and Al.
              l = w < 0.5 * (ph.gas + ph.al) ? kVoid : kAl;
            }
          }
          lab.data()[i] = l;
        }
  }
  stage("labels");

  // --- 9. Voids in the NaK and at the interface --------------------------------------
  if (params.void_smooth_px > 0) {
    Stopwatch sw;
    // Noise makes void outlines ragged (NaK and gas differ by less than a voxel's noise):
    // a closing then an opening of the gas by a small diamond smooths them, inside the NaK
    // layer only (gas added there takes NaK's place, gas removed becomes NaK).
    Mask gas({d.nz, d.ny, d.nx});
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      gas.data()[i] = lab.data()[i] == kVoid;
    const int it = params.void_smooth_px;
    auto closed = erode6(dilate6(gas.cview(), it).cview(), it);
    auto smooth = dilate6(erode6(closed.cview(), it).cview(), it);
    auto near_nak = dilate6(nak.cview(), it + 1);
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i) {
      if (!near_nak.data()[i]) continue;
      auto& l = lab.data()[i];
      if (smooth.data()[i] && l == kNaK) l = kVoid;
      if (!smooth.data()[i] && l == kVoid) l = kNaK;
    }
    log.debug("segment: void outlines smoothed in ", sw.lap(), " s");
  }
  {
    Mask gas({d.nz, d.ny, d.nx});
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < d.size(); ++i)
      gas.data()[i] = lab.data()[i] == kVoid;
    Stopwatch vw;
    auto comps = itk::connected_components(gas.cview(), false);
    const std::size_t n = comps.sizes.size();
    log.debug("segment: voids: ", n, " gas components in ", vw.lap(), " s");
    std::vector<double> faces_nak(n + 1, 0), faces_all(n + 1, 0);
#pragma omp parallel
    {
      std::vector<double> fn(n + 1, 0), fa(n + 1, 0);
#pragma omp for schedule(static)
      for (std::size_t z = 0; z < d.nz; ++z)
        for (std::size_t y = 0; y < d.ny; ++y)
          for (std::size_t x = 0; x < d.nx; ++x) {
            const auto id = comps.ids(z, y, x);
            if (!id) continue;
            for (const auto& o : kN6) {
              const long zz = static_cast<long>(z) + o[0], yy = static_cast<long>(y) + o[1],
                         xx = static_cast<long>(x) + o[2];
              if (zz < 0 || yy < 0 || xx < 0 || zz >= static_cast<long>(d.nz) ||
                  yy >= static_cast<long>(d.ny) || xx >= static_cast<long>(d.nx))
                continue;
              const auto l = lab(static_cast<std::size_t>(zz), static_cast<std::size_t>(yy),
                                 static_cast<std::size_t>(xx));
              if (l == kVoid) continue;
              fa[id] += 1;
              fn[id] += l == kNaK;
            }
          }
#pragma omp critical
      for (std::size_t id = 0; id <= n; ++id) {
        faces_nak[id] += fn[id];
        faces_all[id] += fa[id];
      }
    }
    // A void in the NaK: mostly bounded by NaK (the rest by the pellet or the crack). The air
    // spaces of the cell border the housing and the Al instead.
    std::vector<std::uint8_t> is_void(n + 1, 0);
    std::vector<std::uint8_t> speck(n + 1, 0);
    for (std::size_t id = 1; id <= n; ++id) {
      const bool in_nak = faces_all[id] > 0 && faces_nak[id] >= 0.25 * faces_all[id];
      if (!in_nak) continue;
      if (static_cast<double>(comps.sizes[id - 1]) < params.min_void_voxels) {
        speck[id] = 1;
      } else {
        is_void[id] = 1;
      }
    }
    std::vector<Box> boxes(n + 1, Box::none(d.nz, d.ny, d.nx));
    for (std::size_t z = 0; z < d.nz; ++z)
      for (std::size_t y = 0; y < d.ny; ++y)
        for (std::size_t x = 0; x < d.nx; ++x) {
          const std::size_t i = (z * d.ny + y) * d.nx + x;
          const auto id = comps.ids.data()[i];
          if (!id) continue;
          if (speck[id]) lab.data()[i] = kNaK;
          if (is_void[id]) boxes[id].add(z, y, x);
        }
    log.debug("segment: voids: faces and boxes in ", vw.lap(), " s");
    // Touching voids split by the watershed, each void component on its own box.
    result.void_ids = HostArray<std::uint32_t, 3>({d.nz, d.ny, d.nx}, 0u);
    std::uint32_t next = 0;
    // A gas body of more than a million voxels (a 60-voxel radius) is a space of the cell,
    // not touching bubbles: it keeps one id (the watershed would take minutes on it).
    const std::size_t max_split = std::size_t{1} << 20;
    for (std::size_t id = 1; id <= n; ++id) {
      if (!is_void[id]) continue;
      if (comps.sizes[id - 1] > max_split) {
        ++next;
        const auto v = next;
        const Box& b = boxes[id];
        for (std::size_t z = b.z0; z < b.z1; ++z)
          for (std::size_t y = b.y0; y < b.y1; ++y)
            for (std::size_t x = b.x0; x < b.x1; ++x)
              if (comps.ids(z, y, x) == id) result.void_ids(z, y, x) = v;
        continue;
      }
      const Box b = boxes[id].grown(1, d.nz, d.ny, d.nx);
      Mask sub(b.shape());
      for (std::size_t z = b.z0; z < b.z1; ++z)
        for (std::size_t y = b.y0; y < b.y1; ++y)
          for (std::size_t x = b.x0; x < b.x1; ++x)
            sub(z - b.z0, y - b.y0, x - b.x0) = comps.ids(z, y, x) == id;
      auto split = itk::split_touching(sub.cview(), params.void_split_h_px);
      for (std::size_t z = b.z0; z < b.z1; ++z)
        for (std::size_t y = b.y0; y < b.y1; ++y)
          for (std::size_t x = b.x0; x < b.x1; ++x) {
            const auto v = split.ids(z - b.z0, y - b.y0, x - b.x0);
            if (v) result.void_ids(z, y, x) = next + v;
          }
      next += static_cast<std::uint32_t>(split.sizes.size());
    }
    result.void_count = next;
    log.debug("segment: voids: ", next, " voids split in ", vw.lap(), " s");
  }
  stage("voids");

  // --- 10. The pellet's top face (the NaK side), sub-voxel, near the axis --------------
  {
    double zn = 0, nn = 0, zp = 0, np = 0;
    for (std::size_t z = 0; z < d.nz; ++z)
      for (std::size_t i = 0; i < d.slice(); ++i) {
        const auto l = lab.data()[z * d.slice() + i];
        if (l == kNaK) {
          zn += static_cast<double>(z);
          nn += 1;
        } else if (l == kNasicon) {
          zp += static_cast<double>(z);
          np += 1;
        }
      }
    const bool nak_above = nn == 0 || np == 0 || zn / nn <= zp / np;
    if (!nak_above)
      log.warn(
          "segment: the NaK lies below the pellet; depths are measured from the pellet's lower "
          "face");
    const float tn = static_cast<float>(ph.nasicon_threshold);
    double sum = 0, count = 0;
    for (std::size_t y = 0; y < d.ny; ++y)
      for (std::size_t x = 0; x < d.nx; ++x) {
        if (radius(y, x) > 0.5 * r_in) continue;
        for (std::size_t s = 1; s < d.nz; ++s) {
          const std::size_t z = nak_above ? s : d.nz - 1 - s;
          const std::size_t zprev = nak_above ? z - 1 : z + 1;
          if (!(env(z, y, x) && fine(z, y, x) >= tn)) continue;
          const double a = fine(zprev, y, x), b = fine(z, y, x);
          const double t = b > a ? std::clamp((tn - a) / (b - a), 0.0, 1.0) : 0.5;
          sum += static_cast<double>(zprev) + (nak_above ? t : -t);
          count += 1;
          break;
        }
      }
    result.pellet_top_z = count > 0 ? sum / count : 0;
  }
  stage("pellet face");

  result.peak_working_bytes = d.size() * (4 * 3 + 1 * 6 + 4 + 4);
  result.seconds = total.lap();
  log.debug("segment: ", result.seconds, " s, pellet ", pellet_voxels, " voxels, filters in ",
            slabs, " slab(s)");
  return result;
}

}  // namespace xct::seg
