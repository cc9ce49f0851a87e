// Raw scans stored as TIFF files: a folder (or glob, or multi-page file) of projections with a
// zero-padded index, flat and dark files or folders, angles from a text file or a range.
#pragma once

#include <filesystem>
#include <memory>

#include "core/logger.hpp"
#include "io/layout.hpp"
#include "io/scan.hpp"

namespace xct {

// True when `input` is a folder holding TIFF files (directly or in a projections subfolder).
bool looks_like_tiff_scan(const std::filesystem::path& input);

std::unique_ptr<ScanReader> open_tiff_scan(const std::filesystem::path& input,
                                           const LayoutSpec& spec, Logger& log);

}  // namespace xct
