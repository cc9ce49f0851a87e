// Angle sources shared by the readers: text files, ranges, and filling ScanInfo.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "io/layout.hpp"
#include "io/scan.hpp"

namespace xct {

// One value per line from lines first_line..last_line (1-based, inclusive; 0 = first / last).
// Lines are counted as they are in the file, so that a selection matches what an editor
// shows; a selected line that is blank or not a number is an error (ErrorKind::BadData).
std::vector<double> read_angle_text(const std::filesystem::path& file, std::size_t first_line = 0,
                                    std::size_t last_line = 0);

// The angles of a Text or Range AngleSpec, in the spec's unit (degrees unless
// spec.degrees is false). `n_proj` is the count used when spec.count is 0. Relative file names
// are resolved against `base_dir`.
std::vector<double> angles_from_spec(const AngleSpec& spec, const std::filesystem::path& base_dir,
                                     std::size_t n_proj);

// Stores angles in `info` (as stored and in radians) with a note of where they came from.
void set_scan_angles(ScanInfo& info, std::vector<double> stored, bool degrees, std::string where);

// Resolves `name` against `base_dir` unless it is absolute.
std::filesystem::path resolve_path(const std::filesystem::path& base_dir, const std::string& name);

// The folder that relative names in a LayoutSpec are resolved against: the input itself when
// it is a folder, else the folder that holds it.
std::filesystem::path base_dir_of(const std::filesystem::path& input);

}  // namespace xct
