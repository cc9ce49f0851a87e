// xct_step steps for flat-field correction, -log and zinger removal.
#include <algorithm>

#include "core/error.hpp"
#include "recon/flatfield.hpp"
#include "recon/zinger.hpp"
#include "tests/reference/step_tool.hpp"
#include "tests/support/sim_scan.hpp"

namespace xct::step {

namespace {

using recon::FlatFieldCounts;
using recon::FlatFieldParams;

// A 2-D array as a [rows, cols] image; a 3-D one as [n, rows, cols] frames.
HostView<const float, 3> frames(const Array& a) {
  if (a.shape.size() == 2) return HostView<const float, 3>(a.data.data(), {a.dim(0), 1, a.dim(1)});
  XCT_CHECK(a.shape.size() == 3, ErrorKind::Usage, "expected a 2-D or 3-D array");
  return HostView<const float, 3>(a.data.data(), {a.dim(0), a.dim(1), a.dim(2)});
}

nlohmann::json counts_json(const FlatFieldCounts& c) {
  return {{"bad_flat_pixels", c.bad_flat_pixels},
          {"saturated_flat_pixels", c.saturated_flat_pixels},
          {"nonpositive_samples", c.nonpositive_samples},
          {"log_clamped_samples", c.log_clamped_samples}};
}

// inputs: projections [n, rows, cols] (or a sinogram [n, cols]), flat, dark (one image each,
// [rows, cols] or [cols]); optional flat taken after the scan. Params: bad_flat, nonpositive,
// log (0/1), positions given as before=, after= with projections evenly spaced between.
void flat_field_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                     nlohmann::json& info) {
  XCT_CHECK(in.size() == 3 || in.size() == 4, ErrorKind::Usage,
            "flat_field takes projections, flat, dark [, flat_after]");
  const auto raw = frames(in[0]);
  const std::size_t rows = raw.extent(1), cols = raw.extent(2);
  const auto as_image = [&](const Array& a) {
    XCT_CHECK(a.data.size() == rows * cols, ErrorKind::Usage, "reference size differs");
    return HostView<const float, 2>(a.data.data(), {rows, cols});
  };
  FlatFieldParams params;
  params.bad_flat = recon::parse_bad_flat_policy(p.str("bad_flat", "mean"));
  params.nonpositive = recon::parse_nonpositive_policy(p.str("nonpositive", "half-count"));
  if (p.has("saturation")) params.saturation = p.num("saturation");
  FlatFieldCounts counts;
  const auto after = in.size() == 4 ? std::optional(as_image(in[3])) : std::nullopt;
  const double before_pos = p.num("before", -1.0);
  const double after_pos = p.num("after", static_cast<double>(raw.extent(0)));
  const auto ref =
      recon::make_flat_reference(as_image(in[2]), as_image(in[1]), after ? &*after : nullptr,
                                 before_pos, after_pos, params, counts);
  std::vector<double> positions(raw.extent(0));
  for (std::size_t k = 0; k < positions.size(); ++k)
    positions[k] = static_cast<double>(k);
  Array result{in[0].shape, std::vector<float>(in[0].data.size())};
  HostView<float, 3> dst(result.data.data(), raw.shape());
  recon::flat_field(raw, ref, positions, dst, params, counts);
  if (p.flag("log", false)) recon::minus_log(result.data, counts);
  out.push_back(std::move(result));
  info["counts"] = counts_json(counts);
}

void reduce_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                 nlohmann::json&) {
  XCT_CHECK(in.size() == 1, ErrorKind::Usage, "reduce takes one frame stack");
  const auto f = frames(in[0]);
  Array result{{f.extent(1), f.extent(2)}, std::vector<float>(f.extent(1) * f.extent(2))};
  recon::reduce_frames(f, recon::parse_frame_reduction(p.str("how", "mean")),
                       HostView<float, 2>(result.data.data(), {f.extent(1), f.extent(2)}));
  out.push_back(std::move(result));
}

void zinger_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                 nlohmann::json& info) {
  XCT_CHECK(in.size() == 1, ErrorKind::Usage, "remove_zinger takes one image");
  recon::ZingerParams params;
  params.threshold = p.num("threshold", params.threshold);
  params.size = static_cast<std::size_t>(p.integer("size", static_cast<long>(params.size)));
  params.check_size = p.flag("check_size", false);
  params.frame_check = p.flag("frame_check", params.frame_check);
  Array result{in[0].shape, std::vector<float>(in[0].data.size())};
  const auto src = image(in[0]);
  info["replaced"] =
      recon::remove_zinger(src, HostView<float, 2>(result.data.data(), src.shape()), params);
  out.push_back(std::move(result));
}

// A simulated transmission sinogram of the cell through xct's flat-field (median flats and
// darks, default policies): outputs [with stripes, without stripes], the same noise in both.
// Params: cols, angles, seed, kind = every (the simulator's mix of stripe defects), none, or one
// kind (full, partial, fluctuating, dead, unresponsive, large) on every row.
void sim_sinogram_step(const std::vector<Array>&, const Params& p, std::vector<Array>& out,
                       nlohmann::json& info) {
  const auto cols = static_cast<std::size_t>(p.integer("cols", 256));
  const auto angles = static_cast<std::size_t>(p.integer("angles", 361));
  const std::string kind = p.str("kind", "every");
  auto params = test::band_params(cols, 8, angles);
  const auto seed = static_cast<std::uint64_t>(p.integer("seed", 1));
  params.cell.seed = params.detector.noise_seed = params.detector.zinger_seed = seed;
  params.detector.defect_seed = seed;
  const auto keep = [&](sim::DetectorModel& d) { test::keep_stripe_kind(d, kind, 8); };
  const auto none = [](sim::DetectorModel& d) { d.stripes.clear(); };
  for (int clean = 0; clean < 2; ++clean) {
    const auto scan =
        test::simulate_scan(params, clean ? std::function(none) : std::function(keep));
    const auto t = test::xct_transmission(scan, 4);
    out.push_back(Array{{angles, cols}, std::vector<float>(t.begin(), t.end())});
    if (!clean) info["centre"] = scan.centre;
  }
}

}  // namespace

void add_preprocess_steps(Registry& registry) {
  registry["sim_sinogram"] = sim_sinogram_step;
  registry["flat_field"] = flat_field_step;
  registry["reduce"] = reduce_step;
  registry["remove_zinger"] = zinger_step;
}

}  // namespace xct::step
