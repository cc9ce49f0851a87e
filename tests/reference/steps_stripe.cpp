// xct_step steps for ring (stripe) removal, named as Algotom names the functions, with its
// parameter names and defaults. Each takes one sinogram [angles, cols] and writes the
// corrected sinogram; the detection-based ones also write their column masks (float 0/1) and
// the counts into the json.
#include "core/error.hpp"
#include "recon/stripe.hpp"
#include "tests/reference/step_tool.hpp"

namespace xct::step {

namespace {

using recon::StripeMask;

HostView<const float, 2> sinogram(const std::vector<Array>& in) {
  XCT_CHECK(in.size() == 1 && in[0].shape.size() == 2, ErrorKind::Usage,
            "stripe steps take one 2-D sinogram");
  return HostView<const float, 2>(in[0].data.data(), {in[0].dim(0), in[0].dim(1)});
}

// Runs `f(sino, out)` into a new output array.
template <typename F>
void run(const std::vector<Array>& in, std::vector<Array>& out, F f) {
  const auto sino = sinogram(in);
  Array result{in[0].shape, std::vector<float>(in[0].data.size())};
  f(sino, HostView<float, 2>(result.data.data(), sino.shape()));
  out.push_back(std::move(result));
}

void add_mask(const StripeMask& mask, const char* name, std::vector<Array>& out,
              nlohmann::json& info) {
  Array a{{mask.size()}, std::vector<float>(mask.begin(), mask.end())};
  out.push_back(std::move(a));
  std::size_t n = 0;
  for (auto m : mask)
    n += m;
  info[name] = n;
}

std::size_t size_param(const Params& p, const char* key, std::size_t fallback) {
  const long v = p.integer(key, static_cast<long>(fallback));
  XCT_CHECK(v >= 0, ErrorKind::Usage, key, " must not be negative");
  return static_cast<std::size_t>(v);
}

void sorting(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
             nlohmann::json&) {
  recon::SortingStripeParams sp;
  sp.size = size_param(p, "size", sp.size);
  sp.dim = static_cast<int>(p.integer("dim", sp.dim));
  run(in, out, [&](auto s, auto o) { recon::remove_stripe_based_sorting(s, o, sp); });
}

void filtering(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
               nlohmann::json&) {
  recon::FilteringStripeParams fp;
  fp.sigma = p.num("sigma", fp.sigma);
  fp.size = size_param(p, "size", fp.size);
  fp.dim = static_cast<int>(p.integer("dim", fp.dim));
  fp.sort = p.flag("sort", fp.sort);
  run(in, out, [&](auto s, auto o) { recon::remove_stripe_based_filtering(s, o, fp); });
}

void fitting(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
             nlohmann::json&) {
  recon::FittingStripeParams fp;
  fp.order = static_cast<int>(p.integer("order", fp.order));
  fp.sigma = p.num("sigma", fp.sigma);
  fp.sort = p.flag("sort", fp.sort);
  fp.num_chunk = size_param(p, "num_chunk", fp.num_chunk);
  run(in, out, [&](auto s, auto o) { recon::remove_stripe_based_fitting(s, o, fp); });
}

void large(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
           nlohmann::json& info) {
  recon::LargeStripeParams lp;
  lp.snr = p.num("snr", lp.snr);
  lp.size = size_param(p, "size", lp.size);
  lp.drop_ratio = p.num("drop_ratio", lp.drop_ratio);
  lp.norm = p.flag("norm", lp.norm);
  StripeMask mask;
  run(in, out, [&](auto s, auto o) { mask = recon::remove_large_stripe(s, o, lp); });
  add_mask(mask, "large_columns", out, info);
}

void dead(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
          nlohmann::json& info) {
  recon::DeadStripeParams dp;
  dp.snr = p.num("snr", dp.snr);
  dp.size = size_param(p, "size", dp.size);
  dp.residual = p.flag("residual", dp.residual);
  dp.smooth_strength = size_param(p, "smooth_strength", dp.smooth_strength);
  StripeMask mask;
  run(in, out, [&](auto s, auto o) { mask = recon::remove_dead_stripe(s, o, dp); });
  add_mask(mask, "dead_columns", out, info);
}

void all(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
         nlohmann::json& info) {
  recon::AllStripeParams ap;
  ap.snr = p.num("snr", ap.snr);
  ap.la_size = size_param(p, "la_size", ap.la_size);
  ap.sm_size = size_param(p, "sm_size", ap.sm_size);
  ap.drop_ratio = p.num("drop_ratio", ap.drop_ratio);
  ap.dim = static_cast<int>(p.integer("dim", ap.dim));
  recon::AllStripeMasks masks;
  run(in, out, [&](auto s, auto o) { masks = recon::remove_all_stripe(s, o, ap); });
  add_mask(masks.dead, "dead_columns", out, info);
  add_mask(masks.large, "large_columns", out, info);
}

void interpolation(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                   nlohmann::json& info) {
  recon::InterpolationStripeParams ip;
  ip.snr = p.num("snr", ip.snr);
  ip.size = size_param(p, "size", ip.size);
  ip.drop_ratio = p.num("drop_ratio", ip.drop_ratio);
  ip.norm = p.flag("norm", ip.norm);
  StripeMask mask;
  run(in, out, [&](auto s, auto o) { mask = recon::remove_stripe_based_interpolation(s, o, ip); });
  add_mask(mask, "interpolated_columns", out, info);
}

void wavelet_fft(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
                 nlohmann::json&) {
  recon::WaveletFftStripeParams wp;
  wp.level = static_cast<int>(p.integer("level", wp.level));
  wp.size = p.num("size", wp.size);
  wp.wavelet_name = p.str("wavelet_name", wp.wavelet_name);
  wp.window_name = p.str("window_name", wp.window_name);
  wp.sort = p.flag("sort", wp.sort);
  run(in, out, [&](auto s, auto o) { recon::remove_stripe_based_wavelet_fft(s, o, wp); });
}

// Detection alone (algorithm 4 on the statistics of algorithms 5 and 6): the mask only.
void detect(const std::vector<Array>& in, const Params& p, std::vector<Array>& out,
            nlohmann::json& info) {
  const auto sino = sinogram(in);
  recon::LargeStripeParams lp;
  lp.snr = p.num("snr", lp.snr);
  lp.size = size_param(p, "size", lp.size);
  lp.drop_ratio = p.num("drop_ratio", lp.drop_ratio);
  add_mask(recon::detect_large_stripe(sino, lp), "large_columns", out, info);
  recon::DeadStripeParams dp;
  dp.snr = lp.snr;
  dp.size = lp.size;
  dp.smooth_strength = size_param(p, "smooth_strength", dp.smooth_strength);
  add_mask(recon::detect_dead_stripe(sino, dp), "dead_columns", out, info);
}

}  // namespace

void add_stripe_steps(Registry& registry) {
  registry["remove_stripe_based_sorting"] = sorting;
  registry["remove_stripe_based_filtering"] = filtering;
  registry["remove_stripe_based_fitting"] = fitting;
  registry["remove_large_stripe"] = large;
  registry["remove_dead_stripe"] = dead;
  registry["remove_all_stripe"] = all;
  registry["remove_stripe_based_interpolation"] = interpolation;
  registry["remove_stripe_based_wavelet_fft"] = wavelet_fft;
  registry["detect_stripe"] = detect;
}

}  // namespace xct::step
