// Finding and ordering the files of a TIFF scan (used by tiff_scan.cpp): the roles named in
// a LayoutSpec, or discovered in a folder by the names beamline software gives them.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "io/scan.hpp"

namespace xct::tiff_detail {

struct RoleFiles {
  std::vector<std::filesystem::path> projections, flats, darks;
};

// The files of one role named in a LayoutSpec: a file, a folder or a glob pattern, relative to
// `base`. Throws ErrorKind::InputMissing when it does not exist.
std::vector<std::filesystem::path> resolve_role(const std::filesystem::path& base,
                                                const std::string& name, FrameRole role);

// Finds the roles in a folder by the usual names: projections in the first of tomo/, proj/,
// projections/, tiffs/, data/ that holds TIFFs, else the other TIFFs beside the flats
// (flat*, bright*, white*) and darks (dark*).
RoleFiles discover(const std::filesystem::path& folder);

// Orders files by the last integer in their names (raw_9.tif before raw_10.tif). An index used
// twice is an error; gaps in projection numbers are added to `warnings` (a dropped frame, or a
// deliberate selection: the angles tell which).
std::vector<std::filesystem::path> order_files(const std::vector<std::filesystem::path>& files,
                                               FrameRole role, std::vector<std::string>& warnings);

}  // namespace xct::tiff_detail
