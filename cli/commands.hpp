// Subcommands of `xct`. Each registers itself on the application; its callback runs the
// command and leaves the exit code in the Context. Library errors propagate as xct::Error to
// main(), which prints one line and returns the documented exit code.
#pragma once

#include <string>
#include <vector>

#include "core/logger.hpp"

namespace CLI {
class App;
}

namespace xct::cli {

struct Context {
  StreamLogger& log;
  int exit_code = 0;
  bool progress_bars = true;
  bool quiet = false;             // -q: warnings and errors only, no progress lines
  std::vector<std::string> argv;  // the command line after the program name
};

void register_info(CLI::App& app, Context& ctx);
void register_check(CLI::App& app, Context& ctx);
void register_simulate(CLI::App& app, Context& ctx);
void register_center(CLI::App& app, Context& ctx);
void register_recon(CLI::App& app, Context& ctx);
void register_batch(CLI::App& app, Context& ctx);
#ifdef XCT_HAVE_ITK
void register_segment(CLI::App& app, Context& ctx);
void register_track(CLI::App& app, Context& ctx);
#endif

}  // namespace xct::cli
