// The options that say how to read a raw scan, shared by every command that reads one:
// a TOML config ([input] section) and flags that override its keys.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "io/layout.hpp"

namespace CLI {
class App;
}

namespace xct::cli {

struct InputOptions {
  std::string input;  // file or folder
  std::string config_file;
  std::string layout;  // overrides [input] layout
  std::string angles_file;
  std::string angle_lines;  // "FIRST-LAST", 1-based inclusive
  std::string angle_range;  // "START,STOP[,COUNT]"
  bool no_endpoint = false;
  bool angles_in_radians = false;
  std::optional<double> pixel_size_um;
};

// The input as an absolute path without a trailing separator.
std::filesystem::path input_abs_path(const std::string& input);
// Outputs go beside the input by default: INPUT_rec (the input's name without extension).
std::filesystem::path default_output_dir(const std::string& input);
// The centre record of `xct center`: xct_center.json beside an input file, inside an input
// folder (a TIFF scan).
std::filesystem::path centre_record_path(const std::string& input);
// The centre recorded for `input` in its record file, if any.
std::optional<double> recorded_centre(const std::string& input);

// Adds INPUT and the input flags to a subcommand.
void add_input_options(CLI::App& cmd, InputOptions& opts);

// The LayoutSpec from the config file (if any) with the flags applied on top. Throws a usage
// error (exit 2) for an unreadable config, an unknown key or a malformed flag value.
LayoutSpec resolve_layout(const InputOptions& opts);

// Parses the [input] table of a TOML document into `spec`; `origin` names the document in
// error messages.
void apply_input_toml(const std::string& toml_text, const std::string& origin, LayoutSpec& spec);

}  // namespace xct::cli
