// xct: synchrotron X-ray CT from raw scan to volume, segmentation and tracking.
// main() is the only place that catches errors: it prints one line and returns the documented
// exit code (see README.md, "Exit codes").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "core/error.hpp"
#include "core/logger.hpp"
#include "core/version.hpp"
#include "io/hdf5.hpp"

namespace {

std::string version_string() {
  std::string v = std::string("xct ") + xct::kVersion;
  if (xct::kGitDescribe[0] != '\0') v += std::string(" (") + xct::kGitDescribe + ")";
  return v;
}

// `xct help` and `xct help COMMAND` print the same text as --help.
int print_help(CLI::App& app, const std::vector<std::string>& args) {
  if (args.size() <= 2) {
    std::printf("%s", app.help().c_str());
    return 0;
  }
  for (CLI::App* sub : app.get_subcommands({})) {
    if (sub->get_name() == args[2]) {
      std::printf("%s", sub->help().c_str());
      return 0;
    }
  }
  std::fprintf(stderr, "xct: error: no command '%s' (see 'xct help')\n", args[2].c_str());
  return xct::exit_code(xct::ErrorKind::Usage);
}

}  // namespace

int main(int argc, char** argv) {
  xct::h5::no_cleanup_at_exit();
  xct::StreamLogger log(stderr, xct::LogLevel::Info);
  xct::cli::Context ctx{log, 0, true, false, {}};

  CLI::App app{"xct: synchrotron X-ray CT from raw scan to volume, segmentation and tracking",
               "xct"};
  app.set_version_flag("--version", version_string());
  app.require_subcommand(1);
  app.fallthrough();
  bool verbose = false, quiet = false, no_progress = false;
  app.add_flag("-v,--verbose", verbose, "log debug lines");
  app.add_flag("-q,--quiet", quiet, "log warnings and errors only");
  app.add_flag("--no-progress", no_progress, "no progress bar, even on a terminal");
  app.add_subcommand("help", "Show help for xct or for one command: xct help COMMAND");
  xct::cli::register_info(app, ctx);
  xct::cli::register_check(app, ctx);
  xct::cli::register_simulate(app, ctx);
  xct::cli::register_center(app, ctx);
  xct::cli::register_recon(app, ctx);
  xct::cli::register_batch(app, ctx);
#ifdef XCT_HAVE_ITK
  xct::cli::register_segment(app, ctx);
  xct::cli::register_track(app, ctx);
#endif
  app.parse_complete_callback([&]() {
    if (verbose) log.set_min_level(xct::LogLevel::Debug);
    if (quiet) log.set_min_level(xct::LogLevel::Warn);
    ctx.progress_bars = !no_progress && !quiet;
    ctx.quiet = quiet;
  });

  const std::vector<std::string> args(argv, argv + argc);
  ctx.argv.assign(args.begin() + (args.empty() ? 0 : 1), args.end());
  if (args.size() >= 2 && args[1] == "help") return print_help(app, args);
  try {
    app.parse(argc, argv);
    return ctx.exit_code;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    if (args.size() == 1) {
      std::fprintf(stderr, "%s", app.help().c_str());
      return xct::exit_code(xct::ErrorKind::Usage);
    }
    std::fprintf(stderr, "xct: error: %s (see 'xct help')\n", e.what());
    return xct::exit_code(xct::ErrorKind::Usage);
  } catch (const xct::Error& e) {
    log.debug("error raised at ", e.file(), ":", e.line());
    std::fprintf(stderr, "xct: error: %s\n", e.what());
    return e.exit_code();
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "xct: error: out of memory (try a smaller --max-memory)\n");
    return xct::exit_code(xct::ErrorKind::Internal);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "xct: internal error: %s\n", e.what());
    return xct::exit_code(xct::ErrorKind::Internal);
  }
}
