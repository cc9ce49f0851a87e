// The TOML config of `xct recon` (cli/config_flags.hpp, input_options.hpp, recon_options.hpp):
// any file given as --config is applied as xct recon applies it ([input], [preprocess],
// [recon], [output]) and resolved into the run's parameters, or gives one xct::Error or one
// command-line error, never a crash, a hang or a leak.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/config_flags.hpp"
#include "cli/input_options.hpp"
#include "cli/recon_options.hpp"
#include "core/error.hpp"
#include "fuzz/fuzz_file.hpp"

using namespace xct::cli;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string config = xct::fuzz::write_input("config.toml", data, size).string();
  CLI::App app{"xct"};
  CLI::App* cmd = app.add_subcommand("recon");
  ReconCmdOptions o;
  add_input_options(*cmd, o.input);
  add_recon_options(*cmd, o);
  try {
    const char* argv[] = {"xct", "recon", "scan.h5", "--config", config.c_str()};
    app.parse(5, const_cast<char**>(argv));
    apply_config_table(*cmd, config, "preprocess", false, {kPrepGroup});
    apply_config_table(*cmd, config, "recon", false, {kReconGroup, kCentreGroup});
    apply_config_table(*cmd, config, "output", false, {kOutputGroup});
    const xct::LayoutSpec layout = resolve_layout(o.input);
    const auto params = resolve_recon(o);
    const auto out = resolve_output(o);
    (void)layout;
    (void)params;
    (void)out;
  } catch (const xct::Error&) {
  } catch (const CLI::Error&) {
  }
  return 0;
}
