// `xct info INPUT`: what the reader found, without reading the projection data.
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "core/geometry.hpp"
#include "io/check.hpp"
#include "io/scan.hpp"

namespace xct::cli {

namespace {

struct InfoOptions {
  InputOptions input;
  bool json = false;
};

std::string stack_line(const StackInfo& s) {
  if (!s.present) return "none";
  return detail::concat(s.n_frames, " x ", s.n_rows, " x ", s.n_cols, " ", dtype_name(s.dtype),
                        "  [", s.where, "]");
}

std::string angle_line(const ScanInfo& info) {
  if (info.angles_rad.empty()) return "none recorded";
  const AngleSummary s = summarize_angles(info.angles_rad);
  char buf[200];
  std::snprintf(buf, sizeof buf, "%zu from %.4g to %.4g deg, mean step %.4g deg", s.count,
                rad_to_deg(s.first_rad), rad_to_deg(s.last_rad), rad_to_deg(s.mean_step_rad));
  std::string out = buf;
  if (s.turn_deg > 0) {
    out += detail::concat(
        ", ", s.turn_deg,
        s.end_point_included ? " deg with both end points" : " deg without the end point");
  } else if (s.count > 1) {
    out += detail::concat(", spans ", rad_to_deg(s.span_rad), " deg: neither 180 nor 360");
  }
  if (!s.monotonic) out += ", not monotonic";
  return out + "  [" + info.angles_where + "]";
}

std::string optional_line(const std::optional<double>& v, const char* unit) {
  if (!v) return "unknown";
  return detail::concat(*v, " ", unit);
}

nlohmann::ordered_json stack_json(const StackInfo& s) {
  nlohmann::ordered_json j;
  j["present"] = s.present;
  j["shape"] = {s.n_frames, s.n_rows, s.n_cols};
  j["dtype"] = dtype_name(s.dtype);
  j["where"] = s.where;
  return j;
}

template <typename T>
nlohmann::ordered_json optional_json(const std::optional<T>& v) {
  return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
}

void print_json(const ScanInfo& info, const MemoryEstimate& m) {
  nlohmann::ordered_json j;
  j["input"] = info.source.string();
  j["layout"] = info.layout;
  j["projections"] = stack_json(info.projections);
  j["flats"] = stack_json(info.flats);
  j["darks"] = stack_json(info.darks);
  const AngleSummary s = summarize_angles(info.angles_rad);
  j["angles"] = {{"count", s.count},
                 {"first_deg", rad_to_deg(s.first_rad)},
                 {"last_deg", rad_to_deg(s.last_rad)},
                 {"mean_step_deg", rad_to_deg(s.mean_step_rad)},
                 {"span_deg", rad_to_deg(s.span_rad)},
                 {"turn_deg", s.turn_deg},
                 {"end_point_included", s.end_point_included},
                 {"where", info.angles_where}};
  j["pixel_size_um"] = optional_json(info.pixel_size_um);
  j["energy_kev"] = optional_json(info.energy_kev);
  j["distance_mm"] = optional_json(info.distance_mm);
  j["memory_bytes"] = {{"raw", m.raw_bytes},
                       {"float_projections", m.float_proj_bytes},
                       {"volume", m.volume_bytes},
                       {"per_row", m.one_row_bytes}};
  j["problems"] = info.problems;
  j["warnings"] = info.warnings;
  std::printf("%s\n", j.dump(2).c_str());
}

void print_text(const ScanInfo& info, const MemoryEstimate& m) {
  std::printf("input:        %s\n", info.source.string().c_str());
  std::printf("layout:       %s\n", info.layout.c_str());
  std::printf("projections:  %s\n", stack_line(info.projections).c_str());
  std::printf("flats:        %s\n", stack_line(info.flats).c_str());
  std::printf("darks:        %s\n", stack_line(info.darks).c_str());
  std::printf("angles:       %s\n", angle_line(info).c_str());
  std::printf("pixel size:   %s\n", optional_line(info.pixel_size_um, "um").c_str());
  std::printf("energy:       %s\n", optional_line(info.energy_kev, "keV").c_str());
  std::printf("distance:     %s\n", optional_line(info.distance_mm, "mm").c_str());
  std::printf(
      "memory:       raw %s; float32 projections %s; float32 volume %s (%zu x %zu x %zu);"
      " one sinogram row with its slice %s\n",
      human_bytes(m.raw_bytes).c_str(), human_bytes(m.float_proj_bytes).c_str(),
      human_bytes(m.volume_bytes).c_str(), info.n_rows(), info.n_cols(), info.n_cols(),
      human_bytes(m.one_row_bytes).c_str());
  for (const auto& p : info.problems)
    std::printf("problem:      %s\n", p.c_str());
  for (const auto& w : info.warnings)
    std::printf("warning:      %s\n", w.c_str());
}

}  // namespace

void register_info(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<InfoOptions>();
  CLI::App* cmd = app.add_subcommand(
      "info", "Describe a raw scan: layout, shapes, types, angles, metadata, memory needed");
  add_input_options(*cmd, opts->input);
  cmd->add_flag("--json", opts->json, "print the description as JSON");
  cmd->callback([opts, &ctx]() {
    const LayoutSpec spec = resolve_layout(opts->input);
    auto reader = open_scan(opts->input.input, spec, ctx.log);
    const ScanInfo& info = reader->info();
    const MemoryEstimate m = estimate_memory(info);
    if (opts->json) {
      print_json(info, m);
    } else {
      print_text(info, m);
    }
    ctx.exit_code = 0;
  });
}

}  // namespace xct::cli
