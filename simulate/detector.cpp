#include "simulate/detector.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "core/error.hpp"
#include "simulate/random.hpp"

namespace xct::sim {

namespace {

constexpr double kPi = std::numbers::pi;
enum Stream : std::uint64_t {
  kGainStream = 0x6A1,
  kStripeStream = 0x57,
  kFluctuationStream = 0xF1,
  kNoiseStream = 0x401,
  kZingerStream = 0x21,
};

// Separable Gaussian blur with replicated edges, in place.
void blur(std::vector<double>& img, std::size_t rows, std::size_t cols, double sigma) {
  if (!(sigma > 0)) return;
  const int radius = static_cast<int>(std::ceil(3 * sigma));
  std::vector<double> k(2 * radius + 1);
  double sum = 0;
  for (int i = -radius; i <= radius; ++i)
    sum += k[i + radius] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (double& v : k)
    v /= sum;
  std::vector<double> line;
  auto pass = [&](std::size_t n_lines, std::size_t len, std::size_t line_stride, std::size_t step) {
    line.resize(len);
    for (std::size_t l = 0; l < n_lines; ++l) {
      double* base = img.data() + l * line_stride;
      for (std::size_t i = 0; i < len; ++i)
        line[i] = base[i * step];
      for (std::size_t i = 0; i < len; ++i) {
        double acc = 0;
        for (int j = -radius; j <= radius; ++j) {
          const long idx =
              std::clamp<long>(static_cast<long>(i) + j, 0, static_cast<long>(len) - 1);
          acc += k[j + radius] * line[idx];
        }
        base[i * step] = acc;
      }
    }
  };
  pass(rows, cols, cols, 1);  // along rows
  pass(cols, rows, 1, cols);  // along columns
}

double stripe_factor(const DetectorModel& det, const StripeDefect& s, std::size_t index,
                     std::size_t frame, std::size_t col) {
  if (s.kind == "full") return 1 + s.amplitude;
  if (s.kind == "partial") return (frame >= s.frame0 && frame < s.frame1) ? 1 + s.amplitude : 1;
  if (s.kind == "fluctuating") {
    Rng r(mix_seed(det.params.defect_seed, kFluctuationStream, index, frame));
    return std::max(0.1, 1 + s.amplitude * r.normal());
  }
  if (s.kind == "large") {
    const double w = static_cast<double>(s.col1 - s.col0);
    const double x = (static_cast<double>(col - s.col0) + 0.5) / w;  // 0..1 across the stripe
    return 1 + s.amplitude * 0.5 * (1 - std::cos(2 * kPi * x));
  }
  return 1;
}

}  // namespace

void validate(const DetectorParams& p) {
  auto usage = [](bool ok, const std::string& what) { XCT_CHECK(ok, ErrorKind::Usage, what); };
  usage(std::isfinite(p.flux) && p.flux >= 1 && p.flux + p.dark_level < 60000,
        "the flux must lie in [1, 60000 - dark level] counts so flats fit in uint16");
  usage(p.dark_level >= 0 && p.read_noise >= 0, "dark level and read noise must not be negative");
  usage(p.drift_fraction >= 0 && p.drift_fraction < 0.5,
        "the intensity drift must lie in [0, 0.5)");
  usage(p.blur_sigma_px >= 0 && p.blur_sigma_px <= 10, "the blur sigma must lie in [0, 10] pixels");
  usage(p.zingers_per_frame >= 0 && p.zingers_per_frame <= 100,
        "zingers per frame must lie in [0, 100]");
  usage(p.phase_distance_mm >= 0 && p.phase_distance_mm <= 2000,
        "the phase distance must lie in [0, 2000] mm");
  usage(p.pixel_size_um > 0 && std::isfinite(p.pixel_size_um), "the pixel size must be positive");
  usage(p.n_flats >= 1 && p.n_darks >= 1, "a scan needs at least one flat and one dark");
}

DetectorModel make_detector(const DetectorParams& params, std::size_t n_rows, std::size_t n_cols,
                            std::size_t n_angles) {
  validate(params);
  DetectorModel det;
  det.params = params;
  det.n_rows = n_rows;
  det.n_cols = n_cols;
  det.n_angles = n_angles;
  const std::size_t n = n_rows * n_cols;
  det.beam.assign(n, 1.0f);
  det.gain.assign(n, 1.0f);
  det.dark.assign(n, static_cast<float>(params.dark_level));
  const double H = static_cast<double>(n_rows), W = static_cast<double>(n_cols);
  if (params.beam_profile) {
    for (std::size_t v = 0; v < n_rows; ++v) {
      const double dv = (v - 0.45 * H) / (0.9 * H);
      const double vertical =
          std::exp(-0.5 * dv * dv) * (1 + 0.015 * std::cos(2 * kPi * v / (H / 2.3)));
      for (std::size_t u = 0; u < n_cols; ++u) {
        const double ripple = 1 + 0.02 * std::sin(2 * kPi * u / (W / 3.7) + 0.6);
        det.beam[v * n_cols + u] = static_cast<float>(vertical * ripple / 1.04);
      }
    }
  }
  if (params.pixel_gain) {
    Rng r(mix_seed(params.defect_seed, kGainStream));
    for (std::size_t i = 0; i < n; ++i) {
      det.gain[i] = static_cast<float>(std::clamp(1 + 0.01 * r.normal(), 0.95, 1.05));
      det.dark[i] = static_cast<float>(params.dark_level + 1.5 * r.normal());
    }
  }
  if (params.stripes) {
    Rng r(mix_seed(params.defect_seed, kStripeStream));
    struct Want {
      const char* kind;
      int count;
    };
    const Want wants[] = {{"full", 3}, {"partial", 2},      {"fluctuating", 1},
                          {"dead", 1}, {"unresponsive", 1}, {"large", 1}};
    std::vector<std::pair<std::size_t, std::size_t>> taken;
    for (const Want& w : wants) {
      for (int c = 0; c < w.count; ++c) {
        for (int attempt = 0; attempt < 200; ++attempt) {
          StripeDefect s;
          s.kind = w.kind;
          // Large stripes span several columns; dead and unresponsive pixels are single columns.
          const bool single = s.kind == "dead" || s.kind == "unresponsive";
          const std::size_t width = s.kind == "large" ? 6 + r.below(7)
                                    : single          ? 1
                                                      : 1 + r.below(2);
          if (n_cols < width + 8) break;
          s.col0 = 4 + r.below(n_cols - width - 8);
          s.col1 = s.col0 + width;
          bool clash = false;
          for (const auto& [a, b] : taken)
            clash = clash || (s.col0 < b + 3 && a < s.col1 + 3);
          if (clash) continue;
          const std::size_t len = std::max<std::size_t>(
              1, static_cast<std::size_t>(std::lround(r.uniform(0.3, 1.0) * H)));
          s.row0 = r.below(n_rows - len + 1);
          s.row1 = s.row0 + len;
          s.frame0 = 0;
          s.frame1 = n_angles;
          const double sign = r.uniform() < 0.5 ? -1 : 1;
          if (s.kind == "full") s.amplitude = sign * r.uniform(0.01, 0.04);
          if (s.kind == "partial") {
            s.amplitude = sign * r.uniform(0.02, 0.05);
            const std::size_t span = static_cast<std::size_t>(r.uniform(0.2, 0.6) * n_angles);
            s.frame0 = r.below(n_angles - span + 1);
            s.frame1 = s.frame0 + span;
          }
          if (s.kind == "fluctuating") s.amplitude = r.uniform(0.04, 0.08);
          if (s.kind == "large") s.amplitude = sign * r.uniform(0.03, 0.06);
          if (s.kind == "unresponsive") s.amplitude = r.uniform(0.4, 0.8);  // reading / flux
          taken.emplace_back(s.col0, s.col1);
          det.stripes.push_back(s);
          break;
        }
      }
    }
  }
  return det;
}

double beam_intensity(const DetectorModel& det, std::size_t frame) {
  if (!det.params.intensity_drift || det.n_angles < 2) return 1.0;
  const double t = static_cast<double>(frame) / static_cast<double>(det.n_angles - 1);
  const double f = det.params.drift_fraction;
  return 1 - f * t + 0.25 * f * std::sin(2 * kPi * 1.3 * t);
}

void ExposureStats::merge(const ExposureStats& other) {
  saturated += other.saturated;
  zingers.insert(zingers.end(), other.zingers.begin(), other.zingers.end());
  flat_zingers.insert(flat_zingers.end(), other.flat_zingers.begin(), other.flat_zingers.end());
  dark_zingers.insert(dark_zingers.end(), other.dark_zingers.begin(), other.dark_zingers.end());
}

void expose(const DetectorModel& det, FrameKind kind, std::size_t frame, std::size_t step,
            const float* transmission, const float* delta, float* out, ExposureStats& stats) {
  const DetectorParams& p = det.params;
  const std::size_t rows = det.n_rows, cols = det.n_cols, n = rows * cols;
  std::vector<double> e(n, 0.0);
  if (kind != FrameKind::Dark) {
    // Flats before the scan see the beam as it starts, flats after it as it ends.
    double intensity = 1.0;
    if (kind == FrameKind::Projection) intensity = beam_intensity(det, frame);
    if (kind == FrameKind::Flat && frame >= p.n_flats && det.n_angles > 0) {
      intensity = beam_intensity(det, det.n_angles - 1);
    }
    const double scale = p.flux * intensity;
    const double z_px = p.phase_distance_mm * 1000.0 / p.pixel_size_um;
    for (std::size_t v = 0; v < rows; ++v) {
      for (std::size_t u = 0; u < cols; ++u) {
        const std::size_t i = v * cols + u;
        double t = kind == FrameKind::Projection ? transmission[i] : 1.0;
        if (kind == FrameKind::Projection && delta && z_px > 0) {
          // Transport of intensity, weak-absorption form: I = T (1 + z laplacian(int delta)).
          auto at = [&](long vv, long uu) {
            vv = std::clamp<long>(vv, 0, static_cast<long>(rows) - 1);
            uu = std::clamp<long>(uu, 0, static_cast<long>(cols) - 1);
            return static_cast<double>(delta[vv * cols + uu]);
          };
          const long V = static_cast<long>(v), U = static_cast<long>(u);
          const double lap =
              at(V - 1, U) + at(V + 1, U) + at(V, U - 1) + at(V, U + 1) - 4 * at(V, U);
          t = std::max(0.0, t * (1 + z_px * lap));
        }
        e[i] = scale * det.beam[i] * t;
      }
    }
    blur(e, rows, cols, p.blur_sigma_px);
  }
  const std::uint64_t kind_id = static_cast<std::uint64_t>(kind);
  Rng noise(mix_seed(p.noise_seed, kNoiseStream, (step << 32) | kind_id, frame));
  std::vector<double> value(n);
  for (std::size_t i = 0; i < n; ++i) {
    double signal = p.noise ? noise.poisson(e[i]) : e[i];
    signal *= det.gain[i];
    value[i] = signal + det.dark[i] + (p.noise ? p.read_noise * noise.normal() : 0.0);
  }
  for (std::size_t s = 0; s < det.stripes.size(); ++s) {
    const StripeDefect& d = det.stripes[s];
    for (std::size_t v = d.row0; v < d.row1; ++v) {
      for (std::size_t u = d.col0; u < d.col1; ++u) {
        const std::size_t i = v * cols + u;
        if (d.kind == "dead") {
          value[i] = det.dark[i];
        } else if (d.kind == "unresponsive") {
          // Lit, it reads the same whatever the light; in the dark it reads dark.
          if (kind != FrameKind::Dark) value[i] = det.dark[i] + d.amplitude * p.flux;
        } else if (kind == FrameKind::Projection) {
          value[i] = (value[i] - det.dark[i]) * stripe_factor(det, d, s, frame, u) + det.dark[i];
        }
      }
    }
  }
  if (p.zingers) {
    // Projections draw from the zinger stream itself, flats and darks from their own.
    const std::uint64_t stream = kZingerStream + (kind == FrameKind::Projection ? 0 : 1 + kind_id);
    std::vector<Zinger>& list = kind == FrameKind::Projection ? stats.zingers
                                : kind == FrameKind::Flat     ? stats.flat_zingers
                                                              : stats.dark_zingers;
    Rng z(mix_seed(p.zinger_seed, stream, step, frame));
    const int count = static_cast<int>(z.poisson(p.zingers_per_frame));
    for (int k = 0; k < count; ++k) {
      const std::size_t v = z.below(rows), u = z.below(cols);
      const double counts = p.flux * z.uniform(0.5, 3.0);
      const int size = 1 + static_cast<int>(z.below(3));
      for (int q = 0; q < size; ++q) {
        const std::size_t vv = std::min(rows - 1, v + (q == 2 ? 1 : 0));
        const std::size_t uu = std::min(cols - 1, u + (q == 1 ? 1 : 0));
        value[vv * cols + uu] += counts;
        list.push_back({frame, vv, uu, counts});
      }
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (p.float_counts) {
      out[i] = static_cast<float>(value[i]);
      continue;
    }
    const double r = std::round(value[i]);
    if (r >= 65535) ++stats.saturated;
    out[i] = static_cast<float>(std::clamp(r, 0.0, 65535.0));
  }
}

}  // namespace xct::sim
