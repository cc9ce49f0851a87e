// xct_step steps for the centre of rotation and the filtered back-projection:
//   center_vo          sino                 -> [coarse curve (2, n)], [fine curve (2, m)]
//                                              info: centre, vo_centre (Algotom's answer),
//                                              at_edge, range_start, range_stop, the curves
//   center_vo_metric   sino, centres (1-D)  -> metrics (1-D), no denoising or down-sampling
//   center_pc          proj0, proj180       -> info: centre
//   fbp                sino (-log), angles  -> slice (n, n)
//   fbp_slab           sinos (rows, angles, cols), angles, [centres (rows)] -> slices (rows, n, n)
// Curves are written as two rows: the candidate centres, then their metric values.
#include <omp.h>

#include <optional>

#include "core/error.hpp"
#include "recon/center.hpp"
#include "recon/fbp.hpp"
#include "tests/reference/step_tool.hpp"

namespace xct::step {

namespace {

std::vector<double> as_doubles(const Array& a) {
  return std::vector<double>(a.data.begin(), a.data.end());
}

std::optional<int> optional_int(const Params& p, const std::string& key) {
  if (!p.has(key)) return std::nullopt;
  return static_cast<int>(p.integer(key, 0));
}

Array curve_array(const recon::CenterCurve& c) {
  Array a{{2, c.centres.size()}, {}};
  for (double v : c.centres)
    a.data.push_back(static_cast<float>(v));
  for (double v : c.metrics)
    a.data.push_back(static_cast<float>(v));
  return a;
}

// Params: start, stop, step, radius, ratio, dsp (0/1), hor_drop, ver_drop, refine (0/1).
void center_vo_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                    nlohmann::json& info) {
  XCT_CHECK(in.size() == 1, ErrorKind::Usage, "center_vo takes one sinogram");
  recon::CenterVoParams params;
  if (p.has("start")) params.start = p.num("start");
  if (p.has("stop")) params.stop = p.num("stop");
  params.step = p.num("step", params.step);
  params.radius = p.num("radius", params.radius);
  params.ratio = p.num("ratio", params.ratio);
  params.downsample = p.flag("dsp", params.downsample);
  params.hor_drop = optional_int(p, "hor_drop");
  params.ver_drop = optional_int(p, "ver_drop");
  params.refine = p.flag("refine", params.refine);
  const recon::CenterResult r = recon::find_center_vo(image(in[0]), params);
  out.push_back(curve_array(r.coarse));
  out.push_back(curve_array(r.fine));
  info["centre"] = r.centre;
  info["vo_centre"] = r.vo_centre;
  info["at_edge"] = r.at_edge;
  info["range_start"] = r.range_start;
  info["range_stop"] = r.range_stop;
  // Exact (double) candidate centres and metrics, beside the float32 arrays.
  info["fine_centres"] = r.fine.centres;
  info["fine_metrics"] = r.fine.metrics;
  info["coarse_centres"] = r.coarse.centres;
  info["coarse_metrics"] = r.coarse.metrics;
}

// Params: ratio, hor_drop, ver_drop.
void center_vo_metric_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                           nlohmann::json& info) {
  XCT_CHECK(in.size() == 2, ErrorKind::Usage, "center_vo_metric takes a sinogram and centres");
  const std::vector<double> centres = as_doubles(in[1]);
  const std::vector<double> m =
      recon::center_vo_metrics(image(in[0]), centres, p.num("ratio", 0.5),
                               optional_int(p, "hor_drop"), optional_int(p, "ver_drop"));
  Array a{{m.size()}, {}};
  for (double v : m)
    a.data.push_back(static_cast<float>(v));
  out.push_back(std::move(a));
  info["metrics"] = m;
}

