// `xct check INPUT`: validates a raw scan before anything is allocated for it. Exit 0 when
// clean (warnings allowed), 65 with one line per problem otherwise.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "cli/commands.hpp"
#include "cli/input_options.hpp"
#include "cli/sizes.hpp"
#include "core/error.hpp"
#include "io/check.hpp"
#include "io/scan.hpp"

namespace xct::cli {

namespace {

struct CheckCmdOptions {
  InputOptions input;
  bool quick = false;
  std::string max_memory = "512M";
};

}  // namespace

void register_check(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<CheckCmdOptions>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Validate a raw scan: shapes, angles, flats and darks, readable finite data");
  add_input_options(*cmd, opts->input);
  cmd->add_flag("--quick", opts->quick,
                "check metadata, flats and darks only; do not read every projection");
  cmd->add_option("--max-memory", opts->max_memory,
                  "memory to read projections with, e.g. 512M or 4G")
      ->capture_default_str();
  cmd->callback([opts, &ctx]() {
    const LayoutSpec spec = resolve_layout(opts->input);
    CheckOptions copt;
    copt.read_projections = !opts->quick;
    copt.max_memory_bytes = parse_size(opts->max_memory, "--max-memory");
    copt.progress = ctx.progress_bars ? Progress::Style::Auto : Progress::Style::Silent;
    auto reader = open_scan(opts->input.input, spec, ctx.log);
    const CheckReport report = check_scan(*reader, copt, ctx.log);
    for (const Finding& f : report.findings) {
      std::printf("%s: %s\n", f.severity == Finding::Severity::Error ? "error" : "warning",
                  f.message.c_str());
    }
    if (report.clean()) {
      std::printf("ok: %s passed (projections read: %zu, warnings: %zu)\n",
                  opts->input.input.c_str(), report.projections_read, report.warning_count());
      ctx.exit_code = 0;
    } else {
      ctx.exit_code = exit_code(ErrorKind::BadData);
    }
  });
}

}  // namespace xct::cli