// Params: flip, gradient, normalize (0/1).
void center_pc_step(const std::vector<Array>& in, const Params& p, std::vector<Array>&,
                    nlohmann::json& info) {
  XCT_CHECK(in.size() == 2, ErrorKind::Usage, "center_pc takes two projections");
  recon::CenterPcParams params;
  params.flip = p.flag("flip", params.flip);
  params.gradient = p.flag("gradient", params.gradient);
  params.normalize = p.flag("normalize", params.normalize);
  info["centre"] = recon::find_center_phase_correlation(image(in[0]), image(in[1]), params).centre;
}

// FbpParams from key=value: filter, order, cutoff (Butterworth), pad, padding (edge/zero),
// fft_friendly (0/1), size, mask_ratio (negative: no mask).
recon::FbpParams fbp_params(const Params& p) {
  recon::FbpParams params;
  params.filter = p.str("filter", params.filter);
  params.butterworth_order = static_cast<int>(p.integer("order", params.butterworth_order));
  params.butterworth_cutoff = p.num("cutoff", params.butterworth_cutoff);
  params.pad_cols = static_cast<int>(p.integer("pad", params.pad_cols));
  params.padding = p.str("padding", params.padding);
  params.fft_friendly = p.flag("fft_friendly", params.fft_friendly);
  params.size = static_cast<std::size_t>(p.integer("size", 0));
  params.mask_ratio = p.num("mask_ratio", params.mask_ratio);
  return params;
}

// Params: centre and fbp_params' keys.
void fbp_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
              nlohmann::json& info) {
  XCT_CHECK(in.size() == 2, ErrorKind::Usage, "fbp takes a -log sinogram and its angles");
  const recon::FbpParams params = fbp_params(p);
  const std::vector<double> angles = as_doubles(in[1]);
  const HostArray<float, 2> slice =
      recon::fbp_reconstruct(image(in[0]), angles, p.num("centre"), params);
  out.push_back(
      Array{{slice.extent(0), slice.extent(1)}, std::vector<float>(slice.begin(), slice.end())});
  const std::vector<double> w = recon::fbp_angle_weights(angles);
  info["weight_first"] = w.front();
  info["weight_last"] = w.back();
}

// Params: centre (unless a third input gives one per row) and fbp_params' keys; the slices are
// n x n with n = size or cols. Info: the work bytes fbp_slab_work_bytes reports for this slab.
void fbp_slab_step(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                   nlohmann::json& info) {
  XCT_CHECK(in.size() == 2 || in.size() == 3, ErrorKind::Usage,
            "fbp_slab takes -log sinograms (rows, angles, cols), angles and optional centres");
  XCT_CHECK(in[0].shape.size() == 3, ErrorKind::Usage,
            "the sinograms must be (rows, angles, cols)");
  const recon::FbpParams params = fbp_params(p);
  const std::size_t rows = in[0].dim(0), n_angles = in[0].dim(1), cols = in[0].dim(2);
  const std::size_t n = params.size > 0 ? params.size : cols;
  const std::vector<double> angles = as_doubles(in[1]);
  const std::vector<double> centres =
      in.size() == 3 ? as_doubles(in[2]) : std::vector<double>{p.num("centre")};
  Array slices{{rows, n, n}, std::vector<float>(rows * n * n)};
  recon::fbp_reconstruct_slab(HostView<const float, 3>(in[0].data.data(), {rows, n_angles, cols}),
                              angles, centres, params,
                              HostView<float, 3>(slices.data.data(), {rows, n, n}));
  out.push_back(std::move(slices));
  info["work_bytes"] = recon::fbp_slab_work_bytes(rows, n_angles, cols, n, omp_get_max_threads());
  info["threads"] = omp_get_max_threads();
}

}  // namespace

void add_center_steps(Registry& registry) {
  registry["center_vo"] = center_vo_step;
  registry["center_vo_metric"] = center_vo_metric_step;
  registry["center_pc"] = center_pc_step;
  registry["fbp"] = fbp_step;
  registry["fbp_slab"] = fbp_slab_step;
}

}  // namespace xct::step
